import HTTPTypes
import KuraProvider
import KuraTesting
import Testing

@Suite("request headers read once, request IDs written in place")
struct RequestHeadersTests {
    /// Field names as requests send them: the ones Kura reads, in other cases too, and `Cookie`, which the
    /// subscript joins with `; ` instead of `, `.
    static let names = ["Authorization", "authorization", "Content-Length", "Cookie", "X-Request-ID", "Kura-Party"]
        .map { HTTPField.Name($0)! }

    @Test("value(of:) answers what the subscript answers, for absent, single and repeated fields (2,000 seeded lists)")
    func valueMatchesSubscript() {
        var random = SplitMix64(seed: 0x5EED_0015)
        for _ in 0..<2_000 {
            var fields = HTTPFields()
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let name = Self.names.randomElement(using: &random)!
                let value = String(
                    (0..<Int.random(in: 0...12, using: &random)).map { _ in
                        "ab c,;9".randomElement(using: &random)!
                    })
                fields.append(HTTPField(name: name, value: value))
            }
            for name in Self.names {
                #expect(fields.value(of: name) == fields[name], "\(name) in \(fields)")
            }
        }
    }

    @Test("a new request ID is req_, the process's 16 hex digits, then the number's 16")
    func newIDLayout() {
        var random = SplitMix64(seed: 0x1D5)
        let numbers: [UInt64] = [0, 1, 0xF, 0x10, 0xABCDEF, .max] + (0..<200).map { _ in random.next() }
        var prefixes = Set<Substring>()
        for number in numbers {
            let id = RequestTrace.newID(number)
            let digits = String(number, radix: 16)
            #expect(id.hasPrefix("req_") && id.utf8.count == 36)
            #expect(id.suffix(16) == String(repeating: "0", count: 16 - digits.count) + digits)
            let prefix = id.dropFirst(4).prefix(16)
            #expect(prefix.allSatisfy { "0123456789abcdef".contains($0) })
            prefixes.insert(prefix)
        }
        #expect(prefixes.count == 1)
    }
}

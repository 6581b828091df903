import KuraCrypto
import KuraTesting
import KuraX402
import Testing

@Suite("x402 seed dialect (X-Payment-*)")
struct SeedHeaderTests {
    static let pairs = X402Examples.seedRequest.headers

    static func replacing(_ name: String, with value: String?) -> [(name: String, value: String)] {
        var out = pairs.filter { $0.name != name }
        if let value { out.append((name, value)) }
        return out
    }

    @Test("the 402 headers and the retry headers round-trip, names matched case-insensitively")
    func roundTrip() throws {
        #expect(try SeedPaymentRequest.parse(SeedHeaders.lookup(Self.pairs)) == X402Examples.seedRequest)
        let lower = Self.pairs.map { (name: $0.name.lowercased(), value: $0.value) }
        #expect(try SeedPaymentRequest.parse(SeedHeaders.lookup(lower)) == X402Examples.seedRequest)
        #expect(Self.pairs.first { $0.name == "X-Payment-Deadline" }?.value == "1795564860")
        let retry = SeedPaymentRetry(
            receipt: "5J3mBbAH58CpQ3Y5RNJpUKPE62SQ5tfcvU2JpbnkeyhfsYB1Jcn", paymentID: X402Examples.paymentID)
        #expect(try SeedPaymentRetry.parse(SeedHeaders.lookup(retry.headers)) == retry)
    }

    typealias Case = (label: String, headers: [(name: String, value: String)], kind: X402Error.Kind)

    static let malformed: [Case] = [
        ("no amount", replacing(SeedHeaders.amount, with: nil), .missingHeader),
        ("no deadline", replacing(SeedHeaders.deadline, with: nil), .missingHeader),
        ("no token", replacing(SeedHeaders.token, with: nil), .missingHeader),
        ("no recipient", replacing(SeedHeaders.recipient, with: nil), .missingHeader),
        ("no network", replacing(SeedHeaders.network, with: nil), .missingHeader),
        ("no ID", replacing(SeedHeaders.id, with: nil), .missingHeader),
        ("two amounts", pairs + [(SeedHeaders.amount, "1")], .invalidField),
        ("amount with a decimal point", replacing(SeedHeaders.amount, with: "2.5"), .invalidField),
        ("negative amount", replacing(SeedHeaders.amount, with: "-5"), .invalidField),
        ("amount 2^53", replacing(SeedHeaders.amount, with: "9007199254740992"), .invalidField),
        ("amount with a leading zero", replacing(SeedHeaders.amount, with: "007"), .invalidField),
        ("negative deadline", replacing(SeedHeaders.deadline, with: "-1"), .invalidField),
        (
            "deadline in milliseconds past the range", replacing(SeedHeaders.deadline, with: "9007199254741"),
            .invalidField
        ),
        ("overflowing deadline", replacing(SeedHeaders.deadline, with: "99999999999999999999999"), .invalidField),
        ("deadline as a date", replacing(SeedHeaders.deadline, with: "2026-11-25T00:00:00Z"), .invalidField),
        ("empty token", replacing(SeedHeaders.token, with: ""), .invalidField),
        ("recipient with a space", replacing(SeedHeaders.recipient, with: "pty 1"), .invalidField),
        ("network not ASCII", replacing(SeedHeaders.network, with: "kura:çç"), .invalidField),
        ("short ID", replacing(SeedHeaders.id, with: "pay_1"), .invalidField),
        ("ID with a slash", replacing(SeedHeaders.id, with: "pay_7d5d747be160e2/0504"), .invalidField),
        (
            "over-long token",
            replacing(SeedHeaders.token, with: String(repeating: "A", count: X402Limits.maxHeaderBytes + 1)),
            .tooLong
        ),
    ]

    @Test("a malformed seed 402 is a typed refusal with invalid_payment_requirements", arguments: malformed)
    func malformedRequest(_ c: Case) {
        let error = #expect(throws: X402Error.self) { try SeedPaymentRequest.parse(SeedHeaders.lookup(c.headers)) }
        #expect(error?.kind == c.kind && error?.reason == .invalidPaymentRequirements, "\(String(describing: error))")
    }

    @Test("the largest deadline whose milliseconds fit 2^53-1 is accepted")
    func deadlineEdge() throws {
        let edge = Self.replacing(SeedHeaders.deadline, with: String(X402Limits.maxEpochSeconds))
        #expect(try SeedPaymentRequest.parse(SeedHeaders.lookup(edge)).deadline.milliseconds <= (1 << 53) - 1)
    }

    @Test("a malformed retry is refused with invalid_payload")
    func malformedRetry() {
        let cases: [[(name: String, value: String)]] = [
            [(SeedHeaders.id, X402Examples.paymentID)],
            [(SeedHeaders.receipt, "abc")],
            [(SeedHeaders.receipt, "a b"), (SeedHeaders.id, X402Examples.paymentID)],
            [(SeedHeaders.receipt, ""), (SeedHeaders.id, X402Examples.paymentID)],
            [(SeedHeaders.receipt, "abc"), (SeedHeaders.id, "x")],
        ]
        for headers in cases {
            let error = #expect(throws: X402Error.self) { try SeedPaymentRetry.parse(SeedHeaders.lookup(headers)) }
            #expect(error?.reason == .invalidPayload)
        }
    }

    @Test("mutated seed header values parse or are refused, never crash")
    func fuzz() {
        var rng = SplitMix64(seed: 0x5EED)
        var outcomes: [String: Int] = [:]
        for _ in 0..<1500 {
            var headers = Self.pairs
            let i = Int.random(in: 0..<headers.count, using: &rng)
            headers[i].value = HeaderFuzzTests.mutateText(headers[i].value, &rng)
            do {
                let parsed = try SeedPaymentRequest.parse(SeedHeaders.lookup(headers))
                #expect(try SeedPaymentRequest.parse(SeedHeaders.lookup(parsed.headers)) == parsed)
                outcomes["valid", default: 0] += 1
            } catch {
                outcomes[error.kind.rawValue, default: 0] += 1
            }
        }
        #expect(outcomes["valid", default: 0] > 0 && outcomes["invalid_field", default: 0] > 0, "\(outcomes)")
    }
}

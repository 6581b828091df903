import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// BLAKE3 against the official test vectors (Fixtures/vectors/blake3.json, from BLAKE3-team/BLAKE3).
@Suite("BLAKE3")
struct BLAKE3Tests {
    struct Vectors: Decodable {
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            let input_len: Int
            let hash: String
            var testDescription: String { "\(input_len) bytes" }
        }
        let cases: [Case]
    }

    static let cases = (try? VectorFixtures.load("blake3.json", as: Vectors.self).cases) ?? []

    @Test("the vector file is there") func present() { #expect(Self.cases.count == 35) }

    @Test("hash of i mod 251, one call and in pieces", arguments: BLAKE3Tests.cases)
    func vector(_ vector: Vectors.Case) {
        let input = (0..<vector.input_len).map { UInt8($0 % 251) }
        #expect(Hex.encode(BLAKE3Hasher.hash(input)) == vector.hash)
        var hasher = BLAKE3Hasher()
        var rest = input[...]
        var step = 1
        while !rest.isEmpty {
            hasher.update(rest.prefix(step))
            rest = rest.dropFirst(step)
            step = step * 3 + 7
        }
        #expect(Hex.encode(hasher.finalize()) == vector.hash)
    }
}

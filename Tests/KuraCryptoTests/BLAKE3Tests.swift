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

/// The curve test against libsodium's own decoding, on random and special inputs.
@Suite("Ed25519 curve test")
struct CurveTestTests {
    @Test("the Legendre test agrees with libsodium's decoder on 1500 random strings and the special points")
    func agreesWithSodium() {
        var rng = SplitMix64(seed: 0x4355_5256_4531)
        var onCurve = 0
        for _ in 0..<1_500 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let answer = Ed25519.isOnCurve(bytes)
            #expect(answer == Ed25519.isOnCurveBySodium(bytes), "\(Hex.encode(bytes))")
            if answer { onCurve += 1 }
        }
        // About half of all strings decode.
        #expect((600...900).contains(onCurve))
        var specials: [[UInt8]] = [[UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31)]
        specials.append([0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F])  // y = −1
        specials.append([0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F])  // y = p
        specials.append([0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F])  // y = p + 1
        specials.append([UInt8](repeating: 0xFF, count: 32))
        for y in 0..<64 { specials.append([UInt8(y)] + [UInt8](repeating: 0, count: 30) + [0x80]) }
        for bytes in specials {
            #expect(Ed25519.isOnCurve(bytes) == Ed25519.isOnCurveBySodium(bytes), "\(Hex.encode(bytes))")
        }
        #expect(!Ed25519.isOnCurve([1, 2, 3]))
    }
}

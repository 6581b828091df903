import KuraCrypto
import KuraSolana
import KuraTesting
import Testing

/// Seeded random mutations of real transactions (the solders fixtures), at the byte level and at the base64
/// level. Every input must end in a transaction that re-serialises to exactly the input and whose
/// instructions all decode or are refused, or in a `SolanaError` (typed throws make anything else impossible
/// to compile; a crash would fail the run).
@Suite("Solana transaction fuzzing")
struct SolanaFuzzTests {
    static let seed: UInt64 = 0x4B55_5241_534F_4C31

    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 2: bytes.remove(at: i)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 4: bytes = Array(bytes.prefix(i))
            // Lengths and counts sit in small bytes: make one large, or a multi-byte compact-u16.
            default: bytes[i] = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFF].randomElement(using: &rng)!
            }
        }
        return bytes
    }

    /// Parses `bytes`; the error kind, or "valid" after checking the round trip and decoding every instruction.
    static func outcome(_ bytes: [UInt8]) -> String {
        do {
            let tx = try SolanaTransaction(bytes: bytes)
            #expect(tx.bytes == bytes, "round trip")
            #expect(tx.signatures.count == Int(tx.message.header.numRequiredSignatures))
            _ = tx.checkSignatures()
            _ = tx.messageHash
            for instruction in tx.message.instructions {
                do { _ = try DecodedInstruction.decode(instruction, in: tx.message) } catch {
                    #expect(!error.detail.isEmpty)
                }
            }
            return "valid"
        } catch {
            #expect(!error.detail.isEmpty)
            return error.kind.rawValue
        }
    }

    @Test("mutated transactions parse and round-trip, or are refused with a typed error")
    func transactions() throws {
        var rng = SplitMix64(seed: Self.seed)
        var seen: [String: Int] = [:]
        let originals = try SolanaVectors.shared.transactions.map { try #require(Base64.decode($0.transaction)) }
        for round in 0..<4000 {
            let original = originals[round % originals.count]
            seen[Self.outcome(Self.mutate(original, &rng)), default: 0] += 1
        }
        // Mutations reach every layer of the reader, and some stay valid (a changed signature or data byte).
        for kind in [
            "valid", "truncated", "trailing_bytes", "invalid_compact_u16", "invalid_header", "invalid_index",
            "unsupported_version",
        ] {
            #expect(seen[kind, default: 0] > 0, "no mutation ended in \(kind): \(seen.sorted { $0.key < $1.key })")
        }
    }

    @Test("mutated base64 text decodes or is refused")
    func base64() throws {
        var rng = SplitMix64(seed: Self.seed &+ 1)
        var seen: [String: Int] = [:]
        for round in 0..<600 {
            let vector = SolanaVectors.shared.transactions[round % SolanaVectors.shared.transactions.count]
            var text = Array(vector.transaction.utf8)
            let i = Int.random(in: 0..<text.count, using: &rng)
            text[i] = Array("A/+=_- \n".utf8).randomElement(using: &rng)!
            do {
                let tx = try SolanaTransaction(base64: String(decoding: text, as: UTF8.self))
                #expect(tx.base64 == String(decoding: text, as: UTF8.self))
                seen["valid", default: 0] += 1
            } catch {
                seen[error.kind.rawValue, default: 0] += 1
            }
        }
        #expect(seen["invalid_base64", default: 0] > 0 && seen.count > 1, "\(seen)")
    }

    @Test("random bytes and random base58 never crash")
    func random() {
        var rng = SplitMix64(seed: Self.seed &+ 2)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = Self.outcome(bytes)
            _ = try? SolanaMessage(bytes: bytes)
            let text = String(decoding: bytes.prefix(50).map { 0x31 + $0 % 74 }, as: UTF8.self)
            _ = try? SolanaPublicKey(base58: text)
            _ = try? SolanaSignature(base58: text)
        }
    }
}

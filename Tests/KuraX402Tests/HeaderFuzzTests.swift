import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// Seeded random mutations of real headers, at three depths: the base64 text, the JSON bytes under it, and
/// the JSON values inside. Each decode must end in a value that re-encodes to itself, or in an `X402Error`
/// (typed throws make anything else impossible to compile; a crash would fail the run).
@Suite("x402 header fuzzing")
struct HeaderFuzzTests {
    static let seed: UInt64 = 0x4B55_5241_5834_3032

    static let replacements: [JSONValue] = [
        .null, true, 0, -1, 1.5, 1e300, 9_007_199_254_740_992, "", "0", "-1", "01", "9007199254740991",
        "9007199254740992", "exact", "escrow", "kura:00000000", "a b", "\u{0}", [], [1], [:], ["x": 1],
    ]

    static func mutateText(_ text: String, _ rng: inout SplitMix64) -> String {
        var chars = Array(text.utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n!".utf8)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !chars.isEmpty:
                chars[Int.random(in: 0..<chars.count, using: &rng)] = alphabet.randomElement(using: &rng)!
            case 1 where !chars.isEmpty: chars.remove(at: Int.random(in: 0..<chars.count, using: &rng))
            case 2: chars.insert(alphabet.randomElement(using: &rng)!, at: Int.random(in: 0...chars.count, using: &rng))
            default: chars = Array(chars.prefix(Int.random(in: 0...chars.count, using: &rng)))
            }
        }
        return String(decoding: chars, as: UTF8.self)
    }

    static func mutateBytes(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: i)
            default: bytes.insert(Array("{}[]\",:0-e\\".utf8).randomElement(using: &rng)!, at: i)
            }
        }
        return bytes
    }

    static func mutateValue(_ value: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        var value = value
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            let path = value.paths.randomElement(using: &rng)!
            value = value.setting(path, Bool.random(using: &rng) ? replacements.randomElement(using: &rng)! : nil)
        }
        return value
    }

    /// Decodes `text` as `M`; returns the error kind, or `nil` for a value (after checking it round-trips).
    static func outcome<M: X402Message>(_ type: M.Type, _ text: String) -> X402Error.Kind? {
        do {
            let message = try X402Codec.decode(M.self, header: text)
            let again = try X402Codec.decode(M.self, header: X402Codec.header(message))
            #expect(again == message, "round trip of \(text)")
            return nil
        } catch {
            #expect(!error.detail.isEmpty)
            return error.kind
        }
    }

    static func fuzz<M: X402Message>(_ type: M.Type, _ original: M, rounds: Int, seed: UInt64) throws -> [String: Int] {
        var rng = SplitMix64(seed: seed)
        let text = try X402Codec.header(original)
        let bytes = try #require(Base64.decode(text))
        let value = try JSONValue.parse(bytes)
        var seen: [String: Int] = [:]
        for round in 0..<rounds {
            let mutated: String
            switch round % 3 {
            case 0: mutated = mutateText(text, &rng)
            case 1: mutated = Base64.encode(mutateBytes(bytes, &rng))
            default: mutated = header(mutateValue(value, &rng))
            }
            seen[outcome(M.self, mutated)?.rawValue ?? "valid", default: 0] += 1
        }
        return seen
    }

    @Test("mutated PAYMENT-REQUIRED headers decode or are refused, never crash")
    func paymentRequired() throws {
        let seen = try Self.fuzz(PaymentRequired.self, X402Examples.paymentRequired, rounds: 900, seed: Self.seed)
        // The three depths reach every layer of the decoder, and some mutations stay valid.
        for kind in ["not_base64", "not_json", "invalid_field", "unsupported_version", "valid"] {
            #expect(seen[kind, default: 0] > 0, "\(kind) never happened: \(seen)")
        }
    }

    @Test("mutated PAYMENT-SIGNATURE and PAYMENT-RESPONSE headers decode or are refused, never crash")
    func paymentSignatureAndResponse() throws {
        let payment = try X402Examples.payment(X402Examples.escrow)
        let seen = try Self.fuzz(PaymentPayload.self, payment, rounds: 600, seed: Self.seed &+ 1)
        #expect(seen["invalid_field", default: 0] > 0 && seen["valid", default: 0] > 0, "\(seen)")
        let settle = SettleResponse(
            success: false, errorReason: .insufficientFunds, payer: X402Examples.payer, transaction: "",
            network: X402Examples.network.id)
        let seenSettle = try Self.fuzz(SettleResponse.self, settle, rounds: 300, seed: Self.seed &+ 2)
        #expect(seenSettle["invalid_field", default: 0] > 0, "\(seenSettle)")
    }

    @Test("a valid PaymentPayload with a mutated Kura proof verifies or is refused with a reason")
    func kuraProof() throws {
        var rng = SplitMix64(seed: Self.seed &+ 3)
        let payment = try X402Examples.payment(X402Examples.escrow)
        let payload = JSONValue.object(payment.payload)
        var accepted = 0
        for _ in 0..<400 {
            var mutated = payment
            mutated.payload = Self.mutateValue(payload, &rng).objectValue ?? [:]
            do {
                _ = try KuraScheme.verify(
                    mutated, against: X402Examples.escrow, on: X402Examples.network,
                    payerKey: X402Examples.payerKey.publicKey, nowMilliseconds: X402Examples.now)
                accepted += 1
            } catch {
                #expect(!error.detail.isEmpty)
            }
        }
        // Only a mutation that writes back the same value keeps the signature valid.
        #expect(accepted < 10)
    }
}

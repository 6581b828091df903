import KuraCrypto
import KuraTesting

/// Seeded values for the tests that hold a type's own canonical JSON to its `Encodable` form (receipts, escrows,
/// reservations): texts that exercise escaping and the UTF-16 order, valid identifiers, and times in the exact
/// integer range, the last two as wire JSON for types that are made by decoding it.
enum WireSamples {
    /// Quotes, backslashes, controls, non-ASCII, astral.
    static let texts = ["", "escrow.locked", "a\"b\\c", "tab\there\nnew", "\u{1}\u{1F}", "é", "\u{E000}", "😀", "/x"]

    /// Zero to three of ``texts``, joined.
    static func text(_ random: inout SplitMix64) -> String {
        let pieces = (0..<Int.random(in: 0...3, using: &random)).map { _ in texts.randomElement(using: &random)! }
        return pieces.joined()
    }

    /// `<prefix>_` and 2 to 22 base58 characters.
    static func identifier(_ prefix: String, _ random: inout SplitMix64) -> JSONValue {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        let length = Int.random(in: 2...22, using: &random)
        return .string(prefix + "_" + String((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
    }

    /// An integer from 0 to 2^53−1.
    static func time(_ random: inout SplitMix64) -> JSONValue {
        .number(Double(Int64.random(in: 0...(1 << 53) - 1, using: &random)))
    }
}

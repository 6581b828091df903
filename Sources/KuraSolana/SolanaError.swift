/// Why bytes or text were refused as a Solana key, signature, message, transaction or instruction: what was
/// wrong, and a sentence for people. Every malformed input ends here, never in a crash.
public struct SolanaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is; callers and tests branch on this, never on `detail`.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Text that is not base58, or base58 of the wrong length.
        case invalidBase58 = "invalid_base58"
        /// Text that is not standard padded base64, or too long to be a transaction.
        case invalidBase64 = "invalid_base64"
        /// Raw bytes of the wrong length for a key, hash or signature.
        case invalidLength = "invalid_length"
        /// The bytes end before the structure does.
        case truncated
        /// Bytes are left over after the structure.
        case trailingBytes = "trailing_bytes"
        /// A compact-u16 length that is not the shortest encoding, or above 65535.
        case invalidCompactU16 = "invalid_compact_u16"
        /// A versioned message of a version other than 0.
        case unsupportedVersion = "unsupported_version"
        /// A message header that contradicts its keys (too many signers, no writable fee payer, …).
        case invalidHeader = "invalid_header"
        /// An index that names no account, a fee payer used as a program, a repeated key.
        case invalidIndex = "invalid_index"
        /// The number of signatures is not the number the message requires.
        case signatureCount = "signature_count"
        /// The serialised transaction is larger than a packet (1232 bytes).
        case tooLarge = "too_large"
        /// A check needs a static account key, and this one is loaded from an address lookup table.
        case lookupTableAccount = "lookup_table_account"
        /// An instruction of a known program whose data or accounts do not fit that instruction.
        case malformedInstruction = "malformed_instruction"
        /// Seeds that cannot make a program address (too many, too long, or no bump left).
        case invalidSeeds = "invalid_seeds"
        /// A key that must sign this message is not among its signers.
        case notASigner = "not_a_signer"
    }

    /// What kind of problem it is.
    public let kind: Kind
    /// One line for people; never parse it.
    public let detail: String

    /// Creates an error.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}

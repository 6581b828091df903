import KuraCrypto

/// A Solana transaction: one signature per required signer, then the message they sign.
///
/// Read strictly (``init(bytes:)``): canonical compact-u16 lengths, a sanitised message, exactly as many
/// signatures as the message requires, nothing after it, at most one packet (1232 bytes). So ``bytes`` gives
/// back the input byte for byte.
public struct SolanaTransaction: Sendable, Equatable, Hashable {
    /// The largest serialised transaction the cluster accepts (an IPv6 UDP packet's payload).
    public static let maxBytes = 1232

    /// One per required signer, in key order; an unsigned slot is ``SolanaSignature/empty``.
    public internal(set) var signatures: [SolanaSignature]
    /// The message.
    public let message: SolanaMessage
    /// The message's wire form: the bytes each signature is over.
    public let messageBytes: [UInt8]

    /// A transaction of `message` with every signature slot empty.
    public init(message: SolanaMessage) {
        self.message = message
        self.messageBytes = message.bytes
        self.signatures = Array(repeating: .empty, count: Int(message.header.numRequiredSignatures))
    }

    /// A transaction with the given signatures; throws when their number is not the message's.
    public init(signatures: [SolanaSignature], message: SolanaMessage) throws(SolanaError) {
        guard signatures.count == Int(message.header.numRequiredSignatures) else {
            throw SolanaError(
                .signatureCount,
                "the message needs \(message.header.numRequiredSignatures) signatures, the transaction has \(signatures.count)"
            )
        }
        self.message = message
        self.messageBytes = message.bytes
        self.signatures = signatures
    }

    /// Reads a serialised transaction.
    public init(bytes: [UInt8]) throws(SolanaError) {
        guard bytes.count <= Self.maxBytes else {
            throw SolanaError(.tooLarge, "the transaction is \(bytes.count) bytes, over \(Self.maxBytes)")
        }
        var reader = ByteReader(bytes)
        let count = try reader.compactU16("the signatures")
        guard count * SolanaSignature.byteCount <= reader.remaining else {
            throw SolanaError(.truncated, "\(count) signatures need \(count * 64) bytes")
        }
        var signatures: [SolanaSignature] = []
        signatures.reserveCapacity(count)
        for _ in 0..<count { signatures.append(SolanaSignature(unchecked: try reader.take(64, "a signature"))) }
        let start = reader.offset
        let message = try SolanaMessage(reading: &reader)
        guard reader.isAtEnd else {
            throw SolanaError(.trailingBytes, "\(reader.remaining) bytes follow the transaction")
        }
        try self.init(signatures: signatures, message: message, messageBytes: Array(bytes[start...]))
    }

    private init(signatures: [SolanaSignature], message: SolanaMessage, messageBytes: [UInt8]) throws(SolanaError) {
        guard signatures.count == Int(message.header.numRequiredSignatures) else {
            throw SolanaError(
                .signatureCount,
                "the message needs \(message.header.numRequiredSignatures) signatures, the transaction has \(signatures.count)"
            )
        }
        self.signatures = signatures
        self.message = message
        self.messageBytes = messageBytes
    }

    /// Reads standard base64 of a serialised transaction (the x402 `exact` payload's `transaction`).
    public init(base64 text: String) throws(SolanaError) {
        // 1232 bytes are 1644 base64 characters; anything longer is refused before decoding.
        guard text.utf8.count <= 1644, let raw = Base64.decode(text) else {
            throw SolanaError(.invalidBase64, "the transaction is not standard base64 of at most 1232 bytes")
        }
        try self.init(bytes: raw)
    }

    /// The wire form.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: 3 + 64 * signatures.count + messageBytes.count)
        writer.compactU16(signatures.count)
        for signature in signatures { writer.append(contentsOf: signature.bytes) }
        writer.append(contentsOf: messageBytes)
        return writer.bytes
    }

    /// Standard base64 of the wire form.
    public var base64: String { Base64.encode(bytes) }

    /// The transaction's ID on the network: its first (the fee payer's) signature.
    public var id: SolanaSignature { signatures[0] }

    /// The message hash (see ``SolanaMessage/hash``).
    public var messageHash: SolanaHash { SolanaMessage.hash(messageBytes: messageBytes) }
}

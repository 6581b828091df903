import HTTPTypes

/// The header names of Kura's HTTP interface.
enum KuraHeader {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let party = HTTPField.Name("Kura-Party")!
    static let timestamp = HTTPField.Name("Kura-Timestamp")!
    static let nonce = HTTPField.Name("Kura-Nonce")!
    static let signature = HTTPField.Name("Kura-Signature")!
}

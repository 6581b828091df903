import KuraCore

/// A row of `idempotency`: a caller's key, the digest of the request it came with, the stored answer, and
/// the head `seq` when it was recorded. Written in the same transaction as the command's events.
public struct IdempotencyRecord: Sendable, Equatable {
    public var key: String
    public var requestHash: [UInt8]
    public var response: [UInt8]
    public var seq: UInt64

    public init(key: String, requestHash: [UInt8], response: [UInt8], seq: UInt64) {
        self.key = key
        self.requestHash = requestHash
        self.response = response
        self.seq = seq
    }
}

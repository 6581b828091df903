import KuraCore

/// How many rows the tables that are not rebuilt from the log hold.
public struct SideTableCounts: Sendable, Equatable {
    public var idempotencyRecords: Int
    public var nonces: Int
    public var checkpoints: Int

    public init(idempotencyRecords: Int, nonces: Int, checkpoints: Int) {
        self.idempotencyRecords = idempotencyRecords
        self.nonces = nonces
        self.checkpoints = checkpoints
    }

    /// No rows in any of them.
    public var isEmpty: Bool { idempotencyRecords == 0 && nonces == 0 && checkpoints == 0 }
}

/// The rows of the tables that are not rebuilt from the log: a copy takes them along with it.
public struct SideTables: Sendable {
    public var idempotency: [IdempotencyRecord]
    public var nonces: [NonceRow]
    public var checkpoints: [CheckpointRow]

    public init(idempotency: [IdempotencyRecord], nonces: [NonceRow], checkpoints: [CheckpointRow]) {
        self.idempotency = idempotency
        self.nonces = nonces
        self.checkpoints = checkpoints
    }
}

import KuraCore

/// A row of `escrows`: the escrow, the `seq` of its `escrow.locked`, and when the sweeper should look at it.
/// The payer, payee, state, asset and amount columns are read off `escrow`.
public struct EscrowRow: Sendable, Equatable {
    public var escrow: Escrow
    /// The `seq` of the `escrow.locked` event (list order and cursors).
    public var seq: UInt64
    /// The sweeper's next look (delivery deadline or end of the confirm window); nil when nothing is due.
    public var dueAt: Timestamp?

    public init(escrow: Escrow, seq: UInt64, dueAt: Timestamp?) {
        self.escrow = escrow
        self.seq = seq
        self.dueAt = dueAt
    }

    public var id: EscrowID { escrow.id }
}

import KuraCore

/// A row of `withdrawals`: a withdrawal to Solana and the `seq` of `withdrawal.requested`. Party, asset,
/// amount, state, signature and the UTC day it was requested on are read off `withdrawal`.
public struct WithdrawalRow: Sendable, Equatable {
    public var withdrawal: SolanaWithdrawal
    public var seq: UInt64

    public init(withdrawal: SolanaWithdrawal, seq: UInt64) {
        self.withdrawal = withdrawal
        self.seq = seq
    }

    /// Milliseconds in a day: the `day` column is the request's time divided by this.
    public static let dayMs: Int64 = 86_400_000

    /// The `day` column: the request's UTC day (days since the epoch), which the daily limit counts by.
    public var day: Int64 { withdrawal.request.requestedAt.milliseconds / Self.dayMs }
}

import KuraCore

/// A row of `solana_payments`: an x402 `exact` payment on Solana, one per transaction message hash, and the
/// `seq` of its `solana.submitted` claim. Message hash, signature and state are read off `payment`.
public struct SolanaPaymentRow: Sendable, Equatable {
    public var payment: SolanaPayment
    public var seq: UInt64

    public init(payment: SolanaPayment, seq: UInt64) {
        self.payment = payment
        self.seq = seq
    }

    /// The `message_hash` column, the row's key (the stream is `solana/payment/<message hash>`).
    public var messageHash: String { payment.record.messageHash }
}

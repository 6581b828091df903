import KuraCore
import Testing

/// Receipt kinds are the event kinds of their aggregates, typed; reputation gives each a meaning.
@Suite("receipt kinds")
struct ReceiptKindTests {
    /// Every kind of every aggregate that can yield a receipt, as a receipt kind.
    static let all: [ReceiptKind] =
        EscrowEvent.Kind.allCases.map(ReceiptKind.escrow) + DisputeEvent.Kind.allCases.map(ReceiptKind.dispute)
        + ReservationEvent.Kind.allCases.map(ReceiptKind.reservation)
        + ChannelEvent.Kind.allCases.map(ReceiptKind.channel) + PaymentEvent.Kind.allCases.map(ReceiptKind.payment)
        + SolanaPaymentEvent.Kind.allCases.map(ReceiptKind.solana)
        + SolanaWithdrawalEvent.Kind.allCases.map(ReceiptKind.withdrawal)
        + ChainReceiptEvent.Kind.allCases.map(ReceiptKind.chain)

    @Test("each kind reads back from its wire string, and the strings are distinct")
    func roundTrip() {
        for kind in Self.all { #expect(ReceiptKind(rawValue: kind.rawValue) == kind, "\(kind.rawValue)") }
        #expect(Set(Self.all.map(\.rawValue)).count == Self.all.count)
        #expect(ReceiptKind(rawValue: "escrow.frobnicated") == nil)
    }

    @Test("the wire strings of the kinds reputation counts are the ones the receipts carry")
    func countedKinds() {
        let counted = Self.all.filter {
            var receipt = Receipt(
                index: 0, eventSeq: 1, eventHash: "", kind: $0.rawValue, subject: "esc_x",
                payer: PartyID(unchecked: "pty_a"), payee: PartyID(unchecked: "pty_b"), amount: .zero,
                asset: try! Asset("USDC"), outcome: "settled", at: Timestamp(milliseconds: 0), refundBps: 0)
            receipt.onTime = true
            var facts = RoleFacts()
            ReputationRules.record(receipt, as: .provider, into: &facts)
            ReputationRules.record(receipt, as: .payer, into: &facts)
            return facts != RoleFacts()
        }
        #expect(
            Set(counted.map(\.rawValue)) == [
                "escrow.locked", "escrow.delivered", "escrow.released", "escrow.refunded", "escrow.expired",
                "escrow.cancelled", "escrow.disputed", "dispute.resolved", "reservation.settled", "payment.settled",
                "channel.settled", "solana.settled", "chain.settled",
            ])
    }
}

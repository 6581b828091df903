/// A receipt's `kind` as a type: the event type it records, per aggregate. The wire keeps the string
/// (``Receipt/kind``, e.g. `escrow.released`); code that decides by kind (reputation) switches over this, with
/// no `default:`, so an event kind added or renamed in its aggregate must be placed there before anything
/// compiles.
public enum ReceiptKind: Sendable, Hashable {
    case escrow(EscrowEvent.Kind)
    case dispute(DisputeEvent.Kind)
    case reservation(ReservationEvent.Kind)
    case channel(ChannelEvent.Kind)
    case payment(PaymentEvent.Kind)
    /// An x402 `exact` payment on Solana.
    case solana(SolanaPaymentEvent.Kind)
    case withdrawal(SolanaWithdrawalEvent.Kind)
    /// An on-chain receipt of a payment made outside Kura.
    case chain(ChainReceiptEvent.Kind)

    /// The kind a receipt's `kind` string names, or nil for one this version does not know (a receipt file
    /// from a newer server): such a receipt adds nothing to reputation.
    public init?(rawValue: String) {
        let kind: ReceiptKind? =
            if let kind = EscrowEvent.Kind(rawValue: rawValue) {
                .escrow(kind)
            } else if let kind = DisputeEvent.Kind(rawValue: rawValue) {
                .dispute(kind)
            } else if let kind = ReservationEvent.Kind(rawValue: rawValue) {
                .reservation(kind)
            } else if let kind = ChannelEvent.Kind(rawValue: rawValue) {
                .channel(kind)
            } else if let kind = PaymentEvent.Kind(rawValue: rawValue) {
                .payment(kind)
            } else if let kind = SolanaPaymentEvent.Kind(rawValue: rawValue) {
                .solana(kind)
            } else if let kind = SolanaWithdrawalEvent.Kind(rawValue: rawValue) {
                .withdrawal(kind)
            } else if let kind = ChainReceiptEvent.Kind(rawValue: rawValue) {
                .chain(kind)
            } else {
                nil
            }
        guard let kind else { return nil }
        self = kind
    }

    /// The wire string, the event type.
    public var rawValue: String {
        switch self {
        case .escrow(let kind): kind.rawValue
        case .dispute(let kind): kind.rawValue
        case .reservation(let kind): kind.rawValue
        case .channel(let kind): kind.rawValue
        case .payment(let kind): kind.rawValue
        case .solana(let kind): kind.rawValue
        case .withdrawal(let kind): kind.rawValue
        case .chain(let kind): kind.rawValue
        }
    }
}

extension Receipt {
    /// ``kind`` as a type; nil for a kind this version does not know.
    public var receiptKind: ReceiptKind? { ReceiptKind(rawValue: kind) }
}

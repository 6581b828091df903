import KuraCrypto

/// A trust receipt: the public, deterministic record of one payment-relevant event, and a leaf of the
/// transparency log. Its leaf bytes are its RFC 8785 canonical JSON.
///
/// Receipts carry what reputation needs (who paid whom, how much, what came of it, how fast) and
/// nothing private: no memo, no evidence text, no API data.
public struct Receipt: Sendable, Equatable, Codable {
    /// The receipt format version.
    public static let version = 1

    /// Format version (`v`).
    public var v: Int
    /// The receipt's leaf index in the log, from 0.
    public var index: UInt64
    /// The event it records.
    public var eventSeq: UInt64
    /// That event's hash, lowercase hex.
    public var eventHash: String
    /// The event type, e.g. `escrow.released`.
    public var kind: String
    /// The escrow (or later: reservation, channel) it concerns.
    public var subject: String
    public var payer: PartyID
    public var payee: PartyID
    public var amount: Amount
    public var asset: Asset
    /// What happened: `locked`, `delivered`, `confirmed`, `auto_released`, `disputed`, `cancelled`,
    /// `refunded`, `expired`.
    public var outcome: String
    /// When the event happened (epoch ms).
    public var at: Timestamp
    /// Milliseconds from lock to delivery, on delivery and release receipts.
    public var deliveryLatencyMs: Int64?
    /// Whether delivery came by the deadline, on delivery and release receipts.
    public var onTime: Bool?
    /// Whether the escrow has been disputed, as of this event.
    public var disputed: Bool
    /// The fee Kura took, on release receipts.
    public var fee: Amount?
    /// The dispute opened, on dispute receipts.
    public var disputeId: DisputeID?

    /// The leaf bytes: canonical JSON of the receipt.
    public func leafBytes() throws(KuraError) -> [UInt8] {
        do { return try JSONValue(encoding: self).canonicalBytes() } catch {
            throw KuraError(.internalError, "receipt does not encode: \(error.reason)")
        }
    }
}

extension Receipt {
    /// Derives the receipt of an escrow event, given the escrow as it was just before (nil for `locked`).
    /// Pure: the same event and state give the same receipt, byte for byte. Every escrow event yields one.
    public static func derive(
        _ event: EscrowEvent, escrowBefore: Escrow?, eventSeq: UInt64, eventHash: [UInt8], at: Timestamp, index: UInt64
    ) -> Receipt? {
        var escrow: Escrow
        if let escrowBefore {
            escrow = escrowBefore
            escrow.apply(event)
        } else {
            guard let created = Escrow.fold([event]) else { return nil }
            escrow = created
        }
        let terms = escrow.terms
        var receipt = Receipt(
            v: version, index: index, eventSeq: eventSeq, eventHash: Hex.encode(eventHash), kind: event.type,
            subject: escrow.id.rawValue, payer: terms.payer, payee: terms.payee, amount: terms.amount,
            asset: terms.asset,
            outcome: "", at: at, deliveryLatencyMs: nil, onTime: nil, disputed: escrow.disputeId != nil, fee: nil,
            disputeId: nil)
        if let deliveredAt = escrow.deliveredAt {
            receipt.deliveryLatencyMs = deliveredAt.milliseconds - terms.lockedAt.milliseconds
            receipt.onTime = deliveredAt <= terms.deliverBy
        }
        switch event {
        case .locked: receipt.outcome = "locked"
        case .delivered: receipt.outcome = "delivered"
        case .released(let reason, _, let fee, _, _):
            receipt.outcome = reason == .confirmed ? "confirmed" : "auto_released"
            receipt.fee = fee
        case .disputed(let disputeId, _, _, _):
            receipt.outcome = "disputed"
            receipt.disputeId = disputeId
        case .cancelled: receipt.outcome = "cancelled"
        case .refunded: receipt.outcome = "refunded"
        case .expired: receipt.outcome = "expired"
        }
        return receipt
    }
}

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
    /// The escrow, reservation, payment or channel it concerns.
    public var subject: String
    public var payer: PartyID
    public var payee: PartyID
    public var amount: Amount
    public var asset: Asset
    /// What happened: `locked`, `delivered`, `confirmed`, `auto_released`, `disputed`, `cancelled`,
    /// `refunded`, `expired`; for other subjects, the outcome their issue defines (e.g. `ruled`, `resolved`).
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
    /// The dispute round (1, or 2 after an appeal), on ruling, appeal and resolution receipts.
    public var round: Int?
    /// The share of the amount refunded to the payer in basis points (0–10000): one arbiter's on a
    /// `dispute.ruled` receipt, the outcome on a `dispute.resolved` one.
    public var refundBps: Int?
    /// The units refunded to the payer, on resolution receipts.
    public var refund: Amount?
    /// The transaction signature (base58) on the chain that moved the money, on receipts of on-chain
    /// settlements (`solana.settled`, `withdrawal.completed`).
    public var txSignature: String?

    /// Creates a receipt; the optional facts default to absent (absent members are left out of the leaf).
    public init(
        index: UInt64, eventSeq: UInt64, eventHash: String, kind: String, subject: String, payer: PartyID,
        payee: PartyID, amount: Amount, asset: Asset, outcome: String, at: Timestamp, deliveryLatencyMs: Int64? = nil,
        onTime: Bool? = nil, disputed: Bool = false, fee: Amount? = nil, disputeId: DisputeID? = nil, round: Int? = nil,
        refundBps: Int? = nil, refund: Amount? = nil, txSignature: String? = nil
    ) {
        self.v = Self.version
        self.index = index
        self.eventSeq = eventSeq
        self.eventHash = eventHash
        self.kind = kind
        self.subject = subject
        self.payer = payer
        self.payee = payee
        self.amount = amount
        self.asset = asset
        self.outcome = outcome
        self.at = at
        self.deliveryLatencyMs = deliveryLatencyMs
        self.onTime = onTime
        self.disputed = disputed
        self.fee = fee
        self.disputeId = disputeId
        self.round = round
        self.refundBps = refundBps
        self.refund = refund
        self.txSignature = txSignature
    }

    /// The leaf bytes: canonical JSON of the receipt (``canonicalJSON()``).
    public func leafBytes() throws(KuraError) -> [UInt8] {
        do { return try canonicalJSON() } catch {
            throw KuraError(.internalError, "receipt does not encode: \(error.reason)")
        }
    }
}

extension Receipt: CanonicalJSONWritable {
    /// Written member by member in canonical order: the same bytes as the receipt's `Encodable` form
    /// (`ReceiptLeafBytesTests` holds them to it), at a fraction of the cost; the writer derives one per receipt.
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var leaf = CanonicalObjectWriter()
        try leaf.unsigned("amount", amount.units)
        leaf.string("asset", asset.name)
        try leaf.integer("at", at.milliseconds)
        if let deliveryLatencyMs { try leaf.integer("deliveryLatencyMs", deliveryLatencyMs) }
        if let disputeId { leaf.string("disputeId", disputeId.rawValue) }
        leaf.bool("disputed", disputed)
        leaf.string("eventHash", eventHash)
        try leaf.unsigned("eventSeq", eventSeq)
        if let fee { try leaf.unsigned("fee", fee.units) }
        try leaf.unsigned("index", index)
        leaf.string("kind", kind)
        if let onTime { leaf.bool("onTime", onTime) }
        leaf.string("outcome", outcome)
        leaf.string("payee", payee.rawValue)
        leaf.string("payer", payer.rawValue)
        if let refund { try leaf.unsigned("refund", refund.units) }
        if let refundBps { try leaf.integer("refundBps", Int64(refundBps)) }
        if let round { try leaf.integer("round", Int64(round)) }
        leaf.string("subject", subject)
        if let txSignature { leaf.string("txSignature", txSignature) }
        try leaf.integer("v", Int64(v))
        return leaf.finish()
    }
}

extension Receipt {
    /// Derives the receipt of an escrow event, given the escrow as it was just before (nil for `locked`).
    /// Pure: the same event and state give the same receipt, byte for byte. Every escrow event yields one,
    /// except `escrow.resolved`, whose facts the `dispute.resolved` receipt of the same command carries.
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
            index: index, eventSeq: eventSeq, eventHash: Hex.encode(eventHash), kind: event.type,
            subject: escrow.id.rawValue, payer: terms.payer, payee: terms.payee, amount: terms.amount,
            asset: terms.asset, outcome: "", at: at, disputed: escrow.disputeId != nil)
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
        case .resolved: return nil  // the dispute's own `dispute.resolved` receipt records the outcome
        }
        return receipt
    }
}

extension Receipt {
    /// Derives the receipt of a dispute event, given the dispute as it was just before. Rulings, appeals and
    /// resolutions yield one; the opening is the escrow's `escrow.disputed` receipt, and the other steps
    /// (evidence, phases, recusals, the provisional first-round decision) yield none.
    public static func derive(
        _ event: DisputeEvent, disputeBefore dispute: Dispute, eventSeq: UInt64, eventHash: [UInt8], at: Timestamp,
        index: UInt64
    ) -> Receipt? {
        var receipt = Receipt(
            index: index, eventSeq: eventSeq, eventHash: Hex.encode(eventHash), kind: event.type,
            subject: dispute.escrowId.rawValue, payer: dispute.payer, payee: dispute.payee, amount: dispute.amount,
            asset: dispute.asset, outcome: "", at: at, disputed: true, disputeId: dispute.id)
        switch event {
        case .ruled(let ruling):
            receipt.outcome = "ruled"
            receipt.round = ruling.round
            receipt.refundBps = ruling.refundBps
        case .appealed(let appeal):
            receipt.outcome = "appealed"
            receipt.round = appeal.round
        case .resolved(let resolution):
            receipt.outcome = "resolved"
            receipt.round = resolution.round
            receipt.refundBps = resolution.refundBps
            receipt.refund = resolution.refund
            receipt.fee = resolution.fee
        case .opened, .evidenceAdded, .deliberating, .recused, .decided, .closed:
            return nil
        }
        return receipt
    }
}

extension Receipt {
    /// Derives the receipt of a channel event, given the channel as it was just before. Settlements
    /// (`amount` is what the voucher added since the last settlement) and the close (`amount` is what went
    /// back to the agent) yield one; opening, top-ups and the start of a close yield none.
    public static func derive(
        _ event: ChannelEvent, channelBefore channel: Channel, eventSeq: UInt64, eventHash: [UInt8], at: Timestamp,
        index: UInt64
    ) -> Receipt? {
        func receipt(_ amount: Amount, _ outcome: String) -> Receipt {
            Receipt(
                index: index, eventSeq: eventSeq, eventHash: Hex.encode(eventHash), kind: event.type,
                subject: channel.id.rawValue, payer: channel.agent, payee: channel.provider, amount: amount,
                asset: channel.asset, outcome: outcome, at: at)
        }
        switch event {
        case .settled(let settlement):
            var settled = receipt(settlement.amount, "settled")
            settled.fee = settlement.fee
            return settled
        case .closed(let returned, _, _):
            return receipt(returned, "closed")
        case .opened, .toppedUp, .closing:
            return nil
        }
    }
}

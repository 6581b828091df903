import KuraCrypto

/// A payment made on chain and shown to a provider as the seed dialect's `X-Payment-Receipt` (stream
/// `chain/solana/<signature>`): accepted once, and then it is `chain.settled`, one trust receipt.
public struct ChainReceipt: Codable, Sendable, Equatable {
    /// The CAIP-2 network and the transaction's signature.
    public var network: String
    public var signature: String
    /// The provider's `X-Payment-ID`, equal to the transaction's Memo.
    public var paymentId: String
    /// Who paid (the transfer's authority) and who was paid (the owner of the credited token account).
    public var payer: String
    public var payTo: String
    public var payerParty: PartyID
    public var payeeParty: PartyID
    /// The mint (as an asset) and the amount that reached `payTo`.
    public var asset: Asset
    public var amount: Amount
    /// The slot it landed in, and when Kura accepted it.
    public var slot: UInt64
    public var acceptedAt: Timestamp

    public init(
        network: String, signature: String, paymentId: String, payer: String, payTo: String, payerParty: PartyID,
        payeeParty: PartyID, asset: Asset, amount: Amount, slot: UInt64, acceptedAt: Timestamp
    ) {
        self.network = network
        self.signature = signature
        self.paymentId = paymentId
        self.payer = payer
        self.payTo = payTo
        self.payerParty = payerParty
        self.payeeParty = payeeParty
        self.asset = asset
        self.amount = amount
        self.slot = slot
        self.acceptedAt = acceptedAt
    }

    /// The stream of a transaction signature.
    public static func stream(signature: String) -> String { "chain/solana/\(signature)" }

    /// Decides acceptance: once per signature (`transfer_used` for a second use), a positive amount.
    public static func decideAccept(_ receipt: ChainReceipt, alreadyUsed: Bool) throws(KuraError) -> [ChainReceiptEvent]
    {
        guard !alreadyUsed else {
            throw KuraError(.transferUsed, "transaction \(receipt.signature) was already accepted as a receipt")
        }
        guard receipt.amount.units > 0, SolanaText.isBase58(receipt.signature, bytes: 64) else {
            throw KuraError(.transferRefused, "the receipt moves nothing")
        }
        return [.settled(receipt)]
    }
}

/// The event of ``ChainReceipt``: `chain.settled`.
public enum ChainReceiptEvent: DomainEvent, Sendable, Equatable {
    case settled(ChainReceipt)

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case settled = "chain.settled"
    }

    /// Which kind of event this is.
    public var kind: Kind { .settled }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var payload: JSONValue {
        switch self {
        case .settled(let receipt): EventPayload.encode(receipt)
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard type == Kind.settled.rawValue else { throw EventPayload.unknown(type) }
        self = .settled(try EventPayload.decode(ChainReceipt.self, from: payload, eventType: type))
    }
}

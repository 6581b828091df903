import KuraCore

/// A row of `x402_settlements`: one settled Kura-scheme authorization per (payer, nonce). The record itself
/// is KuraService's; the store keeps its canonical JSON.
public struct X402SettlementRow: Sendable, Equatable {
    public var payer: PartyID
    public var nonce: String
    /// The payment-identifier extension's `id`, unique per payer when present.
    public var paymentIdentifier: String?
    /// The `seq` of `x402.settled`.
    public var seq: UInt64
    /// The settlement record's canonical JSON text.
    public var json: String

    public init(payer: PartyID, nonce: String, paymentIdentifier: String?, seq: UInt64, json: String) {
        self.payer = payer
        self.nonce = nonce
        self.paymentIdentifier = paymentIdentifier
        self.seq = seq
        self.json = json
    }
}

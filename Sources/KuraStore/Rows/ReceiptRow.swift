import KuraCore

/// A row of `receipts`: leaf `index` of the receipt tree. `json` is the leaf itself: the receipt's canonical
/// JSON bytes, exactly as hashed into the tree.
public struct ReceiptRow: Sendable, Equatable {
    public var index: UInt64
    /// The `seq` of the event the receipt is about.
    public var seq: UInt64
    public var kind: String
    public var subject: String
    public var payer: PartyID
    public var payee: PartyID
    /// The leaf bytes (canonical JSON of the receipt).
    public var json: [UInt8]

    public init(
        index: UInt64, seq: UInt64, kind: String, subject: String, payer: PartyID, payee: PartyID, json: [UInt8]
    ) {
        self.index = index
        self.seq = seq
        self.kind = kind
        self.subject = subject
        self.payer = payer
        self.payee = payee
        self.json = json
    }
}

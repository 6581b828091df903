import KuraCore

/// A row of `chain_receipts`: an on-chain payment accepted as the seed dialect's `X-Payment-Receipt`, once
/// per transaction signature, and the `seq` of its `chain.settled`.
public struct ChainReceiptRow: Sendable, Equatable {
    public var receipt: ChainReceipt
    public var seq: UInt64

    public init(receipt: ChainReceipt, seq: UInt64) {
        self.receipt = receipt
        self.seq = seq
    }
}

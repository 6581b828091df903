import KuraCore
import KuraCrypto

/// One change to a read-model row (or to the idempotency and nonce tables), as a typed value.
///
/// A command yields these beside its events; the writer keeps the last change per ``key`` of a batch
/// (last write wins: a hot row such as the `fees` balance is written once per batch, not once per command)
/// and hands them to ``WriterSession/write(_:)``. Every change is a whole row (an upsert), never a delta.
public enum RowChange: Sendable, Equatable {
    case party(PartyRow)
    case balance(BalanceRow)
    case escrow(EscrowRow)
    case dispute(DisputeRow)
    case channel(ChannelRow)
    case payment(PaymentRow)
    case x402Settlement(X402SettlementRow)
    case reservation(ReservationRow)
    case mandate(MandateRow)
    case position(PositionRow)
    case price(PriceRow)
    case solanaPayment(SolanaPaymentRow)
    case withdrawal(WithdrawalRow)
    /// A new accepted on-chain receipt (never changed).
    case chainReceipt(ChainReceiptRow)
    /// A new receipt (leaves are never changed).
    case receipt(ReceiptRow)
    /// A new complete subtree of the receipt tree (never changed).
    case merkleNode(MerkleNode)
    case checkpoint(CheckpointRow)
    case reputationParty(ReputationPartyRow)
    case reputationPair(ReputationPairRow)
    case reputationLog(ReputationLogRow)
    case idempotency(IdempotencyRecord)
    case nonce(NonceRow)
    /// Forgets a party's nonces older than `before` (their timestamps can no longer pass the skew check).
    case expireNonces(party: PartyID, before: Int64)

    /// The row this change writes: two changes with one key collapse to the later one.
    public var key: RowKey {
        switch self {
        case .party(let row): .party(row.party.id.rawValue)
        case .balance(let row): .balance(row.account, row.asset)
        case .escrow(let row): .escrow(row.escrow.id.rawValue)
        case .dispute(let row): .dispute(row.dispute.id.rawValue)
        case .channel(let row): .channel(row.channel.id.rawValue)
        case .payment(let row): .payment(row.payment.payer.rawValue, row.payment.paymentId)
        case .x402Settlement(let row): .x402Settlement(row.payer.rawValue, row.nonce)
        case .reservation(let row): .reservation(row.reservation.id.rawValue)
        case .mandate(let row): .mandate(row.mandate.id.rawValue)
        case .position(let row): .position(row.position.id.rawValue)
        case .price(let row): .price(row.price.base.name, row.price.quote.name)
        case .solanaPayment(let row): .solanaPayment(row.messageHash)
        case .withdrawal(let row): .withdrawal(row.withdrawal.request.id.rawValue)
        case .chainReceipt(let row): .chainReceipt(row.receipt.signature)
        case .receipt(let row): .receipt(row.index)
        case .merkleNode(let node): .merkleNode(node.level, node.index)
        case .checkpoint(let row): .checkpoint(row.size, row.keyName)
        case .reputationParty(let row): .reputationParty(row.party.rawValue)
        case .reputationPair(let row): .reputationPair(row.party.rawValue, row.role.rawValue, row.counterparty.rawValue)
        case .reputationLog: .reputationLog
        case .idempotency(let row): .idempotency(row.key)
        case .nonce(let row): .nonce(row.party.rawValue, row.nonce)
        case .expireNonces(let party, _): .expireNonces(party.rawValue)
        }
    }
}

/// The identity of a row, per table.
public enum RowKey: Hashable, Sendable {
    case party(String)
    case balance(String, String)
    case escrow(String)
    case dispute(String)
    case channel(String)
    case payment(String, String)
    case x402Settlement(String, String)
    case reservation(String)
    case mandate(String)
    case position(String)
    case price(String, String)
    case solanaPayment(String)
    case withdrawal(String)
    case chainReceipt(String)
    case receipt(UInt64)
    case merkleNode(Int, UInt64)
    case checkpoint(UInt64, String)
    case reputationParty(String)
    case reputationPair(String, String, String)
    case reputationLog
    case idempotency(String)
    case nonce(String, String)
    case expireNonces(String)
}

extension RowChange {
    /// The changes with one entry per key, the last one kept, in the order each key was first changed.
    public static func collapse(_ changes: some Collection<RowChange>) -> [RowChange] {
        var position: [RowKey: Int] = [:]
        position.reserveCapacity(changes.count)
        var out: [RowChange] = []
        out.reserveCapacity(changes.count)
        for change in changes {
            let key = change.key
            if let at = position[key] {
                out[at] = change
            } else {
                position[key] = out.count
                out.append(change)
            }
        }
        return out
    }
}

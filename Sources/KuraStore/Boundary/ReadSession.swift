import KuraCore
import KuraCrypto

/// Typed questions to the log and the read models: one method per question KuraService asks.
///
/// A session is one connection used by one thread at a time: a reader connection inside
/// ``StorageBackend/read(_:_:)`` (one consistent snapshot for the whole body), or the writer's connection
/// inside its transaction (``WriterSession/reads``), where it sees the batch's own writes only after
/// ``WriterSession/write(_:)``. Both backends implement it with the shared SQL layer (``SQLReadSession``).
///
/// A missing row is `nil` (or an empty list), never an error; an error is a storage failure, or
/// `chain_broken` when a stored event does not match its hash.
public protocol ReadSession: AnyObject {
    // MARK: The log

    /// The last event's `seq` and hash (``LogHead/empty`` for an empty log).
    func head() throws(KuraError) -> LogHead
    /// Events with `seq > after`, in order, at most `limit`; each one's stored hash is checked.
    func events(after: UInt64, limit: Int) throws(KuraError) -> [Event]
    /// As ``events(after:limit:)``, for a writer's catch-up: each payload is parsed only when asked, and
    /// ``Event/payloadMember(_:)`` reads one member of it without parsing the rest.
    func tailEvents(after: UInt64, limit: Int) throws(KuraError) -> [Event]
    /// Every event of one stream, in version order; each one's stored hash is checked.
    func events(inStream stream: String) throws(KuraError) -> [Event]
    /// The stream's current version (0 when it has no events).
    func streamVersion(_ stream: String) throws(KuraError) -> UInt64
    /// Re-walks the whole chain from seq 1 (streaming; memory flat but for one integer per stream) and
    /// reports the first broken link. `progress`, if given, hears the count of events checked every 4,096
    /// events.
    func verifyChain(progress: ((UInt64) -> Void)?) throws(KuraError) -> ChainReport
    /// The recorded answer to an idempotency key.
    func idempotency(_ key: String) throws(KuraError) -> IdempotencyRecord?
    /// Whether a signed request's nonce was recorded.
    func nonceExists(party: PartyID, nonce: String) throws(KuraError) -> Bool

    // MARK: Parties and balances

    func party(_ id: PartyID) throws(KuraError) -> PartyRow?
    func party(apiKeyHash: String) throws(KuraError) -> PartyRow?
    /// The parties whose current signing key is `publicKey`, in registration order: none or one, except in a
    /// database from before keys were unique (registration and rotation now refuse a key another party holds).
    func parties(holding publicKey: Ed25519.PublicKey) throws(KuraError) -> [PartyRow]
    func partyCount() throws(KuraError) -> Int
    /// Active parties holding the arbiter role, sorted by ID (panels are drawn from these).
    func activeArbiters() throws(KuraError) -> [PartyID]
    /// The earliest registered active operator (the one `kura init` made), for local CLI use.
    func firstActiveOperator() throws(KuraError) -> Party?
    /// One balance (0 when the account has no row).
    func balance(account: String, asset: String) throws(KuraError) -> Int64
    /// Every balance row of one account, by asset.
    func balances(account: String) throws(KuraError) -> [BalanceRow]
    /// Per asset, what a payer has locked in open escrows (`locked`, `delivered`, `disputed`).
    func heldInEscrows(payer: PartyID) throws(KuraError) -> [BalanceRow]
    /// Assets whose balances do not sum to zero (`account` is empty, `units` the sum).
    func unbalancedAssets() throws(KuraError) -> [BalanceRow]
    /// Balances below zero, except `external` and position debts.
    func negativeBalances() throws(KuraError) -> [BalanceRow]
    /// Position debt accounts above zero.
    func positiveDebts() throws(KuraError) -> [BalanceRow]

    // MARK: Escrows, disputes, channels, payments

    func escrow(_ id: EscrowID) throws(KuraError) -> EscrowRow?
    /// Escrows where `party` is payer or payee, `seq < beforeSeq`, newest first, at most `limit`.
    func escrows(party: PartyID, state: Escrow.State?, beforeSeq: Int64, limit: Int) throws(KuraError) -> [EscrowRow]
    /// Open escrows whose `due_at` is at or before `now`, soonest first: IDs and states only, so that a row
    /// that does not decode is the sweeper's one failing item, not a failure of the whole tick.
    func dueEscrows(at now: Timestamp, limit: Int) throws(KuraError) -> [(id: EscrowID, state: Escrow.State)]
    func dispute(_ id: DisputeID) throws(KuraError) -> DisputeRow?
    /// Disputes, newest first: all (`member` nil) or those `member` is involved in (`seatedOnly`: on the panel).
    func disputes(member: PartyID?, seatedOnly: Bool, state: Dispute.State?, beforeSeq: Int64, limit: Int)
        throws(KuraError) -> [DisputeRow]
    /// Disputes whose `due_at` is before `now`, soonest first.
    func dueDisputes(at now: Timestamp, limit: Int) throws(KuraError) -> [DisputeID]
    func channel(_ id: ChannelID) throws(KuraError) -> ChannelRow?
    /// Open channels past their expiry (`due_at <= now`) and closing ones past their challenge period
    /// (`due_at < now`), soonest first.
    func dueChannels(at now: Timestamp, limit: Int) throws(KuraError) -> [ChannelRow]
    func payment(payer: PartyID, paymentId: String) throws(KuraError) -> PaymentRow?
    func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402SettlementRow?
    func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402SettlementRow?

    // MARK: The facilitator

    func reservation(_ id: ReservationID) throws(KuraError) -> ReservationRow?
    /// Reserved reservations whose `expiresAt` is at or before `now`, soonest first.
    func dueReservations(at now: Timestamp, limit: Int) throws(KuraError) -> [ReservationID]
    /// Reserved reservations drawing on `source` (a mandate or position ID), in `seq` order.
    func liveReservations(source: String) throws(KuraError) -> [ReservationID]
    func mandate(_ id: MandateID) throws(KuraError) -> MandateRow?
    /// Active mandates whose `expiresAt` is at or before `now`, soonest first.
    func dueMandates(at now: Timestamp, limit: Int) throws(KuraError) -> [MandateID]
    func position(_ id: PositionID) throws(KuraError) -> PositionRow?
    /// Active and frozen positions of a `pair` (``PositionRow/pair(_:_:)``), by ID.
    func positions(pair: String) throws(KuraError) -> [PositionID]
    func price(base: Asset, quote: Asset) throws(KuraError) -> PriceRow?
    /// Every price, by base then quote.
    func prices() throws(KuraError) -> [PriceRow]

    // MARK: The Solana rail

    /// The x402 `exact` payment on Solana claimed for a transaction message hash (base58).
    func solanaPayment(messageHash: String) throws(KuraError) -> SolanaPaymentRow?
    /// Payments still `submitted` (sent, outcome unknown), oldest first, at most `limit`.
    func submittedSolanaPayments(limit: Int) throws(KuraError) -> [SolanaPaymentRow]
    func withdrawal(_ id: WithdrawalID) throws(KuraError) -> WithdrawalRow?
    /// The withdrawals `party` requested of `asset` on UTC day `day` (``WithdrawalRow/day``), in any state,
    /// in `seq` order: the daily limit counts those that did not fail.
    func withdrawals(party: PartyID, asset: Asset, day: Int64) throws(KuraError) -> [WithdrawalRow]
    /// Withdrawals still `pending` (sent or about to be, outcome unknown), oldest first, at most `limit`.
    func pendingWithdrawals(limit: Int) throws(KuraError) -> [WithdrawalRow]
    /// The on-chain payment accepted as a receipt under a transaction signature (base58).
    func chainReceipt(signature: String) throws(KuraError) -> ChainReceiptRow?
    /// Whether a transaction signature (base58) is one Kura sent itself: an x402 `exact` payment it claimed
    /// (in any state) or a withdrawal (in any state).
    func isKuraTransaction(signature: String) throws(KuraError) -> Bool

    // MARK: Receipts, the tree, checkpoints

    /// The number of receipts (the tree size).
    func receiptCount() throws(KuraError) -> UInt64
    func receipt(_ index: UInt64) throws(KuraError) -> ReceiptRow?
    /// Receipts with index above `after` (−1 for all), optionally of one party (payer or payee) and one
    /// kind, in index order, at most `limit`. Public: every shape reads at most `limit` entries of each index it
    /// uses (``SQLReadSession/receiptPageSQL(party:kind:)``), never the whole table or a party's whole history.
    func receipts(after: Int64, party: PartyID?, kind: String?, limit: Int) throws(KuraError) -> [ReceiptRow]
    /// One complete-subtree hash of the receipt tree.
    func merkleNode(level: Int, index: UInt64) throws(KuraError) -> [UInt8]?
    func checkpoint(size: UInt64, keyName: String) throws(KuraError) -> CheckpointRow?
    /// The checkpoint of the largest size signed with `keyName`.
    func latestCheckpoint(keyName: String) throws(KuraError) -> CheckpointRow?

    // MARK: Reputation

    func reputationLog() throws(KuraError) -> ReputationLogRow?
    func reputationParty(_ party: PartyID) throws(KuraError) -> PartyReputation?
    func reputationPair(party: PartyID, role: ReputationRole, counterparty: PartyID) throws(KuraError) -> Evidence?
    /// The stored rows of `parties`, in few reads (a party without a row is not in the answer).
    func reputationParties(_ parties: [PartyID]) throws(KuraError) -> [ReputationPartyRow]
    /// The stored rows of `keys`, in few reads (a key without a row is not in the answer).
    func reputationPairs(_ keys: [ReputationPairRow.Key]) throws(KuraError) -> [ReputationPairRow]

    // MARK: Moving a database (`kura db copy`)

    /// Every balance row, by account and asset.
    func allBalances() throws(KuraError) -> [BalanceRow]
    /// How many idempotency records, nonces and checkpoints the database holds (counted, not read).
    func sideTableCounts() throws(KuraError) -> SideTableCounts
    /// Every idempotency record, nonce and checkpoint, each in key order: the tables that are not rebuilt from
    /// the log.
    func sideTables() throws(KuraError) -> SideTables

    // MARK: Integrity

    /// A digest of every read-model row in a fixed order and text form: equal digests mean equal projections
    /// (on either backend).
    func projectionDigest() throws(KuraError) -> String
}

extension ReadSession {
    /// ``verifyChain(progress:)`` without progress.
    public func verifyChain() throws(KuraError) -> ChainReport { try verifyChain(progress: nil) }

    /// The tree's complete-subtree hashes through this session, for ``MerkleTree`` proofs and roots.
    public var merkleNodes: ReadSessionMerkleNodes { ReadSessionMerkleNodes(session: self) }
}

/// Complete-subtree hashes of the receipt tree, read through a session.
public struct ReadSessionMerkleNodes: MerkleNodeSource {
    let session: any ReadSession

    public func hash(level: Int, index: UInt64) throws -> [UInt8] {
        guard let hash = try session.merkleNode(level: level, index: index) else {
            throw KuraError(.storageFailure, "Merkle node (\(level), \(index)) is missing")
        }
        return hash
    }
}

import KuraCore
import KuraCrypto
import KuraStore

/// What commands decide on, held in memory by the writer as typed values: parties, balances, open escrows,
/// disputes, channels, reservations, mandates (with their daily spend), positions, prices, x402 settlements,
/// Solana payments and withdrawals, recent nonces, the receipt tree's frontier and the reputation rows receipts
/// fold into.
///
/// Each cache reads its row through the writer's session on a miss (inside the write transaction, so the
/// answer is the row as of the batch's start) and remembers it. Every change is journaled per command and
/// undone if the command fails. The projection of an event (``apply(_:decoded:_:)``) is one function used by
/// live commands, by `kura replay` (a fold of the whole log) and, as invalidation, by the catch-up on a log
/// tail another process wrote. Used by the writer thread only.
final class WriterState: WriterModel {
    /// A balance's key: the account and the asset.
    struct BalanceKey: Hashable {
        let account: AccountName
        let asset: Asset
    }

    /// A reputation pair's key.
    typealias PairKey = ReputationPairRow.Key

    /// The receipt tree as the writer extends it: the frontier of what is stored, and the receipts derived in
    /// this batch, whose leaves and nodes are computed and written once, when the batch is.
    struct Tree {
        var appender: MerkleAppender
    }

    let reputationModel: ReputationModel
    let reputationModelText: String
    /// Benchmarks only (`kura bench receipts`): escrow events yield their receipts (tree, reputation) and
    /// nothing else, to measure what receipts add to an append.
    let receiptsOnly: Bool

    /// The writer session's reads (inside the batch's transaction), attached when the writer starts.
    private(set) var reads: (any ReadSession)!
    let parties: WriterCache<PartyID, PartyRow>
    /// How many parties exist (one entry, key 0).
    let partyTotal: WriterCache<Int, Int>
    /// The active arbiters, sorted (one entry, key 0): panels are drawn from these.
    let arbiters: WriterCache<Int, [PartyID]>
    let balances: WriterCache<BalanceKey, Int64>
    let escrows: WriterCache<EscrowID, EscrowRow>
    let disputes: WriterCache<DisputeID, DisputeRow>
    let channels: WriterCache<ChannelID, ChannelRow>
    let reservations: WriterCache<ReservationID, ReservationRow>
    let mandates: WriterCache<MandateID, MandateRow>
    let positions: WriterCache<PositionID, PositionRow>
    let prices: WriterCache<String, PriceRow>
    let x402ByNonce: WriterCache<String, X402SettlementRow>
    let x402ByIdentifier: WriterCache<String, X402SettlementRow>
    /// x402 `exact` payments on Solana, by transaction message hash: the claim that makes each settle once.
    let solanaPayments: WriterCache<String, SolanaPaymentRow>
    /// Withdrawals to Solana.
    let withdrawals: WriterCache<WithdrawalID, WithdrawalRow>
    /// Nonces recorded (only `true`: an unused nonce is always checked in the table, which other processes
    /// write too).
    let nonces: WriterCache<NonceRow, Bool>
    let reputationParties: WriterCache<PartyID, PartyReputation>
    let reputationPairs: WriterCache<PairKey, Evidence>
    /// The stored tree (one entry, key 0; nil until first needed).
    let tree: WriterCache<Int, Tree>
    /// Receipts derived in this batch, in index order (leaves and nodes are computed at the batch's end).
    var pendingReceipts: [(receipt: Receipt, seq: UInt64)] = []
    private var pendingMark = 0
    /// Escrows, disputes, channels and reservations that ended in this batch: dropped once it is written.
    var closed: [Closed] = []
    private var closedMark = 0
    /// Balances and escrows this batch changed (for views that lay the batch over the rows).
    var touchedBalances: [BalanceKey] = []
    var touchedEscrows: [EscrowID] = []
    private var touchedMark = (balances: 0, escrows: 0)

    enum Closed {
        case escrow(EscrowID)
        case dispute(DisputeID)
        case channel(ChannelID)
        case reservation(ReservationID)
        case solanaPayment(String)
        case withdrawal(WithdrawalID)
    }

    /// Every cache, to trim and empty them together.
    private var caches: [JournalHandle] = []
    /// The caches (indices into ``caches``) changed since the last mark: the only ones a command's end commits
    /// or undoes. Marking all of them twice per command took 6.5 % of the writer's samples in `kura bench
    /// receipts` (each handle copied retained its closures).
    private var changedCaches: [Int] = []

    /// A state with nothing loaded; `capacity` bounds each cache (the biggest hold up to about that many rows).
    init(reputationModel: ReputationModel = .standard, capacity: Int = 50_000, receiptsOnly: Bool = false) {
        self.reputationModel = reputationModel
        self.receiptsOnly = receiptsOnly
        self.reputationModelText = (try? String(decoding: RowJSON.bytes(reputationModel), as: UTF8.self)) ?? ""
        parties = WriterCache(capacity: capacity)
        arbiters = WriterCache(capacity: .max / 2)
        partyTotal = WriterCache(capacity: .max / 2)
        balances = WriterCache(capacity: capacity * 2)
        escrows = WriterCache(capacity: capacity)
        disputes = WriterCache(capacity: capacity / 4)
        channels = WriterCache(capacity: capacity / 4)
        reservations = WriterCache(capacity: capacity)
        mandates = WriterCache(capacity: capacity / 4)
        positions = WriterCache(capacity: capacity / 4)
        prices = WriterCache(capacity: 1024)
        x402ByNonce = WriterCache(capacity: capacity)
        x402ByIdentifier = WriterCache(capacity: capacity)
        solanaPayments = WriterCache(capacity: capacity / 4)
        withdrawals = WriterCache(capacity: capacity / 4)
        nonces = WriterCache(capacity: capacity)
        reputationParties = WriterCache(capacity: capacity)
        reputationPairs = WriterCache(capacity: capacity * 2)
        tree = WriterCache(capacity: .max / 2)
        caches = [
            parties.journalHandle, partyTotal.journalHandle, arbiters.journalHandle, balances.journalHandle,
            escrows.journalHandle, disputes.journalHandle, channels.journalHandle, reservations.journalHandle,
            mandates.journalHandle, positions.journalHandle, prices.journalHandle, x402ByNonce.journalHandle,
            x402ByIdentifier.journalHandle, solanaPayments.journalHandle, withdrawals.journalHandle,
            nonces.journalHandle, reputationParties.journalHandle, reputationPairs.journalHandle, tree.journalHandle,
        ]
        changedCaches.reserveCapacity(caches.count)
        for (index, cache) in caches.enumerated() {
            cache.observeFirstChange { [unowned self] in self.changedCaches.append(index) }
        }
    }

    // MARK: WriterModel

    func reset() {
        for cache in caches { cache.removeAll() }
        changedCaches.removeAll(keepingCapacity: true)
        pendingReceipts.removeAll()
        pendingMark = 0
        closed.removeAll()
        closedMark = 0
        touchedBalances.removeAll()
        touchedEscrows.removeAll()
        touchedMark = (0, 0)
    }

    func beginCommand() {
        commitChangedCaches()
        pendingMark = pendingReceipts.count
        closedMark = closed.count
        touchedMark = (touchedBalances.count, touchedEscrows.count)
    }

    func endCommand(succeeded: Bool) {
        if succeeded {
            commitChangedCaches()
        } else {
            for index in changedCaches { caches[index].undo() }
            changedCaches.removeAll(keepingCapacity: true)
            pendingReceipts.removeSubrange(pendingMark...)
            closed.removeSubrange(closedMark...)
            touchedBalances.removeSubrange(touchedMark.balances...)
            touchedEscrows.removeSubrange(touchedMark.escrows...)
        }
        pendingMark = pendingReceipts.count
        closedMark = closed.count
        touchedMark = (touchedBalances.count, touchedEscrows.count)
    }

    private func commitChangedCaches() {
        for index in changedCaches { caches[index].commit() }
        changedCaches.removeAll(keepingCapacity: true)
    }

    func trim() {
        // Ended aggregates are not decided on again (a late command on one reads its row once more).
        for entry in closed {
            switch entry {
            case .escrow(let id): escrows.invalidate(id)
            case .dispute(let id): disputes.invalidate(id)
            case .channel(let id): channels.invalidate(id)
            case .reservation(let id): reservations.invalidate(id)
            case .solanaPayment(let hash): solanaPayments.invalidate(hash)
            case .withdrawal(let id): withdrawals.invalidate(id)
            }
        }
        closed.removeAll(keepingCapacity: true)
        closedMark = 0
        touchedBalances.removeAll(keepingCapacity: true)
        touchedEscrows.removeAll(keepingCapacity: true)
        touchedMark = (0, 0)
        for cache in caches { cache.trim() }
        // Nonces matter within a batch (two requests with one nonce); after it, the table answers.
        nonces.removeAll()
    }

    func attach(_ reads: any ReadSession) { self.reads = reads }
}

/// The journal operations of one cache, so the state can mark, undo and trim them together.
///
/// Closures made where the cache's types are known, not a protocol: called through a protocol, the generic
/// cache looked up its journal's tuple type in the runtime's metadata tables on every commit of a command that
/// changed it (2.6 % of the writer's samples opening escrows, profiled).
struct JournalHandle {
    let commit: () -> Void
    let undo: () -> Void
    let trim: () -> Void
    let removeAll: () -> Void
    let observeFirstChange: (@escaping () -> Void) -> Void
}

extension WriterCache {
    /// This cache's journal operations.
    var journalHandle: JournalHandle {
        JournalHandle(
            commit: { self.commit() }, undo: { self.undo() }, trim: { self.trim() },
            removeAll: { self.removeAll() }, observeFirstChange: { self.onFirstChange = $0 })
    }
}

import KuraCore
import KuraCrypto
import KuraStore

/// Catch-up: another process (the CLI, another node) appended events since this writer's last batch and
/// wrote their rows. What can be derived from the tail cheaply is brought up to date in memory: cached
/// balances take the events' postings and the tree's frontier takes the new receipts' leaves. Everything else
/// those events touch is forgotten, so the next use reads the row again: the reputation rows of the new
/// receipts' parties, the entity of each event's stream (a Solana payment by its message hash, a withdrawal), a
/// reservation's mandate or position, the parties (and their arbiter list and count) of party events.
///
/// Why not forget it all: with several nodes on one database every batch catches up on the other nodes'
/// batches while it holds the write lock, and each forgotten balance, reputation row and frontier level was
/// one more read inside the lock (issue 16: about 25 round trips per batch, two nodes slower than one).
extension WriterState {
    func catchUp(_ events: [Event], receipts: ReceiptTail?, _ reads: any ReadSession) throws(KuraError) {
        for event in events {
            try forget(event, reads)
            for posting in try Self.postings(of: event) {
                let units = Int64(posting.amount.units)
                balances.refresh(BalanceKey(account: posting.from, asset: posting.asset)) { $0 = ($0 ?? 0) - units }
                balances.refresh(BalanceKey(account: posting.to, asset: posting.asset)) { $0 = ($0 ?? 0) + units }
            }
        }
        try catchUpTree(firstPage: receipts, reads)
    }

    var lastReceipt: Int64? {
        guard case .some(.some(let known)) = tree.cached(0) else { return nil }
        return Int64(known.appender.size) - 1
    }

    /// Forgets the entity an event's stream names, and what its projection touches besides.
    private func forget(_ event: Event, _ reads: any ReadSession) throws(KuraError) {
        // The aggregate is matched in place and only the ID copied: splitting the stream into an array of
        // strings was 2 % of a node's writer catching up on another's escrows (profiled, issue 16).
        let stream = event.stream
        guard let slash = stream.utf8.firstIndex(of: UInt8(ascii: "/")) else { return }
        let id = String(stream[stream.utf8.index(after: slash)...])
        switch stream[..<slash] {
        case "party":
            parties.invalidate(PartyID(unchecked: id))
            partyTotal.invalidate(0)
            arbiters.invalidate(0)
        case "escrow": escrows.invalidate(EscrowID(unchecked: id))
        case "dispute": disputes.invalidate(DisputeID(unchecked: id))
        case "channel": channels.invalidate(ChannelID(unchecked: id))
        case "mandate": mandates.invalidate(MandateID(unchecked: id))
        case "position": positions.invalidate(PositionID(unchecked: id))
        case "price": prices.invalidate(id)
        case "reservation":
            let reservationID = ReservationID(unchecked: id)
            // The row as the other writer left it names the mandate or position it drew on.
            for row in [try reads.reservation(reservationID), reservations.cached(reservationID) ?? nil] {
                if let mandate = row?.reservation.mandateId { mandates.invalidate(mandate) }
                if let position = row?.reservation.positionId { positions.invalidate(position) }
            }
            reservations.invalidate(reservationID)
        case "x402":
            let settlement = try typedEvent(nil, event, X402Event.init).settlement
            x402ByNonce.invalidate(settlement.payer.rawValue + "/" + settlement.nonce)
            if let identifier = settlement.paymentIdentifier {
                x402ByIdentifier.invalidate(settlement.payer.rawValue + "/" + identifier)
            }
        case "solana":
            // `solana/payment/<message hash>`.
            if id.hasPrefix("payment/") { solanaPayments.invalidate(String(id.dropFirst("payment/".count))) }
        case "withdrawal": withdrawals.invalidate(WithdrawalID(unchecked: id))
        default: break
        }
    }

    /// The ledger postings an event carries (none for events that move no money). Every event passes through
    /// here on catch-up, so a type of an aggregate this version does not know is refused here
    /// (`unknown_event_type`), as the projection refuses it on replay.
    static func postings(of event: Event) throws(KuraError) -> [Posting] {
        let type = event.type
        let known: Bool
        switch try EventAggregate(eventType: type) {
        case .escrow: known = EscrowEvent.Kind(rawValue: type) != nil
        case .account: known = FundsEvent.Kind(rawValue: type) != nil
        case .channel: known = ChannelEvent.Kind(rawValue: type) != nil
        case .payment: known = PaymentEvent.Kind(rawValue: type) != nil
        case .reservation: known = ReservationEvent.Kind(rawValue: type) != nil
        case .mandate: known = MandateEvent.Kind(rawValue: type) != nil
        case .position: known = PositionEvent.Kind(rawValue: type) != nil
        case .withdrawal: known = SolanaWithdrawalEvent.Kind(rawValue: type) != nil
        // These move no money, and their payloads are not read here; the aggregate is known, which is what the
        // writer's caches are keyed by.
        case .party, .dispute, .price, .x402, .solana, .chain: return []
        }
        guard known else { throw KuraError(.unknownEventType, "unknown event type \(type)") }
        // Every money event carries its postings as its payload's top-level `postings` (none: no such member).
        // Reading only them costs a fraction of decoding the whole event, and with two nodes each one decodes
        // every event of the other inside the write lock (issue 16: 4 % of both nodes' CPU for escrow opens).
        var postings: [Posting] = []
        if let raw = try event.payloadMember("postings") {
            guard case .array(let items) = raw else {
                throw KuraError(.internalError, "\(type) at \(event.seq): postings is not an array")
            }
            postings.reserveCapacity(items.count)
            do {
                for item in items { postings.append(try Posting(json: item)) }
            } catch {
                throw KuraError(.internalError, "\(type) at \(event.seq): postings: \(error.detail)")
            }
        }
        assert(
            postings == (try? decodedPostings(event)),
            "\(type) at \(event.seq): the payload's postings differ from the decoded event's")
        return postings
    }

    /// The postings of a money event by its full decoding: what the projection posts (debug builds compare).
    private static func decodedPostings(_ event: Event) throws(KuraError) -> [Posting] {
        let (type, payload) = (event.type, event.payload)
        switch try EventAggregate(eventType: type) {
        case .escrow: return try EscrowEvent(type: type, payload: payload).postings
        case .account: return try FundsEvent(type: type, payload: payload).postings
        case .channel: return try ChannelEvent(type: type, payload: payload).postings
        case .payment: return try PaymentEvent(type: type, payload: payload).postings
        case .reservation: return try ReservationEvent(type: type, payload: payload).postings
        case .mandate: return try MandateEvent(type: type, payload: payload).postings
        case .position: return try PositionEvent(type: type, payload: payload).postings
        case .withdrawal: return try SolanaWithdrawalEvent(type: type, payload: payload).postings
        case .party, .dispute, .price, .x402, .solana, .chain: return []
        }
    }

    /// Extends the cached frontier with the receipts stored since (their leaves are the rows' bytes) and reads
    /// the cached reputation rows they changed again, all at once. A gap in the indexes, or a tree never
    /// loaded, drops what is derived from it: the next use reads the frontier and the rows again. `firstPage`:
    /// the receipts after ``lastReceipt`` and the rows they name, when the backend read them with the lock.
    private func catchUpTree(firstPage: ReceiptTail?, _ reads: any ReadSession) throws(KuraError) {
        guard case .some(.some(var known)) = tree.cached(0) else {
            reputationParties.removeAll()
            reputationPairs.removeAll()
            return
        }
        let pageSize = BatchStart.tailPageSize
        var after = Int64(known.appender.size) - 1
        var prefetched = firstPage?.receipts
        var changed: (parties: Set<PartyID>, pairs: Set<PairKey>) = ([], [])
        while true {
            let page: [ReceiptRow]
            if let first = prefetched {
                page = first
                prefetched = nil
            } else {
                page = try reads.receipts(after: after, party: nil, kind: nil, limit: pageSize)
            }
            for row in page {
                guard row.index == known.appender.size else {
                    tree.invalidate(0)
                    reputationParties.removeAll()
                    reputationPairs.removeAll()
                    return
                }
                for (party, role, counterparty) in ReputationFold.roles(payer: row.payer, payee: row.payee) {
                    changed.parties.insert(party)
                    changed.pairs.insert(PairKey(party: party, role: role, counterparty: counterparty))
                }
                known.appender.append(leaf: row.json)
            }
            guard page.count == pageSize, let last = page.last else { break }
            after = Int64(last.index)
        }
        tree.refresh(0) { $0 = known }
        if let firstPage, firstPage.isComplete {
            refreshReputation(changed.parties, changed.pairs, parties: firstPage.parties, pairs: firstPage.pairs)
        } else {
            try reloadReputation(changed.parties, changed.pairs, reads)
        }
    }

    /// Reads again the cached reputation rows that receipts another writer stored have changed (by the rows'
    /// party columns, ``ReputationFold/roles(payer:payee:)``): one read per table for all of them, when the
    /// backend did not read them with the lock. Folding
    /// those receipts here instead meant decoding each one inside the write lock, and forgetting the rows
    /// meant one read per row when next used (issue 16: four reads per batch with two nodes). A row not
    /// cached stays unknown.
    private func reloadReputation(_ parties: Set<PartyID>, _ pairs: Set<PairKey>, _ reads: any ReadSession)
        throws(KuraError)
    {
        let cachedParties = parties.filter { reputationParties.cached($0) != nil }
        let cachedPairs = pairs.filter { reputationPairs.cached($0) != nil }
        refreshReputation(
            cachedParties, cachedPairs,
            parties: cachedParties.isEmpty ? [] : try reads.reputationParties(Array(cachedParties)),
            pairs: cachedPairs.isEmpty ? [] : try reads.reputationPairs(Array(cachedPairs)))
    }

    /// Sets each cached row of `parties` and `pairs` to what the database holds: `storedParties` and
    /// `storedPairs` hold every stored row of those keys (and maybe more); a key without one has no row.
    private func refreshReputation(
        _ parties: Set<PartyID>, _ pairs: Set<PairKey>, parties storedParties: [ReputationPartyRow],
        pairs storedPairs: [ReputationPairRow]
    ) {
        var stored: [PartyID: PartyReputation] = [:]
        for row in storedParties { stored[row.party] = row.state }
        for party in parties { reputationParties.refresh(party) { $0 = stored[party] } }
        var storedEvidence: [PairKey: Evidence] = [:]
        for row in storedPairs { storedEvidence[row.key] = row.evidence }
        for key in pairs { reputationPairs.refresh(key) { $0 = storedEvidence[key] } }
    }
}

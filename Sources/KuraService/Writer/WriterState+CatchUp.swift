import KuraCore
import KuraCrypto
import KuraStore

/// Catch-up: another process (the CLI, another node) appended events since this writer's last batch and
/// wrote their rows. Whatever those events touch is forgotten, so the next use reads the row again: the
/// entity of each event's stream (a Solana payment by its message hash, a withdrawal), the accounts of its
/// postings, a reservation's mandate or position, the parties (and their arbiter list and count) of party
/// events, and the reputation rows of the receipts they added. The tree's frontier is read again at once (O(log n) hashes).
extension WriterState {
    func catchUp(_ events: [Event], _ reads: any ReadSession) throws(KuraError) {
        for event in events {
            try forget(event, reads)
            for posting in try Self.postings(of: event) {
                balances.invalidate(BalanceKey(account: posting.from, asset: posting.asset))
                balances.invalidate(BalanceKey(account: posting.to, asset: posting.asset))
            }
        }
        try reloadTree(reads)
    }

    /// Forgets the entity an event's stream names, and what its projection touches besides.
    private func forget(_ event: Event, _ reads: any ReadSession) throws(KuraError) {
        let parts = event.stream.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let id = parts[1]
        switch parts[0] {
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
        // These move no money, and their payloads are not read here (catch-up stays one parse per money event);
        // the aggregate is known, which is what the writer's caches are keyed by.
        case .party, .dispute, .price, .x402, .solana, .chain: return []
        }
    }

    /// If the stored tree grew, forgets the reputation rows of the new receipts' parties and reads the frontier
    /// again.
    private func reloadTree(_ reads: any ReadSession) throws(KuraError) {
        guard case .some(.some(let known)) = tree.cached(0) else {
            // Never loaded since the last reset: nothing derived from it is cached.
            reputationParties.removeAll()
            reputationPairs.removeAll()
            return
        }
        let stored = try reads.receiptCount()
        guard stored != known.appender.size else { return }
        var after = Int64(known.appender.size) - 1
        while true {
            let page = try reads.receipts(after: after, party: nil, kind: nil, limit: 1000)
            guard let last = page.last else { break }
            for row in page {
                for (party, role, counterparty) in ReputationFold.roles(of: try RowJSON.decode(Receipt.self, row.json))
                {
                    reputationParties.invalidate(party)
                    reputationPairs.invalidate(PairKey(party: party, role: role, counterparty: counterparty))
                }
            }
            after = Int64(last.index)
        }
        tree.invalidate(0)
        _ = try storedTree()
    }
}

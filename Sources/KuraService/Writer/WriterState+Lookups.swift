import KuraCore
import KuraCrypto
import KuraStore

/// The questions commands ask, answered from memory (a miss reads the row inside the write transaction).
extension WriterState {
    // MARK: Parties

    func partyRow(_ id: PartyID) throws(KuraError) -> PartyRow? {
        try parties.value(id) { () throws(KuraError) -> PartyRow? in try reads.party(id) }
    }

    func party(_ id: PartyID) throws(KuraError) -> Party? { try partyRow(id)?.party }

    /// The party, or `not_found`.
    func requireParty(_ id: PartyID) throws(KuraError) -> Party {
        guard let party = try party(id) else { throw KuraError(.notFound, "no party \(id)") }
        return party
    }

    /// The party, which must exist (`not_found`) and be active (`party_inactive`): the agent a mandate or a
    /// position is made for.
    func requireActiveParty(_ id: PartyID) throws(KuraError) -> Party {
        let party = try requireParty(id)
        guard party.status == .active else { throw KuraError(.partyInactive, "\(id) is not active") }
        return party
    }

    /// Refuses unless the principal still is what authenticated it: an active party and, when it used an API key
    /// or a signed request, a key that is still the party's. The same answers as authentication gives. (Its
    /// party's other fields may be a moment old: commands read those from the state.)
    func requireCurrent(_ principal: Principal) throws(KuraError) {
        guard let row = try partyRow(principal.id) else {
            throw KuraError(.unauthenticated, "unknown party \(principal.id)")
        }
        if let hash = principal.apiKeyHash, row.apiKeyHash != hash {
            throw KuraError(.unauthenticated, "unknown API key")
        }
        if let key = principal.signingKey, row.party.publicKey != key {
            throw KuraError(.unauthenticated, "Kura-Signature's key is no longer \(principal.id)'s")
        }
        guard row.party.status == .active else {
            throw KuraError(.forbidden, "\(principal.id) is \(row.party.status.rawValue)")
        }
    }

    /// Refuses unless the principal is, right now, an active party.
    func requireActive(_ principal: Principal) throws(KuraError) {
        guard let current = try party(principal.id), current.status == .active else {
            throw KuraError(.forbidden, "\(principal.id) is not active")
        }
    }

    /// Refuses unless the principal is, right now, an active party with `role`.
    func requireRole(_ role: Party.Role, _ principal: Principal, _ what: String) throws(KuraError) {
        guard let current = try party(principal.id), current.canAct(as: role) else {
            throw KuraError(.forbidden, "only an active \(role.rawValue) may \(what)")
        }
    }

    /// Refuses unless the principal is `party` itself or, right now, an active operator.
    func requireSelfOrOperator(_ principal: Principal, _ party: PartyID, _ what: String) throws(KuraError) {
        if principal.id == party { return }
        try requireRole(.operator, principal, what)
    }

    /// Whether the principal is, right now, an active operator.
    func isOperator(_ principal: Principal) throws(KuraError) -> Bool {
        try party(principal.id)?.canAct(as: .operator) ?? false
    }

    /// The parties whose current signing key is `publicKey`, in registration order (none or one, but for a
    /// database from before keys were unique). The rows as of the batch's start, with every cached party laid
    /// over them: the cache holds each party this batch registered or changed, so a key registered or rotated
    /// earlier in the batch is seen, and one rotated away is not.
    func parties(holding publicKey: Ed25519.PublicKey) throws(KuraError) -> [PartyID] {
        var holders: [PartyID: UInt64] = [:]
        for row in try reads.parties(holding: publicKey) { holders[row.party.id] = row.seq }
        for (id, row) in parties.entries {
            if let row, row.party.publicKey == publicKey { holders[id] = row.seq } else { holders[id] = nil }
        }
        return holders.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
    }

    /// How many parties exist, this batch's registrations included.
    func partyCount() throws(KuraError) -> Int {
        try partyTotal.value(0) { () throws(KuraError) -> Int? in try reads.partyCount() } ?? 0
    }

    /// Active parties with the arbiter role, sorted by ID. Loaded as ``parties(holding:)`` is: the rows as of
    /// the batch's start, with every cached party laid over them (a party this batch registered or changed is
    /// not a row yet). The load is recorded as a change, so a refused command that changed a party before it
    /// drew a panel does not leave the list holding that change.
    func activeArbiters() throws(KuraError) -> [PartyID] {
        if case .some(let list) = arbiters.cached(0) { return list ?? [] }
        var active = Set(try reads.activeArbiters())
        for (id, row) in parties.entries {
            if let row, row.party.canAct(as: .arbiter) { active.insert(id) } else { active.remove(id) }
        }
        let list = active.sorted()
        arbiters.set(0, list)
        return list
    }

    // MARK: Balances

    func balance(_ account: AccountName, _ asset: Asset) throws(KuraError) -> Int64 {
        try balances.value(BalanceKey(account: account, asset: asset)) { () throws(KuraError) -> Int64? in
            // An open escrow's or reservation's hold is its row's amount, read through the writer's own cache
            // (the command deciding on it has usually just read that row).
            switch account {
            case .escrowHeld(let id): try escrow(id)?.escrow.held(in: asset)
            case .reservationHeld(let id): try reservation(id)?.reservation.held(in: asset)
            default: try reads.balance(account: account.rawValue, asset: asset.name)
            }
        } ?? 0
    }

    /// A party's available balance.
    func available(_ party: PartyID, _ asset: Asset) throws(KuraError) -> Amount {
        let units = try balance(.available(party), asset)
        guard units >= 0 else { throw KuraError(.internalError, "negative available balance for \(party)") }
        return try Amount(units: UInt64(units))
    }

    // MARK: Aggregates

    func escrow(_ id: EscrowID) throws(KuraError) -> EscrowRow? {
        try escrows.value(id) { () throws(KuraError) -> EscrowRow? in try reads.escrow(id) }
    }

    func dispute(_ id: DisputeID) throws(KuraError) -> DisputeRow? {
        try disputes.value(id) { () throws(KuraError) -> DisputeRow? in try reads.dispute(id) }
    }

    func channel(_ id: ChannelID) throws(KuraError) -> ChannelRow? {
        try channels.value(id) { () throws(KuraError) -> ChannelRow? in try reads.channel(id) }
    }

    func reservation(_ id: ReservationID) throws(KuraError) -> ReservationRow? {
        try reservations.value(id) { () throws(KuraError) -> ReservationRow? in try reads.reservation(id) }
    }

    func mandate(_ id: MandateID) throws(KuraError) -> MandateRow? {
        try mandates.value(id) { () throws(KuraError) -> MandateRow? in try reads.mandate(id) }
    }

    func position(_ id: PositionID) throws(KuraError) -> PositionRow? {
        try positions.value(id) { () throws(KuraError) -> PositionRow? in try reads.position(id) }
    }

    func price(base: Asset, quote: Asset) throws(KuraError) -> PriceRow? {
        try prices.value(PositionRow.pair(base, quote)) { () throws(KuraError) -> PriceRow? in
            try reads.price(base: base, quote: quote)
        }
    }

    func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402SettlementRow? {
        try x402ByNonce.value(payer.rawValue + "/" + nonce) { () throws(KuraError) -> X402SettlementRow? in
            try reads.x402Settlement(payer: payer, nonce: nonce)
        }
    }

    func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402SettlementRow? {
        try x402ByIdentifier.value(payer.rawValue + "/" + identifier) { () throws(KuraError) -> X402SettlementRow? in
            try reads.x402Settlement(payer: payer, identifier: identifier)
        }
    }

    /// Whether a signed request's nonce was already recorded (by this batch, or by anyone before it).
    func nonceUsed(_ row: NonceRow) throws(KuraError) -> Bool {
        if case .some(.some(true)) = nonces.cached(row) { return true }
        return try reads.nonceExists(party: row.party, nonce: row.nonce)
    }

    // MARK: Scans, with this batch's changes laid over the rows

    /// Active and frozen positions of a pair, by ID: the rows as of the batch's start, and every position this
    /// batch changed (those are all cached), each judged by its current state.
    func positionIDs(pair: String) throws(KuraError) -> [PositionID] {
        var ids = Set(try reads.positions(pair: pair))
        for (id, row) in positions.entries where row?.pair == pair { ids.insert(id) }
        var live: [PositionID] = []
        for id in ids.sorted() {
            guard let state = try position(id)?.position.state, state == .active || state == .frozen else { continue }
            live.append(id)
        }
        return live
    }

    /// Reserved reservations drawing on `source`, in `seq` order, this batch's changes included.
    func liveReservationIDs(source: String) throws(KuraError) -> [ReservationID] {
        var ids = Set(try reads.liveReservations(source: source))
        for (id, row) in reservations.entries where row?.source == source { ids.insert(id) }
        var live: [(UInt64, ReservationID)] = []
        for id in ids {
            guard let row = try reservation(id), row.reservation.state == .reserved else { continue }
            live.append((row.seq, id))
        }
        return live.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

extension WriterState {
    /// A party's balances as of the commands so far in this batch: the rows as of its start, with every
    /// balance and escrow the batch changed laid over them.
    func accountView(_ party: PartyID) throws(KuraError) -> AccountView {
        let account = AccountName.available(party)
        var available: [String: Int64] = [:]
        for row in try reads.balances(account: account.rawValue) { available[row.asset] = row.units }
        for key in touchedBalances where key.account == account {
            available[key.asset.name] = try balance(account, key.asset)
        }
        var held: [String: Int64] = [:]
        for row in try reads.heldInEscrows(payer: party) { held[row.asset] = row.units }
        func holding(_ escrow: Escrow?) -> (String, Int64)? {
            guard let escrow, escrow.terms.payer == party else { return nil }
            return (escrow.terms.asset.name, escrow.held(in: escrow.terms.asset))
        }
        for id in Set(touchedEscrows) {
            if let (asset, units) = holding(try reads.escrow(id)?.escrow) { held[asset, default: 0] -= units }
            if let (asset, units) = holding(try escrow(id)?.escrow) { held[asset, default: 0] += units }
        }
        let assets = Set(available.keys).union(held.keys.filter { held[$0] != 0 || available[$0] != nil })
        let balances = try assets.sorted().map { name throws(KuraError) in
            AccountView.Balance(
                asset: try Asset(name),
                available: try KuraService.shown(available[name] ?? 0, "available", party, name),
                held: try KuraService.shown(held[name] ?? 0, "held", party, name))
        }
        return AccountView(party: party, balances: balances)
    }
}

extension WriterState {
    /// Records a signed request's nonce (refusing one already used) and forgets the party's nonces older than
    /// `horizon`: their timestamps can never pass the skew check again.
    func recordNonce(_ nonce: NonceRow, forgettingBefore horizon: Int64, _ tx: WriteTransaction) throws(KuraError) {
        if try nonceUsed(nonce) { throw KuraError(.unauthenticated, "Kura-Nonce was already used") }
        nonces.set(nonce, true)
        tx.change(.nonce(nonce))
        tx.change(.expireNonces(party: nonce.party, before: horizon))
    }
}

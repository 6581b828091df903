import KuraCore
import KuraCrypto
import KuraStore

/// The projection: how one event changes the state and the read-model rows. The same function serves live
/// commands, `kura replay` (a fold of the whole log) and, through the streams and accounts it names, the
/// catch-up's invalidation.
extension WriterState {
    func apply(_ event: Event, decoded: (any DomainEvent)?, _ tx: WriteTransaction) throws(KuraError) {
        // No `default:`: a type of an aggregate this version does not know is refused (`unknown_event_type`),
        // never skipped, and so is an unknown type of a known one (each aggregate's reader refuses it).
        switch try EventAggregate(eventType: event.type) {
        case .escrow: try applyEscrow(try typedEvent(decoded, event, EscrowEvent.init), event, tx)
        case .party: try applyParty(try typedEvent(decoded, event, PartyEvent.init), event, tx)
        case .account: try post(try typedEvent(decoded, event, FundsEvent.init).postings, of: event, tx)
        case .dispute: try applyDispute(try typedEvent(decoded, event, DisputeEvent.init), event, tx)
        case .channel:
            let typed = try typedEvent(decoded, event, ChannelEvent.init)
            try post(typed.postings, of: event, tx)
            try applyChannel(typed, event, tx)
        case .payment:
            let typed = try typedEvent(decoded, event, PaymentEvent.init)
            try post(typed.postings, of: event, tx)
            try applyPayment(typed, event, tx)
        case .reservation:
            let typed = try typedEvent(decoded, event, ReservationEvent.init)
            try post(typed.postings, of: event, tx)
            try applyReservation(typed, event, tx)
        case .mandate:
            let typed = try typedEvent(decoded, event, MandateEvent.init)
            try post(typed.postings, of: event, tx)
            try applyMandate(typed, event, tx)
        case .position:
            let typed = try typedEvent(decoded, event, PositionEvent.init)
            try post(typed.postings, of: event, tx)
            try applyPosition(typed, event, tx)
        case .price:
            guard case .posted(let price) = try typedEvent(decoded, event, PriceEvent.init) else { return }
            let row = PriceRow(price: price, seq: event.seq)
            prices.set(PositionRow.pair(price.base, price.quote), row)
            tx.change(.price(row))
        case .x402: try applyX402(try typedEvent(decoded, event, X402Event.init), event, tx)
        case .solana: try applySolanaPayment(try typedEvent(decoded, event, SolanaPaymentEvent.init), event, tx)
        case .withdrawal:
            let typed = try typedEvent(decoded, event, SolanaWithdrawalEvent.init)
            try post(typed.postings, of: event, tx)
            try applyWithdrawal(typed, event, tx)
        case .chain: try applyChainReceipt(try typedEvent(decoded, event, ChainReceiptEvent.init), event, tx)
        }
    }

    // MARK: The ledger

    /// Moves each posting's amount between two balances, and records both rows' new values.
    func post(_ postings: [Posting], of envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        if envelope.version == 1 { openAccounts(postings, ownedBy: envelope.stream) }
        #if DEBUG
            // Double entry, asserted where the balances change (TigerBeetle-style, debug and test builds), not
            // only by the ledger checks after the fact: the accounts an event touches hold, per asset, the same
            // total after its postings as before.
            let keys = Set(
                postings.flatMap {
                    [BalanceKey(account: $0.from, asset: $0.asset), .init(account: $0.to, asset: $0.asset)]
                })
            func totals() throws(KuraError) -> [Asset: Int64] {
                var sums: [Asset: Int64] = [:]
                for key in keys { sums[key.asset, default: 0] += try balance(key.account, key.asset) }
                return sums
            }
            let before = try totals()
        #endif
        for posting in postings {
            let units = Int64(posting.amount.units)
            try add(-units, to: posting.from, posting.asset, tx)
            try add(units, to: posting.to, posting.asset, tx)
        }
        #if DEBUG
            let after = try totals()
            assert(after == before, "postings do not balance: \(before) before, \(after) after")
        #endif
    }

    /// The accounts an entity holds money in (an escrow's, a reservation's, …) are named by its identifier,
    /// which the command of its stream's first event derived from its seq: nothing can have posted to them
    /// before that event, so their balances are known to be absent without a read (on PostgreSQL one round
    /// trip per new escrow inside the write lock).
    private func openAccounts(_ postings: [Posting], ownedBy stream: String) {
        for posting in postings {
            for account in [posting.from, posting.to] where Self.stream(owning: account) == stream {
                _ = balances.value(BalanceKey(account: account, asset: posting.asset)) { nil }
            }
        }
    }

    /// The stream of the entity an account belongs to, for the accounts named by one entity's identifier.
    static func stream(owning account: AccountName) -> String? {
        switch account {
        case .escrowHeld(let id): "escrow/\(id)"
        case .reservationHeld(let id): "reservation/\(id)"
        case .channelHeld(let id): "channel/\(id)"
        case .mandateFunds(let id): "mandate/\(id)"
        case .positionCollateral(let id), .positionDebt(let id): "position/\(id)"
        case .withdrawalPending(let id): SolanaWithdrawal.stream(id)
        case .available, .fees, .external: nil
        }
    }

    /// A hold kept on its aggregate's row (``AccountName/isKeptOnItsAggregate``) must be what the postings left in
    /// it, in debug and test builds: an event that moved part of a hold, or moved it without ending the escrow or
    /// reservation, would otherwise drift unseen until the ledger check.
    func assertHoldKept(_ account: AccountName, _ asset: Asset, _ fromRow: Int64) {
        #if DEBUG
            if case .some(.some(let posted)) = balances.cached(BalanceKey(account: account, asset: asset)) {
                assert(posted == fromRow, "\(account): the postings left \(posted), the row says \(fromRow)")
            }
        #endif
    }

    private func add(_ delta: Int64, to account: AccountName, _ asset: Asset, _ tx: WriteTransaction)
        throws(KuraError)
    {
        let (value, overflow) = try balance(account, asset).addingReportingOverflow(delta)
        // A balance a party or an escrow holds is an amount (at most 2^53 − 1, exact in any JSON number): past it no
        // answer could show it and no command could move it again, so the command that would take it there is
        // refused. `external` and a position's debt count against them, below zero, and only must not overflow.
        guard !overflow, account.mayBeNegative || value <= Int64(Amount.maxUnits) else {
            throw KuraError(
                .capExceeded,
                "\(account) would hold more than \(Amount.maxUnits) \(asset.name), the most an amount can be")
        }
        // Commands check funds before they debit, so only a bug in a decide (or a damaged row) gets a balance
        // below zero: `external` (net deposits) and a position's debt are the accounts allowed there, and a
        // debt is never above zero.
        assert(value >= 0 || account.mayBeNegative, "\(account) would hold \(value) \(asset)")
        if case .positionDebt = account { assert(value <= 0, "\(account) would hold \(value) \(asset), above zero") }
        let key = BalanceKey(account: account, asset: asset)
        balances.set(key, value)
        // A hold kept on its aggregate's row is written with that row (the escrow or reservation this event changes).
        if account.isKeptOnItsAggregate { return }
        touchedBalances.append(key)
        tx.change(.balance(BalanceRow(account: account.rawValue, asset: asset.name, units: value)))
    }

    // MARK: Parties

    private func applyParty(_ event: PartyEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        let row: PartyRow
        switch event {
        case .registered(let party, let apiKeyHash):
            row = PartyRow(party: party, seq: envelope.seq, apiKeyHash: apiKeyHash)
            partyTotal.set(0, try partyCount() + 1)
        case .statusChanged, .keyRotated:
            let id = PartyID(unchecked: String(envelope.stream.dropFirst("party/".count)))
            guard var existing = try partyRow(id) else { return }
            existing.party.apply(event)
            row = existing
        case .apiKeyRotated(let apiKeyHash):
            // The old key stops at once: authentication looks the hash up in this row.
            let id = PartyID(unchecked: String(envelope.stream.dropFirst("party/".count)))
            guard var existing = try partyRow(id) else { return }
            existing.apiKeyHash = apiKeyHash
            row = existing
        }
        parties.set(row.party.id, row)
        tx.change(.party(row))
        // The arbiters list follows every party change (it is loaded only when a panel is drawn).
        if case .some(.some(var list)) = arbiters.cached(0) {
            list.removeAll { $0 == row.party.id }
            if row.party.canAct(as: .arbiter) {
                list.append(row.party.id)
                list.sort()
            }
            arbiters.set(0, list)
        }
    }

    // MARK: Escrows

    /// When the sweeper should look at an escrow: after the delivery deadline while locked, at the end of the
    /// confirm window once delivered; never otherwise.
    static func dueAt(_ escrow: Escrow) -> Timestamp? {
        switch escrow.state {
        case .locked: escrow.terms.deliverBy.adding(milliseconds: 1)
        case .delivered:
            (escrow.deliveredAt ?? escrow.terms.lockedAt).adding(milliseconds: escrow.terms.confirmWindowMs)
        default: nil
        }
    }

    private func applyEscrow(_ event: EscrowEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        if receiptsOnly, case .locked = event {
            try appendReceipt(envelope, tx) { index in
                Receipt.derive(
                    event, escrowBefore: nil, eventSeq: envelope.seq, eventHash: envelope.hash, at: envelope.at,
                    index: index)
            }
            return
        }
        try post(event.postings, of: envelope, tx)
        let id = EscrowID(unchecked: String(envelope.stream.dropFirst("escrow/".count)))
        var row: EscrowRow
        if case .locked = event {
            try appendReceipt(envelope, tx) { index in
                Receipt.derive(
                    event, escrowBefore: nil, eventSeq: envelope.seq, eventHash: envelope.hash, at: envelope.at,
                    index: index)
            }
            guard let escrow = Escrow.fold([event]) else { return }
            row = EscrowRow(escrow: escrow, seq: envelope.seq, dueAt: nil)
        } else {
            guard let existing = try escrow(id) else { return }
            row = existing
            try appendReceipt(envelope, tx) { index in
                Receipt.derive(
                    event, escrowBefore: existing.escrow, eventSeq: envelope.seq, eventHash: envelope.hash,
                    at: envelope.at, index: index)
            }
            row.escrow.apply(event)
        }
        row.dueAt = Self.dueAt(row.escrow)
        assertHoldKept(.escrowHeld(id), row.escrow.terms.asset, row.escrow.held(in: row.escrow.terms.asset))
        escrows.set(id, row)
        touchedEscrows.append(id)
        tx.change(.escrow(row))
        if row.escrow.state.isTerminal { closed.append(.escrow(id)) }
    }

    // MARK: Disputes

    private func applyDispute(_ event: DisputeEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        let id = DisputeID(unchecked: String(envelope.stream.dropFirst("dispute/".count)))
        var row: DisputeRow
        if case .opened = event {
            guard let opened = Dispute.fold([event]) else { return }
            row = DisputeRow(dispute: opened, seq: envelope.seq)
        } else {
            guard let existing = try dispute(id) else { return }
            row = existing
            try appendReceipt(envelope, tx) { index in
                Receipt.derive(
                    event, disputeBefore: existing.dispute, eventSeq: envelope.seq, eventHash: envelope.hash,
                    at: envelope.at, index: index)
            }
            row.dispute.apply(event)
        }
        let dispute = row.dispute
        var members: [PartyID: Bool] = [:]
        for party in [dispute.payer, dispute.payee] + dispute.formerPanel + dispute.recused { members[party] = false }
        for arbiter in dispute.panel { members[arbiter] = true }
        row.members = members.map { DisputeMember(party: $0.key, seated: $0.value) }.sorted {
            $0.party < $1.party
        }
        disputes.set(id, row)
        tx.change(.dispute(row))
        if !dispute.state.isOpen { closed.append(.dispute(id)) }
    }

    // MARK: Channels and payments

    private func applyChannel(_ event: ChannelEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        let id = ChannelID(unchecked: String(envelope.stream.dropFirst("channel/".count)))
        var row: ChannelRow
        if case .opened = event {
            guard let opened = Channel.fold([event]) else { return }
            row = ChannelRow(channel: opened, seq: envelope.seq)
        } else {
            guard let existing = try channel(id) else { return }
            row = existing
            try appendReceipt(envelope, tx) { index in
                Receipt.derive(
                    event, channelBefore: existing.channel, eventSeq: envelope.seq, eventHash: envelope.hash,
                    at: envelope.at, index: index)
            }
            row.channel.apply(event)
        }
        channels.set(id, row)
        tx.change(.channel(row))
        if row.channel.state == .closed { closed.append(.channel(id)) }
    }

    private func applyPayment(_ event: PaymentEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        let payment = event.payment
        tx.change(.payment(PaymentRow(payment: payment, seq: envelope.seq)))
        try appendReceipt(envelope, tx) { index in
            Receipt(
                index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: event.type,
                subject: payment.id.rawValue, payer: payment.payer, payee: payment.payee, amount: payment.amount,
                asset: payment.asset, outcome: "settled", at: envelope.at)
        }
    }

    private func applyX402(_ event: X402Event, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        let settlement = event.settlement
        let row = X402SettlementRow(
            payer: settlement.payer, nonce: settlement.nonce, paymentIdentifier: settlement.paymentIdentifier,
            seq: envelope.seq, json: String(decoding: try RowJSON.bytes(settlement), as: UTF8.self))
        x402ByNonce.set(settlement.payer.rawValue + "/" + settlement.nonce, row)
        if let identifier = settlement.paymentIdentifier {
            x402ByIdentifier.set(settlement.payer.rawValue + "/" + identifier, row)
        }
        tx.change(.x402Settlement(row))
    }

    // MARK: The facilitator

    private func applyReservation(_ typed: ReservationEvent, _ event: Event, _ tx: WriteTransaction)
        throws(KuraError)
    {
        let id = ReservationID(unchecked: String(event.stream.dropFirst("reservation/".count)))
        // `reservation.reserved` opens its stream, so there is no row to read yet: looking it up missed the cache
        // and read the database on every verify (2 % of the writer's samples on facilitator pairs).
        let opens: Bool
        if case .reserved = typed { opens = event.version == 1 } else { opens = false }
        let before = opens ? nil : try reservation(id)
        try appendReceipt(event, tx) { index in
            Receipt.derive(
                typed, reservationBefore: before?.reservation, eventSeq: event.seq, eventHash: event.hash,
                at: event.at, index: index)
        }
        var row: ReservationRow
        if case .reserved(let reservation, _) = typed {
            row = ReservationRow(reservation: reservation, seq: event.seq)
        } else {
            guard let existing = before else { return }
            row = existing
            row.reservation.apply(typed)
            if case .settled(let record, let txSignature, _) = typed {
                row.settlement = ReservationSettleResponse(
                    txSignature: txSignature, billableEventId: event.id, settledAt: record.settledAt,
                    amount: record.amount, lane: row.reservation.lane, idempotent: false)
            }
        }
        assertHoldKept(.reservationHeld(id), row.reservation.asset, row.reservation.held(in: row.reservation.asset))
        reservations.set(id, row)
        tx.change(.reservation(row))
        if row.reservation.state != .reserved { closed.append(.reservation(id)) }
        let after = row.reservation
        // A settle changes nothing in a mandate (the hold already left it), so its row is not rewritten.
        var settles = false
        if case .settled = typed { settles = true }
        if !settles, let mandateId = after.mandateId, var mandate = try mandate(mandateId) {
            mandate.mandate.apply(typed, reservation: before?.reservation)
            mandates.set(mandateId, mandate)
            tx.change(.mandate(mandate))
        }
        if let positionId = after.positionId, var position = try position(positionId) {
            position.position.apply(typed, reservation: before?.reservation)
            positions.set(positionId, position)
            tx.change(.position(position))
        }
    }

    private func applyMandate(_ typed: MandateEvent, _ event: Event, _ tx: WriteTransaction) throws(KuraError) {
        var row: MandateRow
        if case .created = typed {
            guard let mandate = Mandate.fold([typed]) else { return }
            row = MandateRow(mandate: mandate, seq: event.seq)
        } else {
            let id = MandateID(unchecked: String(event.stream.dropFirst("mandate/".count)))
            guard let existing = try mandate(id) else { return }
            row = existing
            row.mandate.apply(typed)
        }
        mandates.set(row.mandate.id, row)
        tx.change(.mandate(row))
    }

    private func applyPosition(_ typed: PositionEvent, _ event: Event, _ tx: WriteTransaction) throws(KuraError) {
        var row: PositionRow
        if case .opened = typed {
            guard let position = Position.fold([typed]) else { return }
            row = PositionRow(position: position, seq: event.seq)
        } else {
            let id = PositionID(unchecked: String(event.stream.dropFirst("position/".count)))
            guard let existing = try position(id) else { return }
            row = existing
            row.position.apply(typed)
        }
        positions.set(row.position.id, row)
        tx.change(.position(row))
    }
}

/// The typed event of an appended one: the one the command handed over, or (on replay and catch-up) read
/// back from the payload.
func typedEvent<T: DomainEvent>(
    _ decoded: (any DomainEvent)?, _ event: Event, _ read: (String, JSONValue) throws(KuraError) -> T
) throws(KuraError) -> T {
    if let typed = decoded as? T { return typed }
    return try read(event.type, event.payload)
}

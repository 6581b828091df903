import KuraCore
import KuraCrypto

/// ``ReadSession`` over any ``SQLConnection``: the one implementation of every typed query, shared by the
/// SQLite and PostgreSQL backends. Statement text is SQLite-flavoured (see ``SQLDialect``).
public final class SQLReadSession: ReadSession {
    /// The connection the queries run on.
    public let connection: any SQLConnection

    /// Decoded parties by their stored JSON: parties are read on every authenticated request.
    static let parties = RowDecodeCache<Party>()
    static let reservations = RowDecodeCache<Reservation>()
    static let mandates = RowDecodeCache<Mandate>()
    static let positions = RowDecodeCache<Position>()

    /// Queries on `connection`.
    public init(_ connection: any SQLConnection) { self.connection = connection }

    static let eventColumns = "seq, stream, version, type, payload, at, actor, command_id, prev_hash, hash"

    /// The statement behind ``events(after:limit:)``: bindings `[after, limit]`.
    static let eventPageSQL = "SELECT \(eventColumns) FROM events WHERE seq > ? ORDER BY seq LIMIT ?"

    /// The first pages of a writer's catch-up after `known`, as statements for a backend that sends them in
    /// one exchange with its lock (``WriterSession/begin(after:)``): the events from the known last one on
    /// (read their rows with ``tailEvent(_:)``), then, when the position names one, the receipts after the known
    /// last receipt (``receiptRow(_:)``) and the reputation rows of their parties (``reputationPartyRow(_:)``)
    /// and pairs (``reputationPairRow(_:)``). The same pages the catch-up would otherwise read itself.
    public static func tailQueries(after known: LogPosition) -> [(sql: String, bindings: [SQLValue])] {
        let pageSize = Int64(BatchStart.tailPageSize)
        let lastSeq = known.lastEvent.seq
        var queries: [(sql: String, bindings: [SQLValue])] = [
            (eventPageSQL, [.integer(lastSeq == 0 ? 0 : Int64(lastSeq) - 1), .integer(pageSize + 1)])
        ]
        if let lastReceipt = known.lastReceipt {
            let page: [SQLValue] = [.integer(lastReceipt), .integer(lastReceipt + pageSize)]
            queries.append((receiptPageSQL(party: false, kind: false), [.integer(lastReceipt), .integer(pageSize)]))
            queries.append((tailReputationPartiesSQL, page + page))
            queries.append((tailReputationPairsSQL, page + page))
        }
        return queries
    }

    /// The reputation rows of the payers and payees of the receipts in an index range `(after, through]`:
    /// bindings `[after, through]` twice.
    static let tailReputationPartiesSQL =
        "SELECT party, state FROM reputation_parties WHERE party IN "
        + "(SELECT payer FROM receipts WHERE idx > ? AND idx <= ? UNION SELECT payee FROM receipts WHERE idx > ? AND idx <= ?)"

    /// The reputation pair rows of each receipt's payer and payee in an index range, either way round, any
    /// role: bindings `[after, through]` twice.
    static let tailReputationPairsSQL =
        "SELECT party, role, counterparty, positive, negative, tick FROM reputation_pairs WHERE (party, counterparty) IN "
        + "(SELECT payer, payee FROM receipts WHERE idx > ? AND idx <= ? "
        + "UNION SELECT payee, payer FROM receipts WHERE idx > ? AND idx <= ?)"

    /// Reads a `reputation_parties` row (`party, state`).
    public static func reputationPartyRow(_ row: any SQLRow) throws(KuraError) -> ReputationPartyRow {
        ReputationPartyRow(party: PartyID(unchecked: row.text(0)), state: try PartyReputation(storage: row.bytes(1)))
    }

    /// Reads a `reputation_pairs` row (`party, role, counterparty, positive, negative, tick`).
    public static func reputationPairRow(_ row: any SQLRow) throws(KuraError) -> ReputationPairRow {
        guard let role = ReputationRole(rawValue: row.text(1)) else {
            throw KuraError(.storageFailure, "reputation_pairs holds an unknown role \(row.text(1))")
        }
        return ReputationPairRow(
            party: PartyID(unchecked: row.text(0)), role: role, counterparty: PartyID(unchecked: row.text(2)),
            evidence: Evidence(
                positive: UInt64(row.int64(3)), negative: UInt64(row.int64(4)), tick: UInt64(row.int64(5))))
    }

    /// Reads an event row (``eventColumns``) and checks that its stored hash is the one its fields give.
    public static func event(_ row: any SQLRow) throws(KuraError) -> Event {
        try event(row) { (seq, payloadBytes) throws(KuraError) in
            do throws(JSONError) {
                return EncodedPayload(json: try JSONValue.parse(payloadBytes), canonical: nil)
            } catch {
                throw KuraError(.chainBroken, "event \(seq): stored payload is not JSON (\(error.reason))")
            }
        }
    }

    /// Reads an event row for a writer's catch-up, as ``event(_:)`` but with its payload parsed only when asked:
    /// the catch-up reads the `postings` member of money events (``Event/payloadMember(_:)``) and the whole
    /// payload of a few others, and parsing every payload of another node's batches inside the write lock, and
    /// freeing them, was a tenth of a writer's time with two nodes (issue 16). The hash covers the stored bytes;
    /// stored bytes that are not JSON (which no writer stores) read as `null`, which every typed decoding refuses.
    public static func tailEvent(_ row: any SQLRow) throws(KuraError) -> Event {
        try event(row) { (_, payloadBytes) throws(KuraError) in
            EncodedPayload(canonical: payloadBytes) { (try? JSONValue.parse(payloadBytes)) ?? .null }
        }
    }

    private static func event(
        _ row: any SQLRow, payload: (UInt64, [UInt8]) throws(KuraError) -> EncodedPayload
    ) throws(KuraError) -> Event {
        guard let seq = UInt64(exactly: row.int64(0)), let version = UInt64(exactly: row.int64(2)) else {
            throw KuraError(.chainBroken, "event \(row.int64(0)): a negative seq or version")
        }
        let payloadBytes = row.bytes(4)
        // The hash covers the payload's stored bytes: the writer only ever stores canonical text.
        let event = Event(
            seq: seq, stream: row.text(1), version: version, type: row.text(3),
            content: try payload(seq, payloadBytes), canonicalPayload: payloadBytes,
            at: Timestamp(milliseconds: row.int64(5)), actor: row.text(6), commandId: row.text(7),
            prevHash: row.bytes(8))
        guard event.hash == row.bytes(9) else {
            throw KuraError(.chainBroken, "event \(seq): stored hash does not match its contents")
        }
        return event
    }

    // MARK: The log

    public func head() throws(KuraError) -> LogHead {
        try connection.first("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1") { row throws(KuraError) in
            guard let seq = UInt64(exactly: row.int64(0)) else {
                throw KuraError(.chainBroken, "the log's last event has a negative seq")
            }
            return LogHead(seq: seq, hash: row.bytes(1))
        } ?? .empty
    }

    public func events(after: UInt64, limit: Int) throws(KuraError) -> [Event] {
        try connection.rows(Self.eventPageSQL, [.integer(Int64(after)), .integer(Int64(limit))], Self.event)
    }

    public func tailEvents(after: UInt64, limit: Int) throws(KuraError) -> [Event] {
        try connection.rows(Self.eventPageSQL, [.integer(Int64(after)), .integer(Int64(limit))], Self.tailEvent)
    }

    public func events(inStream stream: String) throws(KuraError) -> [Event] {
        try connection.rows(
            "SELECT \(Self.eventColumns) FROM events WHERE stream = ? ORDER BY version", [.text(stream)], Self.event)
    }

    public func streamVersion(_ stream: String) throws(KuraError) -> UInt64 {
        UInt64(
            try connection.first(
                "SELECT version FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1", [.text(stream)],
                { row throws(KuraError) in row.int64(0) }) ?? 0)
    }

    public func verifyChain(progress: ((UInt64) -> Void)?) throws(KuraError) -> ChainReport {
        var head = LogHead.empty
        var versions: [String: UInt64] = [:]
        var count: UInt64 = 0
        var failure: (UInt64, String)?
        try connection.query("SELECT \(Self.eventColumns) FROM events ORDER BY seq", []) { row throws(KuraError) in
            guard failure == nil else { return }
            // A copy under test may hold anything, negative numbers too: they are breaks, not crashes.
            guard let seq = UInt64(exactly: row.int64(0)), seq == head.seq + 1 else {
                failure = (head.seq + 1, "missing: the next stored seq is \(row.int64(0))")
                return
            }
            let stream = row.text(1)
            let expectedVersion = (versions[stream] ?? 0) + 1
            guard let version = UInt64(exactly: row.int64(2)), version == expectedVersion else {
                failure = (seq, "stream \(stream) version \(row.int64(2)), expected \(expectedVersion)")
                return
            }
            // The hash covers the payload's stored bytes, so any change to them is caught without re-parsing.
            let prevHash = row.bytes(8)
            guard prevHash == head.hash else {
                failure = (seq, "prevHash does not match the previous event's hash")
                return
            }
            let body = Event.canonicalBody(
                seq: seq, stream: stream, version: version, type: row.text(3), canonicalPayload: row.bytes(4),
                at: Timestamp(milliseconds: row.int64(5)), actor: row.text(6), commandId: row.text(7),
                prevHash: prevHash)
            let hash = SHA256.hash(body)
            guard hash == row.bytes(9) else {
                failure = (seq, "hash does not match the event's contents")
                return
            }
            versions[stream] = version
            head = LogHead(seq: seq, hash: hash)
            count += 1
            if let progress, count & 4095 == 0 { progress(count) }
        }
        return ChainReport(count: count, head: head, failure: failure.map { (seq: $0.0, reason: $0.1) })
    }

    public func idempotency(_ key: String) throws(KuraError) -> IdempotencyRecord? {
        try connection.first("SELECT request_hash, response, seq FROM idempotency WHERE key = ?", [.text(key)]) {
            row throws(KuraError) in
            IdempotencyRecord(key: key, requestHash: row.bytes(0), response: row.bytes(1), seq: UInt64(row.int64(2)))
        }
    }

    public func nonceExists(party: PartyID, nonce: String) throws(KuraError) -> Bool {
        try connection.first(
            "SELECT 1 FROM nonces WHERE party = ? AND nonce = ?", [.text(party.rawValue), .text(nonce)],
            { _ throws(KuraError) in true }) ?? false
    }

    // MARK: Parties and balances

    static func partyRow(_ row: any SQLRow) throws(KuraError) -> PartyRow {
        PartyRow(party: try parties.value(row.bytes(2)), seq: UInt64(row.int64(0)), apiKeyHash: row.text(1))
    }

    public func party(_ id: PartyID) throws(KuraError) -> PartyRow? {
        try connection.first(
            "SELECT seq, api_key_hash, json FROM parties WHERE id = ?", [.text(id.rawValue)], Self.partyRow)
    }

    public func party(apiKeyHash: String) throws(KuraError) -> PartyRow? {
        try connection.first(
            "SELECT seq, api_key_hash, json FROM parties WHERE api_key_hash = ?", [.text(apiKeyHash)], Self.partyRow)
    }

    public func parties(holding publicKey: Ed25519.PublicKey) throws(KuraError) -> [PartyRow] {
        try connection.rows(
            "SELECT seq, api_key_hash, json FROM parties WHERE json_extract(json, '$.publicKey') = ? ORDER BY seq",
            [.text(publicKey.base64)], Self.partyRow)
    }

    public func partyCount() throws(KuraError) -> Int {
        Int(try connection.first("SELECT count(*) FROM parties", [], { row throws(KuraError) in row.int64(0) }) ?? 0)
    }

    public func activeArbiters() throws(KuraError) -> [PartyID] {
        try connection.rows(
            "SELECT json FROM parties WHERE status = 'active' AND json LIKE '%\"arbiter\"%' ORDER BY id", []
        ) { row throws(KuraError) in try Self.parties.value(row.bytes(0)) }
        .filter { $0.roles.contains(.arbiter) }.map(\.id)
    }

    public func firstActiveOperator() throws(KuraError) -> Party? {
        try connection.rows("SELECT json FROM parties WHERE status = 'active' ORDER BY seq", []) {
            row throws(KuraError) in try Self.parties.value(row.bytes(0))
        }.first { $0.roles.contains(.operator) }
    }

    public func balance(account: String, asset: String) throws(KuraError) -> Int64 {
        if account.hasSuffix("/held"), let name = try? AccountName(validating: account), name.isKeptOnItsAggregate {
            guard let asset = try? Asset(asset) else { return 0 }
            switch name {
            case .escrowHeld(let id): return try escrow(id)?.escrow.held(in: asset) ?? 0
            case .reservationHeld(let id): return try reservation(id)?.reservation.held(in: asset) ?? 0
            default: break
            }
        }
        return try connection.first(
            "SELECT balance FROM balances WHERE account = ? AND asset = ?", [.text(account), .text(asset)],
            { row throws(KuraError) in row.int64(0) }) ?? 0
    }

    public func balances(account: String) throws(KuraError) -> [BalanceRow] {
        try connection.rows("SELECT asset, balance FROM balances WHERE account = ? ORDER BY asset", [.text(account)]) {
            row throws(KuraError) in BalanceRow(account: account, asset: row.text(0), units: row.int64(1))
        }
    }

    public func heldInEscrows(payer: PartyID) throws(KuraError) -> [BalanceRow] {
        try connection.rows(
            "SELECT asset, sum(amount) FROM escrows WHERE payer = ? AND state IN \(Self.holdingEscrowStates) "
                + "GROUP BY asset ORDER BY asset", [.text(payer.rawValue)]
        ) { row throws(KuraError) in BalanceRow(account: "", asset: row.text(0), units: row.int64(1)) }
    }

    /// The states of an escrow that holds its amount (``Escrow/held(in:)``: not terminal), as an SQL list.
    static let holdingEscrowStates =
        "(" + Escrow.State.allCases.filter { !$0.isTerminal }.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    public func unbalancedAssets() throws(KuraError) -> [BalanceRow] {
        // The balance rows, and the holds kept on open escrows' and reservations' rows
        // (``AccountName/isKeptOnItsAggregate``). Wrapping sums: only zero or not matters.
        var sums: [String: Int64] = [:]
        for (asset, units) in try connection.rows(
            "SELECT asset, sum(balance) FROM balances GROUP BY asset", [],
            { row throws(KuraError) in (row.text(0), row.int64(1)) })
        {
            sums[asset, default: 0] &+= units
        }
        for (asset, units) in try connection.rows(
            "SELECT asset, sum(amount) FROM escrows WHERE state IN \(Self.holdingEscrowStates) GROUP BY asset",
            [], { row throws(KuraError) in (row.text(0), row.int64(1)) })
        {
            sums[asset, default: 0] &+= units
        }
        for reservation in try connection.rows(
            "SELECT json FROM reservations WHERE state = 'reserved'", [],
            { row throws(KuraError) in try Self.reservations.value(row.bytes(0)) })
        {
            sums[reservation.asset.name, default: 0] &+= Int64(reservation.amount.units)
        }
        return sums.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map {
            BalanceRow(account: "", asset: $0.key, units: $0.value)
        }
    }

    public func negativeBalances() throws(KuraError) -> [BalanceRow] {
        try connection.rows(
            "SELECT account, asset, balance FROM balances WHERE balance < 0 AND account != 'external'"
                + " AND account NOT LIKE 'position/%/debt' ORDER BY account, asset", []
        ) { row throws(KuraError) in BalanceRow(account: row.text(0), asset: row.text(1), units: row.int64(2)) }
    }

    public func positiveDebts() throws(KuraError) -> [BalanceRow] {
        try connection.rows(
            "SELECT account, asset, balance FROM balances WHERE balance > 0 AND account LIKE 'position/%/debt'"
                + " ORDER BY account, asset", []
        ) { row throws(KuraError) in BalanceRow(account: row.text(0), asset: row.text(1), units: row.int64(2)) }
    }

    // MARK: Escrows, disputes, channels, payments

    static func escrowRow(_ row: any SQLRow) throws(KuraError) -> EscrowRow {
        EscrowRow(
            escrow: try RowJSON.decode(Escrow.self, row.bytes(2)), seq: UInt64(row.int64(0)),
            dueAt: row.optionalInt64(1).map { Timestamp(milliseconds: $0) })
    }

    public func escrow(_ id: EscrowID) throws(KuraError) -> EscrowRow? {
        try connection.first("SELECT seq, due_at, json FROM escrows WHERE id = ?", [.text(id.rawValue)], Self.escrowRow)
    }

    public func escrows(party: PartyID, state: Escrow.State?, beforeSeq: Int64, limit: Int) throws(KuraError)
        -> [EscrowRow]
    {
        var sql = "SELECT seq, due_at, json FROM escrows WHERE (payer = ? OR payee = ?) AND seq < ?"
        var bindings: [SQLValue] = [.text(party.rawValue), .text(party.rawValue), .integer(beforeSeq)]
        if let state {
            sql += " AND state = ?"
            bindings.append(.text(state.rawValue))
        }
        sql += " ORDER BY seq DESC LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try connection.rows(sql, bindings, Self.escrowRow)
    }

    public func dueEscrows(at now: Timestamp, limit: Int) throws(KuraError) -> [(id: EscrowID, state: Escrow.State)] {
        try connection.rows(
            "SELECT id, state FROM escrows WHERE state IN ('locked', 'delivered') AND due_at <= ? "
                + "ORDER BY due_at, seq LIMIT ?", [.integer(now.milliseconds), .integer(Int64(limit))]
        ) { row throws(KuraError) in
            (EscrowID(unchecked: row.text(0)), Escrow.State(rawValue: row.text(1)) ?? .locked)
        }
    }

    static func disputeRow(_ row: any SQLRow) throws(KuraError) -> DisputeRow {
        DisputeRow(dispute: try RowJSON.decode(Dispute.self, row.bytes(1)), seq: UInt64(row.int64(0)))
    }

    public func dispute(_ id: DisputeID) throws(KuraError) -> DisputeRow? {
        try connection.first("SELECT seq, json FROM disputes WHERE id = ?", [.text(id.rawValue)], Self.disputeRow)
    }

    public func disputes(member: PartyID?, seatedOnly: Bool, state: Dispute.State?, beforeSeq: Int64, limit: Int)
        throws(KuraError) -> [DisputeRow]
    {
        var sql: String
        var bindings: [SQLValue] = [.integer(beforeSeq)]
        if let member {
            sql =
                "SELECT d.seq, d.json FROM dispute_members m JOIN disputes d ON d.id = m.dispute "
                + "WHERE m.seq < ? AND m.party = ?"
            bindings.append(.text(member.rawValue))
            if seatedOnly { sql += " AND m.seated = 1" }
        } else {
            sql = "SELECT d.seq, d.json FROM disputes d WHERE d.seq < ?"
        }
        if let state {
            sql += " AND d.state = ?"
            bindings.append(.text(state.rawValue))
        }
        sql += " ORDER BY d.seq DESC LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try connection.rows(sql, bindings, Self.disputeRow)
    }

    public func dueDisputes(at now: Timestamp, limit: Int) throws(KuraError) -> [DisputeID] {
        try connection.rows(
            "SELECT id FROM disputes WHERE due_at < ? ORDER BY due_at, seq LIMIT ?",
            [.integer(now.milliseconds), .integer(Int64(limit))]
        ) { row throws(KuraError) in DisputeID(unchecked: row.text(0)) }
    }

    static func channelRow(_ row: any SQLRow) throws(KuraError) -> ChannelRow {
        ChannelRow(channel: try RowJSON.decode(Channel.self, row.bytes(1)), seq: UInt64(row.int64(0)))
    }

    public func channel(_ id: ChannelID) throws(KuraError) -> ChannelRow? {
        try connection.first("SELECT seq, json FROM channels WHERE id = ?", [.text(id.rawValue)], Self.channelRow)
    }

    public func dueChannels(at now: Timestamp, limit: Int) throws(KuraError) -> [ChannelRow] {
        try connection.rows(
            "SELECT seq, json FROM channels WHERE (state = 'open' AND due_at <= ?) OR (state = 'closing' AND due_at < ?) "
                + "ORDER BY due_at, seq LIMIT ?",
            [.integer(now.milliseconds), .integer(now.milliseconds), .integer(Int64(limit))], Self.channelRow)
    }

    public func payment(payer: PartyID, paymentId: String) throws(KuraError) -> PaymentRow? {
        try connection.first(
            "SELECT seq, json FROM payments WHERE payer = ? AND payment_id = ?",
            [.text(payer.rawValue), .text(paymentId)]
        ) { row throws(KuraError) in
            PaymentRow(payment: try RowJSON.decode(Payment.self, row.bytes(1)), seq: UInt64(row.int64(0)))
        }
    }

    static func x402Row(_ row: any SQLRow) throws(KuraError) -> X402SettlementRow {
        X402SettlementRow(
            payer: PartyID(unchecked: row.text(0)), nonce: row.text(1), paymentIdentifier: row.optionalText(2),
            seq: UInt64(row.int64(3)), json: row.text(4))
    }

    public func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402SettlementRow? {
        try connection.first(
            "SELECT payer, nonce, payment_identifier, seq, json FROM x402_settlements WHERE payer = ? AND nonce = ?",
            [.text(payer.rawValue), .text(nonce)], Self.x402Row)
    }

    public func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402SettlementRow? {
        try connection.first(
            "SELECT payer, nonce, payment_identifier, seq, json FROM x402_settlements "
                + "WHERE payer = ? AND payment_identifier = ?", [.text(payer.rawValue), .text(identifier)], Self.x402Row
        )
    }

    // MARK: The facilitator

    public func reservation(_ id: ReservationID) throws(KuraError) -> ReservationRow? {
        try connection.first(
            "SELECT seq, json, settlement FROM reservations WHERE id = ?", [.text(id.rawValue)]
        ) { row throws(KuraError) in
            ReservationRow(
                reservation: try Self.reservations.value(row.bytes(1)), seq: UInt64(row.int64(0)),
                settlement: row.isNull(2) ? nil : try RowJSON.decode(ReservationSettleResponse.self, row.bytes(2)))
        }
    }

    public func dueReservations(at now: Timestamp, limit: Int) throws(KuraError) -> [ReservationID] {
        try connection.rows(
            "SELECT id FROM reservations WHERE state = 'reserved' AND expires_at <= ? ORDER BY expires_at, seq LIMIT ?",
            [.integer(now.milliseconds), .integer(Int64(limit))]
        ) { row throws(KuraError) in ReservationID(unchecked: row.text(0)) }
    }

    public func liveReservations(source: String) throws(KuraError) -> [ReservationID] {
        try connection.rows(
            "SELECT id FROM reservations WHERE source = ? AND state = 'reserved' ORDER BY seq", [.text(source)]
        ) { row throws(KuraError) in ReservationID(unchecked: row.text(0)) }
    }

    public func mandate(_ id: MandateID) throws(KuraError) -> MandateRow? {
        try connection.first("SELECT seq, json FROM mandates WHERE id = ?", [.text(id.rawValue)]) {
            row throws(KuraError) in
            MandateRow(mandate: try Self.mandates.value(row.bytes(1)), seq: UInt64(row.int64(0)))
        }
    }

    public func dueMandates(at now: Timestamp, limit: Int) throws(KuraError) -> [MandateID] {
        try connection.rows(
            "SELECT id FROM mandates WHERE state = 'active' AND expires_at <= ? ORDER BY expires_at, seq LIMIT ?",
            [.integer(now.milliseconds), .integer(Int64(limit))]
        ) { row throws(KuraError) in MandateID(unchecked: row.text(0)) }
    }

    public func position(_ id: PositionID) throws(KuraError) -> PositionRow? {
        try connection.first("SELECT seq, json FROM positions WHERE id = ?", [.text(id.rawValue)]) {
            row throws(KuraError) in
            PositionRow(position: try Self.positions.value(row.bytes(1)), seq: UInt64(row.int64(0)))
        }
    }

    public func positions(pair: String) throws(KuraError) -> [PositionID] {
        try connection.rows(
            "SELECT id FROM positions WHERE pair = ? AND state IN ('active', 'frozen') ORDER BY id", [.text(pair)]
        ) { row throws(KuraError) in PositionID(unchecked: row.text(0)) }
    }

    static func priceRow(_ row: any SQLRow) throws(KuraError) -> PriceRow {
        PriceRow(price: try RowJSON.decode(Price.self, row.bytes(1)), seq: UInt64(row.int64(0)))
    }

    public func price(base: Asset, quote: Asset) throws(KuraError) -> PriceRow? {
        try connection.first(
            "SELECT seq, json FROM prices WHERE base = ? AND quote = ?", [.text(base.name), .text(quote.name)],
            Self.priceRow)
    }

    public func prices() throws(KuraError) -> [PriceRow] {
        try connection.rows("SELECT seq, json FROM prices ORDER BY base, quote", [], Self.priceRow)
    }

    // MARK: The Solana rail

    static func solanaPaymentRow(_ row: any SQLRow) throws(KuraError) -> SolanaPaymentRow {
        SolanaPaymentRow(payment: try RowJSON.decode(SolanaPayment.self, row.bytes(1)), seq: UInt64(row.int64(0)))
    }

    public func solanaPayment(messageHash: String) throws(KuraError) -> SolanaPaymentRow? {
        try connection.first(
            "SELECT seq, json FROM solana_payments WHERE message_hash = ?", [.text(messageHash)],
            Self.solanaPaymentRow)
    }

    public func submittedSolanaPayments(limit: Int) throws(KuraError) -> [SolanaPaymentRow] {
        try connection.rows(
            "SELECT seq, json FROM solana_payments WHERE state = 'submitted' ORDER BY seq LIMIT ?",
            [.integer(Int64(limit))], Self.solanaPaymentRow)
    }

    static func withdrawalRow(_ row: any SQLRow) throws(KuraError) -> WithdrawalRow {
        WithdrawalRow(withdrawal: try RowJSON.decode(SolanaWithdrawal.self, row.bytes(1)), seq: UInt64(row.int64(0)))
    }

    public func withdrawal(_ id: WithdrawalID) throws(KuraError) -> WithdrawalRow? {
        try connection.first("SELECT seq, json FROM withdrawals WHERE id = ?", [.text(id.rawValue)], Self.withdrawalRow)
    }

    public func withdrawals(party: PartyID, asset: Asset, day: Int64) throws(KuraError) -> [WithdrawalRow] {
        try connection.rows(
            "SELECT seq, json FROM withdrawals WHERE party = ? AND asset = ? AND day = ? ORDER BY seq",
            [.text(party.rawValue), .text(asset.name), .integer(day)], Self.withdrawalRow)
    }

    public func pendingWithdrawals(limit: Int) throws(KuraError) -> [WithdrawalRow] {
        try connection.rows(
            "SELECT seq, json FROM withdrawals WHERE state = 'pending' ORDER BY seq LIMIT ?", [.integer(Int64(limit))],
            Self.withdrawalRow)
    }

    public func chainReceipt(signature: String) throws(KuraError) -> ChainReceiptRow? {
        try connection.first(
            "SELECT seq, json FROM chain_receipts WHERE signature = ?", [.text(signature)]
        ) { row throws(KuraError) in
            ChainReceiptRow(receipt: try RowJSON.decode(ChainReceipt.self, row.bytes(1)), seq: UInt64(row.int64(0)))
        }
    }

    public func isKuraTransaction(signature: String) throws(KuraError) -> Bool {
        // Text columns only (no literal), so the row maps alike on both backends; one index per table.
        try connection.first(
            """
            SELECT signature FROM solana_payments WHERE signature = ? \
            UNION ALL SELECT signature FROM withdrawals WHERE signature = ? LIMIT 1
            """, [.text(signature), .text(signature)]
        ) { _ throws(KuraError) in () } != nil
    }

    // MARK: Receipts, the tree, checkpoints

    public func receiptCount() throws(KuraError) -> UInt64 {
        guard
            let last = try connection.first(
                "SELECT idx FROM receipts ORDER BY idx DESC LIMIT 1", [], { row throws(KuraError) in row.int64(0) })
        else { return 0 }
        return UInt64(last) + 1
    }

    /// Reads a receipt row (``receiptColumns``).
    public static func receiptRow(_ row: any SQLRow) throws(KuraError) -> ReceiptRow {
        ReceiptRow(
            index: UInt64(row.int64(0)), seq: UInt64(row.int64(1)), kind: row.text(2), subject: row.text(3),
            payer: PartyID(unchecked: row.text(4)), payee: PartyID(unchecked: row.text(5)), json: row.bytes(6))
    }

    /// The columns ``receiptRow(_:)`` reads, in order (``receiptPageSQL(party:kind:)`` names them with `r.`).
    static let receiptColumns = "idx, seq, kind, subject, payer, payee, json"

    public func receipt(_ index: UInt64) throws(KuraError) -> ReceiptRow? {
        guard index <= UInt64(Int64.max) else { return nil }
        return try connection.first(
            "SELECT \(Self.receiptColumns) FROM receipts WHERE idx = ?", [.integer(Int64(index))], Self.receiptRow)
    }

    public func receipts(after: Int64, party: PartyID?, kind: String?, limit: Int) throws(KuraError) -> [ReceiptRow] {
        var bindings: [SQLValue] = []
        let page: [SQLValue] = [.integer(after), .integer(Int64(limit))]
        let kindBinding: [SQLValue] = kind.map { [.text($0)] } ?? []
        if let party {
            let side = [SQLValue.text(party.rawValue)] + kindBinding + page
            bindings = side + side + [.integer(Int64(limit))]
        } else {
            bindings = kindBinding + page
        }
        return try connection.rows(
            Self.receiptPageSQL(party: party != nil, kind: kind != nil), bindings, Self.receiptRow)
    }

    /// The statement behind one page of ``receipts(after:party:kind:limit:)``. Every shape reads at most
    /// `limit` index entries per index it uses, in `idx` order (no scan of the table, no sort of a party's whole
    /// history), because the list is public: `receipts_by_kind`, `receipts_by_payer(_kind)` and
    /// `receipts_by_payee(_kind)`. A party's page is the union of its payer and payee pages, each cut at the
    /// limit. Bindings: without a party `[kind?, after, limit]`; with one `[party, kind?, after, limit]` twice
    /// (payer side, payee side), then `limit`.
    public static func receiptPageSQL(party: Bool, kind: Bool) -> String {
        let kindTerm = kind ? " AND kind = ?" : ""
        guard party else {
            let filter = kind ? "kind = ? AND idx > ?" : "idx > ?"
            return "SELECT \(receiptColumns) FROM receipts WHERE \(filter) ORDER BY idx LIMIT ?"
        }
        let side = { (column: String) in
            "SELECT idx FROM (SELECT idx FROM receipts WHERE \(column) = ?\(kindTerm) AND idx > ? ORDER BY idx LIMIT ?) "
                + "AS \(column)_page"
        }
        return "SELECT r.idx, r.seq, r.kind, r.subject, r.payer, r.payee, r.json "
            + "FROM (\(side("payer")) UNION \(side("payee"))) AS page "
            + "JOIN receipts AS r ON r.idx = page.idx ORDER BY r.idx LIMIT ?"
    }

    public func merkleNode(level: Int, index: UInt64) throws(KuraError) -> [UInt8]? {
        guard level >= MerkleNode.lowestStoredLevel else { return try hashedFromReceipts(level: level, index: index) }
        return try connection.first(
            "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?",
            [.integer(Int64(level)), .integer(Int64(index))],
            { row throws(KuraError) in row.bytes(0) })
    }

    /// A subtree below ``MerkleNode/lowestStoredLevel``, hashed from the receipts it covers; nil while one of
    /// them is missing (the subtree is not complete yet).
    private func hashedFromReceipts(level: Int, index: UInt64) throws(KuraError) -> [UInt8]? {
        guard level >= 0, index <= UInt64(Int64.max) >> MerkleNode.lowestStoredLevel else { return nil }
        let first = index << level
        let width = UInt64(1) << level
        let leaves = try connection.rows(
            "SELECT json FROM receipts WHERE idx >= ? AND idx < ? ORDER BY idx",
            [.integer(Int64(first)), .integer(Int64(first + width))]
        ) { row throws(KuraError) in row.bytes(0) }
        guard UInt64(leaves.count) == width else { return nil }
        var subtree = MerkleAppender()
        for leaf in leaves { subtree.append(leaf: leaf) }
        return subtree.root
    }

    static func checkpointRow(_ row: any SQLRow) throws(KuraError) -> CheckpointRow {
        CheckpointRow(size: UInt64(row.int64(0)), keyName: row.text(1), root: row.bytes(2), note: row.text(3))
    }

    public func checkpoint(size: UInt64, keyName: String) throws(KuraError) -> CheckpointRow? {
        try connection.first(
            "SELECT size, key_name, root, note FROM checkpoints WHERE size = ? AND key_name = ?",
            [.integer(Int64(size)), .text(keyName)], Self.checkpointRow)
    }

    public func latestCheckpoint(keyName: String) throws(KuraError) -> CheckpointRow? {
        try connection.first(
            "SELECT size, key_name, root, note FROM checkpoints WHERE key_name = ? ORDER BY size DESC LIMIT 1",
            [.text(keyName)], Self.checkpointRow)
    }

    // MARK: Reputation

    public func reputationLog() throws(KuraError) -> ReputationLogRow? {
        try connection.first("SELECT size, root, last_at, model FROM reputation_log WHERE id = 1", []) {
            row throws(KuraError) in
            ReputationLogRow(
                size: UInt64(row.int64(0)), root: row.bytes(1), lastAt: Timestamp(milliseconds: row.int64(2)),
                model: row.text(3))
        }
    }

    public func reputationParty(_ party: PartyID) throws(KuraError) -> PartyReputation? {
        try connection.first("SELECT state FROM reputation_parties WHERE party = ?", [.text(party.rawValue)]) {
            row throws(KuraError) in try PartyReputation(storage: row.bytes(0))
        }
    }

    public func reputationPair(party: PartyID, role: ReputationRole, counterparty: PartyID) throws(KuraError)
        -> Evidence?
    {
        try connection.first(
            "SELECT positive, negative, tick FROM reputation_pairs WHERE party = ? AND role = ? AND counterparty = ?",
            [.text(party.rawValue), .text(role.rawValue), .text(counterparty.rawValue)]
        ) { row throws(KuraError) in
            Evidence(positive: UInt64(row.int64(0)), negative: UInt64(row.int64(1)), tick: UInt64(row.int64(2)))
        }
    }

    public func reputationParties(_ parties: [PartyID]) throws(KuraError) -> [ReputationPartyRow] {
        var rows: [ReputationPartyRow] = []
        try Self.inShapes(parties) { (chunk: ArraySlice<PartyID>) throws(KuraError) in
            let terms = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            rows += try connection.rows(
                "SELECT party, state FROM reputation_parties WHERE party IN (\(terms))",
                chunk.map { .text($0.rawValue) },
                Self.reputationPartyRow)
        }
        return rows
    }

    public func reputationPairs(_ keys: [ReputationPairRow.Key]) throws(KuraError) -> [ReputationPairRow] {
        var rows: [ReputationPairRow] = []
        try Self.inShapes(keys) { (chunk: ArraySlice<ReputationPairRow.Key>) throws(KuraError) in
            let terms = Array(repeating: "(party = ? AND role = ? AND counterparty = ?)", count: chunk.count)
            let bindings = chunk.flatMap { key -> [SQLValue] in
                [.text(key.party.rawValue), .text(key.role.rawValue), .text(key.counterparty.rawValue)]
            }
            rows += try connection.rows(
                "SELECT party, role, counterparty, positive, negative, tick FROM reputation_pairs WHERE "
                    + terms.joined(separator: " OR "), bindings, Self.reputationPairRow)
        }
        return rows
    }

    /// Runs `read` over `keys` (duplicates dropped) in chunks of 64, 16, 4 or 1 keys, the last one padded by
    /// repeating its last key (a repeated term matches no further row), so that a multi-key read has at most
    /// four statement shapes to prepare.
    private static func inShapes<Key: Hashable>(
        _ keys: [Key], _ read: (ArraySlice<Key>) throws(KuraError) -> Void
    ) throws(KuraError) {
        var seen = Set<Key>()
        let unique = keys.filter { seen.insert($0).inserted }
        var start = 0
        while start < unique.count {
            let left = unique.count - start
            let size = [1, 4, 16, 64].first { $0 >= left } ?? 64
            let end = start + min(size, left)
            let chunk = Array(unique[start..<end]) + Array(repeating: unique[end - 1], count: size - (end - start))
            try read(chunk[...])
            start = end
        }
    }

    // MARK: Integrity

    public func projectionDigest() throws(KuraError) -> String {
        var hasher = SHA256Hasher()
        for sql in SQLSchema.digestQueries {
            try connection.query(sql, []) { row throws(KuraError) in
                var line: [UInt8] = []
                for column in 0..<row.columnCount {
                    if column > 0 { line.append(0x1F) }
                    line += Self.digestText(row, column)
                }
                line.append(0x0A)
                hasher.update(line)
            }
        }
        return Hex.encode(hasher.finalize())
    }

    /// A column as the digest renders it. Blobs are hex; a backend's ``SQLRow`` tells blobs from text by
    /// ``SQLRow/isBlob(_:)``.
    static func digestText(_ row: any SQLRow, _ column: Int) -> [UInt8] {
        if row.isNull(column) { return Array("null".utf8) }
        if row.isInteger(column) { return Array(String(row.int64(column)).utf8) }
        if row.isBlob(column) { return Array(Hex.encode(row.bytes(column)).utf8) }
        return row.bytes(column)
    }
}

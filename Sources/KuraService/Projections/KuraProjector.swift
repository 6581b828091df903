import KuraCore
import KuraCrypto
import KuraStore

/// The read models of parties, balances and escrows, kept in the same SQLite file and updated in the
/// same transaction as each append. `kura replay` rebuilds them from the log and must get the same rows.
public struct KuraProjector: Projector {
    let receiptLog = ReceiptLog()

    /// Creates the projector.
    public init() {}

    static let tables =
        [
            "parties", "balances", "escrows", "receipts", "merkle_nodes", "disputes", "dispute_members", "channels",
            "payments", "x402_settlements",
        ] + ReputationProjection.tables + SolanaProjection.tables

    public func createSchema(_ db: SQLiteConnection) throws(KuraError) {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS parties(
                id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL,
                api_key_hash TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS balances(
                account TEXT NOT NULL, asset TEXT NOT NULL, balance INTEGER NOT NULL, PRIMARY KEY(account, asset));
            CREATE TABLE IF NOT EXISTS escrows(
                id TEXT PRIMARY KEY, seq INTEGER NOT NULL, payer TEXT NOT NULL, payee TEXT NOT NULL,
                state TEXT NOT NULL, asset TEXT NOT NULL, amount INTEGER NOT NULL, due_at INTEGER,
                json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS escrows_by_payer ON escrows(payer, seq);
            CREATE INDEX IF NOT EXISTS escrows_by_payee ON escrows(payee, seq);
            CREATE INDEX IF NOT EXISTS escrows_due ON escrows(state, due_at);
            CREATE INDEX IF NOT EXISTS parties_by_key ON parties(json_extract(json, '$.publicKey'));
            CREATE TABLE IF NOT EXISTS nonces(
                party TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(party, nonce));
            """)
        try db.execute(ReceiptLog.schema)
        try db.execute(DisputeProjection.schema)
        try db.execute(ChannelProjection.schema)
        try db.execute(PaymentProjection.schema)
        try receiptLog.reputation.prepare(db)
        try db.execute(FacilitatorProjection.schema)
        try db.execute(X402Projection.schema)
        try db.execute(SolanaProjection.schema)
    }

    public func reset(_ db: SQLiteConnection) throws(KuraError) {
        for table in Self.tables { try db.execute("DELETE FROM \(table)") }
        try FacilitatorProjection.reset(db)
        receiptLog.invalidate()
    }

    public func apply(_ event: Event, decoded: (any DomainEvent)?, _ db: SQLiteConnection) throws(KuraError) {
        if event.type.hasPrefix("escrow.") {
            try applyEscrow(try typedEvent(decoded, event, EscrowEvent.init), event, db)
        } else if event.type.hasPrefix("party.") {
            try applyParty(try typedEvent(decoded, event, PartyEvent.init), stream: event.stream, seq: event.seq, db)
        } else if event.type.hasPrefix("account.") {
            try post(try typedEvent(decoded, event, FundsEvent.init).postings, db)
        } else if event.type.hasPrefix("dispute.") {
            try DisputeProjection.apply(try typedEvent(decoded, event, DisputeEvent.init), event, receiptLog, db)
        } else if event.type.hasPrefix("channel.") {
            let typed = try typedEvent(decoded, event, ChannelEvent.init)
            try post(typed.postings, db)
            try ChannelProjection.apply(typed, event, receiptLog, db)
        } else if event.type.hasPrefix("payment.") {
            let payment = try typedEvent(decoded, event, PaymentEvent.init)
            try post(payment.postings, db)
            try PaymentProjection.apply(payment, event, receipts: receiptLog, db)
        } else if FacilitatorProjection.handles(event.type) {
            try FacilitatorProjection.apply(event, decoded: decoded, self, db)
        } else if event.type.hasPrefix("x402.") {
            try X402Projection.apply(try typedEvent(decoded, event, X402Event.init), event, db)
        } else if SolanaProjection.handles(event.type) {
            try SolanaProjection.apply(event, decoded: decoded, self, db)
        }
    }

    private func applyParty(_ event: PartyEvent, stream: String, seq: UInt64, _ db: SQLiteConnection) throws(KuraError)
    {
        switch event {
        case .registered(let party, let apiKeyHash):
            try db.run(
                "INSERT INTO parties(id, seq, status, api_key_hash, json) VALUES (?, ?, ?, ?, ?)",
                .text(party.id.rawValue), .integer(Int64(seq)), .text(party.status.rawValue), .text(apiKeyHash),
                .text(try Self.text(party.json)))
        case .statusChanged, .keyRotated:
            let id = String(stream.dropFirst("party/".count))
            guard var party = try Queries.party(PartyID(unchecked: id), db) else { return }
            party.apply(event)
            try db.run(
                "UPDATE parties SET status = ?, json = ? WHERE id = ?", .text(party.status.rawValue),
                .text(try Self.text(party.json)), .text(id))
        case .apiKeyRotated(let apiKeyHash):
            // The old key stops at once: authentication looks the hash up in this row.
            let id = String(stream.dropFirst("party/".count))
            try db.run("UPDATE parties SET api_key_hash = ? WHERE id = ?", .text(apiKeyHash), .text(id))
        }
    }

    private func applyEscrow(_ event: EscrowEvent, _ envelope: Event, _ db: SQLiteConnection) throws(KuraError) {
        try post(event.postings, db)
        let seq = envelope.seq
        let id = EscrowID(unchecked: String(envelope.stream.dropFirst("escrow/".count)))
        if case .locked = event {
            try receiptLog.append(event, escrowBefore: nil, envelope: envelope, db)
            guard let escrow = Escrow.fold([event]) else { return }
            try db.run(
                "INSERT INTO escrows(id, seq, payer, payee, state, asset, amount, due_at, json) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                .text(id.rawValue), .integer(Int64(seq)), .text(escrow.terms.payer.rawValue),
                .text(escrow.terms.payee.rawValue), .text(escrow.state.rawValue), .text(escrow.terms.asset.name),
                .integer(Int64(escrow.terms.amount.units)), Self.dueAt(escrow), .text(try Self.text(.of(escrow))))
            return
        }
        guard var escrow = try Queries.escrow(id, db) else { return }
        try receiptLog.append(event, escrowBefore: escrow, envelope: envelope, db)
        escrow.apply(event)
        try db.run(
            "UPDATE escrows SET state = ?, due_at = ?, json = ? WHERE id = ?", .text(escrow.state.rawValue),
            Self.dueAt(escrow), .text(try Self.text(.of(escrow))), .text(id.rawValue))
    }

    /// When the sweeper should look at an escrow: after the delivery deadline while locked, at the end
    /// of the confirm window once delivered; never otherwise.
    static func dueAt(_ escrow: Escrow) -> SQLiteValue {
        switch escrow.state {
        case .locked: .integer(escrow.terms.deliverBy.adding(milliseconds: 1).milliseconds)
        case .delivered:
            .integer(
                (escrow.deliveredAt ?? escrow.terms.lockedAt).adding(milliseconds: escrow.terms.confirmWindowMs)
                    .milliseconds)
        default: .null
        }
    }

    func post(_ postings: [Posting], _ db: SQLiteConnection) throws(KuraError) {
        for posting in postings {
            let units = Int64(posting.amount.units)
            try Self.add(-units, to: posting.from, posting.asset, db)
            try Self.add(units, to: posting.to, posting.asset, db)
        }
    }

    private static func add(_ delta: Int64, to account: AccountName, _ asset: Asset, _ db: SQLiteConnection)
        throws(KuraError)
    {
        try db.run(
            "INSERT INTO balances(account, asset, balance) VALUES (?, ?, ?) "
                + "ON CONFLICT(account, asset) DO UPDATE SET balance = balance + excluded.balance",
            .text(account.rawValue), .text(asset.name), .integer(delta))
    }

    static func text(_ value: JSONValue) throws(KuraError) -> String {
        do { return String(decoding: try value.canonicalBytes(), as: UTF8.self) } catch {
            throw KuraError(.internalError, "cannot encode a read model row: \(error.reason)")
        }
    }
}

/// The typed event of an appended one: the one the command handed over, or (on replay) read back from
/// the payload. Shared by the projectors.
func typedEvent<T: DomainEvent>(
    _ decoded: (any DomainEvent)?, _ event: Event, _ read: (String, JSONValue) throws(KuraError) -> T
) throws(KuraError) -> T {
    if let typed = decoded as? T { return typed }
    return try read(event.type, event.payload)
}

import KuraCore
import KuraCrypto
import KuraStore

/// The disputes read model: one row per dispute (its JSON and the sweeper's next deadline) and one row
/// per party involved, so that "my disputes" is an index lookup. Updated in the append's transaction.
enum DisputeProjection {
    static let schema = """
        CREATE TABLE IF NOT EXISTS disputes(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, escrow TEXT NOT NULL, state TEXT NOT NULL, due_at INTEGER,
            json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS disputes_due ON disputes(due_at) WHERE due_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS disputes_by_seq ON disputes(seq);
        CREATE TABLE IF NOT EXISTS dispute_members(
            party TEXT NOT NULL, dispute TEXT NOT NULL, seated INTEGER NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY(party, dispute));
        CREATE INDEX IF NOT EXISTS dispute_members_by_party ON dispute_members(party, seq);
        """

    static func apply(_ event: DisputeEvent, _ envelope: Event, _ receipts: ReceiptLog, _ db: SQLiteConnection)
        throws(KuraError)
    {
        let id = DisputeID(unchecked: String(envelope.stream.dropFirst("dispute/".count)))
        var dispute: Dispute
        var seq = Int64(envelope.seq)
        if case .opened = event {
            guard let opened = Dispute.fold([event]) else { return }
            dispute = opened
        } else {
            guard let row = try DisputeQueries.row(id, db) else { return }
            seq = row.seq
            try receipts.append(envelope: envelope, db) { index in
                Receipt.derive(
                    event, disputeBefore: row.dispute, eventSeq: envelope.seq, eventHash: envelope.hash,
                    at: envelope.at, index: index)
            }
            dispute = row.dispute
            dispute.apply(event)
        }
        try db.run(
            "INSERT INTO disputes(id, seq, escrow, state, due_at, json) VALUES (?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, json = excluded.json",
            .text(id.rawValue), .integer(seq), .text(dispute.escrowId.rawValue), .text(dispute.state.rawValue),
            dispute.dueAt.map { .integer($0.milliseconds) } ?? .null, .text(try KuraProjector.text(.of(dispute))))
        try db.run("DELETE FROM dispute_members WHERE dispute = ?", .text(id.rawValue))
        var members: [PartyID: Bool] = [:]
        for party in [dispute.payer, dispute.payee] + dispute.formerPanel + dispute.recused { members[party] = false }
        for arbiter in dispute.panel { members[arbiter] = true }
        for (party, seated) in members {
            try db.run(
                "INSERT INTO dispute_members(party, dispute, seated, seq) VALUES (?, ?, ?, ?)", .text(party.rawValue),
                .text(id.rawValue), .integer(seated ? 1 : 0), .integer(seq))
        }
    }
}

/// Reads of the disputes read model.
enum DisputeQueries {
    static func row(_ id: DisputeID, _ db: SQLiteConnection) throws(KuraError) -> (seq: Int64, dispute: Dispute)? {
        let statement = try db.statement("SELECT seq, json FROM disputes WHERE id = ?")
        try statement.bind([.text(id.rawValue)])
        return try statement.rows { row throws(KuraError) in
            (row.int64(0), try Queries.decode(Dispute.self, row.text(1)))
        }.first
    }

    static func dispute(_ id: DisputeID, _ db: SQLiteConnection) throws(KuraError) -> Dispute? {
        try row(id, db)?.dispute
    }

    /// Active parties with the arbiter role, sorted by ID. Panels are drawn from these.
    static func activeArbiters(_ db: SQLiteConnection) throws(KuraError) -> [PartyID] {
        let statement = try db.statement(
            "SELECT json FROM parties WHERE status = 'active' AND json LIKE '%\"arbiter\"%' ORDER BY id")
        let parties = try statement.rows { row throws(KuraError) in try Queries.partyCache.value(row.text(0)) }
        return parties.filter { $0.roles.contains(.arbiter) }.map(\.id)
    }

    /// Disputes due for the sweeper at `now`, soonest first.
    static func due(at now: Timestamp, limit: Int, _ db: SQLiteConnection) throws(KuraError) -> [DisputeID] {
        let statement = try db.statement("SELECT id FROM disputes WHERE due_at < ? ORDER BY due_at LIMIT ?")
        try statement.bind([.integer(now.milliseconds), .integer(Int64(limit))])
        return try statement.rows { row throws(KuraError) in DisputeID(unchecked: row.text(0)) }
    }

    /// A page of disputes, newest first: all of them (`member` nil), or those `member` is involved in
    /// (`seatedOnly`: on the current panel).
    static func page(
        member: PartyID?, seatedOnly: Bool, state: Dispute.State?, before: Int64, limit: Int, _ db: SQLiteConnection
    ) throws(KuraError) -> Page<Dispute> {
        var sql: String
        var bindings: [SQLiteValue] = [.integer(before)]
        if let member {
            sql =
                "SELECT d.seq, d.json FROM dispute_members m JOIN disputes d ON d.id = m.dispute "
                + "WHERE m.seq < ?1 AND m.party = ?2"
            bindings.append(.text(member.rawValue))
            if seatedOnly { sql += " AND m.seated = 1" }
        } else {
            sql = "SELECT d.seq, d.json FROM disputes d WHERE d.seq < ?1"
        }
        if let state {
            sql += " AND d.state = ?\(bindings.count + 1)"
            bindings.append(.text(state.rawValue))
        }
        // The page size is bound, not written into the text: one cached statement per shape, not per size.
        sql += " ORDER BY d.seq DESC LIMIT ?\(bindings.count + 1)"
        bindings.append(.integer(Int64(limit + 1)))
        let statement = try db.statement(sql)
        try statement.bind(bindings)
        let rows = try statement.rows { row throws(KuraError) in
            (row.int64(0), try Queries.decode(Dispute.self, row.text(1)))
        }
        let next = rows.count > limit ? rows[limit - 1].0 : nil
        return Page(items: rows.prefix(limit).map(\.1), nextCursor: next.map(String.init))
    }
}

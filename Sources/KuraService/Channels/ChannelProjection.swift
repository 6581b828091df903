import KuraCore
import KuraCrypto
import KuraStore

/// The channels read model, updated in the append's transaction; settlements and closes add receipts.
enum ChannelProjection {
    static let schema = """
        CREATE TABLE IF NOT EXISTS channels(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, provider TEXT NOT NULL,
            state TEXT NOT NULL, due_at INTEGER, json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS channels_due ON channels(due_at) WHERE due_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS channels_by_agent ON channels(agent, seq);
        CREATE INDEX IF NOT EXISTS channels_by_provider ON channels(provider, seq);
        """

    static func apply(_ event: ChannelEvent, _ envelope: Event, _ receipts: ReceiptLog, _ db: SQLiteConnection)
        throws(KuraError)
    {
        let id = ChannelID(unchecked: String(envelope.stream.dropFirst("channel/".count)))
        var channel: Channel
        if case .opened = event {
            guard let opened = Channel.fold([event]) else { return }
            channel = opened
        } else {
            guard let before = try ChannelQueries.channel(id, db) else { return }
            try receipts.append(envelope: envelope, db) { index in
                Receipt.derive(
                    event, channelBefore: before, eventSeq: envelope.seq, eventHash: envelope.hash, at: envelope.at,
                    index: index)
            }
            channel = before
            channel.apply(event)
        }
        try db.run(
            "INSERT INTO channels(id, seq, agent, provider, state, due_at, json) VALUES (?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, json = excluded.json",
            .text(id.rawValue), .integer(Int64(envelope.seq)), .text(channel.agent.rawValue),
            .text(channel.provider.rawValue), .text(channel.state.rawValue),
            channel.dueAt.map { .integer($0.milliseconds) } ?? .null, .text(try KuraProjector.text(.of(channel))))
    }
}

/// Reads of the channels read model.
enum ChannelQueries {
    static func channel(_ id: ChannelID, _ db: SQLiteConnection) throws(KuraError) -> Channel? {
        guard let json = try db.scalar("SELECT json FROM channels WHERE id = ?", .text(id.rawValue))?.text else {
            return nil
        }
        return try Queries.decode(Channel.self, json)
    }

    /// Channels whose expiry (open) or challenge period (closing) has passed at `now`.
    static func due(at now: Timestamp, limit: Int, _ db: SQLiteConnection) throws(KuraError) -> [(ChannelID, String)] {
        let statement = try db.statement(
            "SELECT id, state FROM channels WHERE (state = 'open' AND due_at <= ?1) OR (state = 'closing' AND due_at < ?1) "
                + "ORDER BY due_at LIMIT ?2")
        try statement.bind([.integer(now.milliseconds), .integer(Int64(limit))])
        return try statement.rows { row throws(KuraError) in (ChannelID(unchecked: row.text(0)), row.text(1)) }
    }
}

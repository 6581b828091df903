import KuraCore
import KuraCrypto

/// The tables of the log and of every read model, as shared statement text (SQLite types; see
/// ``SQLDialect/translate(_:)``). Each backend runs ``statements`` when it creates or opens a database, plus
/// its own append-only enforcement on `events` (SQLite triggers; PostgreSQL triggers and grants).
public enum SQLSchema {
    /// The format name written in the `meta` table; other databases are refused.
    public static let format = "kura-log-1"

    /// The log's own tables.
    public static let log = [
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS events(
            seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
            payload TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, command_id TEXT NOT NULL,
            prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE(stream, version))
        """,
        """
        CREATE TABLE IF NOT EXISTS idempotency(
            key TEXT PRIMARY KEY, request_hash BLOB NOT NULL, response BLOB NOT NULL, seq INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS nonces(
            party TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(party, nonce))
        """,
    ]

    /// How many times read models were emptied to be rebuilt (``WriterSession/resetReadModels(_:)``: `kura replay`,
    /// a reputation rebuild): their rows then change without an event, which no writer's catch-up sees. Each
    /// batch reads the number with the head; a writer that finds another than at its last batch forgets its
    /// caches. One row. Not a read model: a replay counts itself here.
    public static let readModelEpoch = [
        "CREATE TABLE IF NOT EXISTS read_model_epoch(id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL)",
        "INSERT INTO read_model_epoch(id, epoch) VALUES (0, 0) ON CONFLICT (id) DO NOTHING",
    ]

    /// The epoch, read by each batch with the head.
    public static let readModelEpochSQL = "SELECT epoch FROM read_model_epoch WHERE id = 0"

    /// Empties `models`' tables and counts one more rebuild, in the caller's transaction
    /// (``WriterSession/resetReadModels(_:)`` on either backend).
    public static func resetReadModels(_ models: ReadModelSet, on connection: any SQLConnection) throws(KuraError) {
        let tables =
            switch models {
            case .all: readModelTables
            case .reputation: reputationTables
            }
        for table in tables { try connection.execute("DELETE FROM \(table)") }
        try connection.execute("UPDATE read_model_epoch SET epoch = epoch + 1 WHERE id = 0")
    }

    /// The reputation's tables, folded again from the stored receipts when their model changed.
    static let reputationTables = ["reputation_parties", "reputation_pairs", "reputation_log"]

    /// The read models: every table `kura replay` empties and rebuilds from the log.
    public static let readModelTables =
        [
            "parties", "balances", "escrows", "receipts", "merkle_nodes", "disputes", "dispute_members", "channels",
            "payments", "x402_settlements", "reservations", "mandates", "positions", "prices", "solana_payments",
            "withdrawals", "chain_receipts",
        ] + reputationTables

    /// The read models' tables and indexes.
    public static let readModels = [
        """
        CREATE TABLE IF NOT EXISTS parties(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL, api_key_hash TEXT NOT NULL UNIQUE,
            json TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS balances(
            account TEXT NOT NULL, asset TEXT NOT NULL, balance INTEGER NOT NULL, PRIMARY KEY(account, asset))
        """,
        """
        CREATE TABLE IF NOT EXISTS escrows(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, payer TEXT NOT NULL, payee TEXT NOT NULL, state TEXT NOT NULL,
            asset TEXT NOT NULL, amount INTEGER NOT NULL, due_at INTEGER, json TEXT NOT NULL)
        """,
        // Registration and key rotation look a signing key up (keys are unique among parties).
        "CREATE INDEX IF NOT EXISTS parties_by_key ON parties(json_extract(json, '$.publicKey'))",
        "CREATE INDEX IF NOT EXISTS escrows_by_payer ON escrows(payer, seq)",
        "CREATE INDEX IF NOT EXISTS escrows_by_payee ON escrows(payee, seq)",
        "CREATE INDEX IF NOT EXISTS escrows_due ON escrows(state, due_at)",
        """
        CREATE TABLE IF NOT EXISTS receipts(
            idx INTEGER PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
            payer TEXT NOT NULL, payee TEXT NOT NULL, json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS receipts_by_payer ON receipts(payer, idx)",
        "CREATE INDEX IF NOT EXISTS receipts_by_payee ON receipts(payee, idx)",
        // The public receipt list filters by kind, and by party and kind: each shape reads one index in `idx`
        // order and stops at the page size (issue 14, finding 3).
        "CREATE INDEX IF NOT EXISTS receipts_by_kind ON receipts(kind, idx)",
        "CREATE INDEX IF NOT EXISTS receipts_by_payer_kind ON receipts(payer, kind, idx)",
        "CREATE INDEX IF NOT EXISTS receipts_by_payee_kind ON receipts(payee, kind, idx)",
        """
        CREATE TABLE IF NOT EXISTS merkle_nodes(
            level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) /*WITHOUT_ROWID*/
        """,
        """
        CREATE TABLE IF NOT EXISTS checkpoints(
            size INTEGER NOT NULL, key_name TEXT NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL,
            PRIMARY KEY(size, key_name))
        """,
        """
        CREATE TABLE IF NOT EXISTS disputes(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, escrow TEXT NOT NULL, state TEXT NOT NULL, due_at INTEGER,
            json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS disputes_due ON disputes(due_at) WHERE due_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS disputes_by_seq ON disputes(seq)",
        """
        CREATE TABLE IF NOT EXISTS dispute_members(
            party TEXT NOT NULL, dispute TEXT NOT NULL, seated INTEGER NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY(party, dispute))
        """,
        "CREATE INDEX IF NOT EXISTS dispute_members_by_party ON dispute_members(party, seq)",
        "CREATE INDEX IF NOT EXISTS dispute_members_by_dispute ON dispute_members(dispute)",
        """
        CREATE TABLE IF NOT EXISTS channels(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, provider TEXT NOT NULL,
            state TEXT NOT NULL, due_at INTEGER, json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS channels_due ON channels(due_at) WHERE due_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS channels_by_agent ON channels(agent, seq)",
        "CREATE INDEX IF NOT EXISTS channels_by_provider ON channels(provider, seq)",
        """
        CREATE TABLE IF NOT EXISTS payments(
            payer TEXT NOT NULL, payment_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL,
            payee TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY(payer, payment_id))
        """,
        "CREATE INDEX IF NOT EXISTS payments_by_payee ON payments(payee, seq)",
        """
        CREATE TABLE IF NOT EXISTS x402_settlements(
            payer TEXT NOT NULL, nonce TEXT NOT NULL, payment_identifier TEXT, seq INTEGER NOT NULL,
            json TEXT NOT NULL, PRIMARY KEY(payer, nonce))
        """,
        """
        CREATE UNIQUE INDEX IF NOT EXISTS x402_settlements_by_identifier
            ON x402_settlements(payer, payment_identifier) WHERE payment_identifier IS NOT NULL
        """,
        "CREATE TABLE IF NOT EXISTS reputation_parties(party TEXT PRIMARY KEY, state BLOB NOT NULL) /*WITHOUT_ROWID*/",
        """
        CREATE TABLE IF NOT EXISTS reputation_pairs(
            party TEXT NOT NULL, role TEXT NOT NULL, counterparty TEXT NOT NULL, positive INTEGER NOT NULL,
            negative INTEGER NOT NULL, tick INTEGER NOT NULL, PRIMARY KEY(party, role, counterparty)) /*WITHOUT_ROWID*/
        """,
        """
        CREATE TABLE IF NOT EXISTS reputation_log(
            id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL, last_at INTEGER NOT NULL,
            model TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS reservations(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL, lane TEXT NOT NULL, agent TEXT NOT NULL,
            counterparty TEXT NOT NULL, source TEXT NOT NULL, expires_at INTEGER NOT NULL, json TEXT NOT NULL,
            settlement TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS reservations_live ON reservations(state, expires_at)",
        "CREATE INDEX IF NOT EXISTS reservations_by_source ON reservations(source, state)",
        """
        CREATE TABLE IF NOT EXISTS mandates(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL,
            expires_at INTEGER NOT NULL, json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS mandates_due ON mandates(state, expires_at)",
        """
        CREATE TABLE IF NOT EXISTS positions(
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, state TEXT NOT NULL, pair TEXT NOT NULL,
            json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS positions_by_pair ON positions(pair, state)",
        """
        CREATE TABLE IF NOT EXISTS prices(
            base TEXT NOT NULL, quote TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL,
            PRIMARY KEY(base, quote))
        """,
        // The Solana rail (issue 17): x402 `exact` payments by message hash, withdrawals, on-chain receipts.
        """
        CREATE TABLE IF NOT EXISTS solana_payments(
            message_hash TEXT PRIMARY KEY, signature TEXT NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL,
            json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS solana_payments_by_state ON solana_payments(state)",
        // A seed receipt naming one of Kura's own transactions is refused (`ReadSession.isKuraTransaction`).
        "CREATE INDEX IF NOT EXISTS solana_payments_by_signature ON solana_payments(signature)",
        """
        CREATE TABLE IF NOT EXISTS withdrawals(
            id TEXT PRIMARY KEY, party TEXT NOT NULL, asset TEXT NOT NULL, amount INTEGER NOT NULL,
            state TEXT NOT NULL, day INTEGER NOT NULL, signature TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS withdrawals_by_party_day ON withdrawals(party, asset, day)",
        "CREATE INDEX IF NOT EXISTS withdrawals_by_state ON withdrawals(state)",
        "CREATE INDEX IF NOT EXISTS withdrawals_by_signature ON withdrawals(signature)",
        "CREATE TABLE IF NOT EXISTS chain_receipts(signature TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL)",
    ]

    /// What brings a database of this format written by an older build up to date: idempotent, so SQLite runs
    /// it on every open; PostgreSQL runs it once, as a migration.
    public static let upgrades = [
        // Subtrees below the lowest stored level are hashed from their receipts now (2026-12-06): rows an older
        // build wrote there are read by no one.
        "DELETE FROM merkle_nodes WHERE level < \(MerkleNode.lowestStoredLevel)"
    ]

    /// Open escrows' and reservations' holds are kept on their rows (``AccountName/isKeptOnItsAggregate``,
    /// 2026-12-07): the balance rows an older build wrote for them are read by no one, and the ledger check would
    /// count them twice. Idempotent; the ranges let both backends walk the balances' primary key.
    public static let holdsOnAggregates = [
        "DELETE FROM balances WHERE account >= 'escrow/' AND account < 'escrow0' AND account LIKE '%/held'",
        "DELETE FROM balances WHERE account >= 'reservation/' AND account < 'reservation0' AND account LIKE '%/held'",
    ]

    /// Every statement, log first, in this dialect.
    public static func statements(_ dialect: SQLDialect) -> [String] {
        (log + readModels).map { dialect.translate($0) }
    }

    /// The queries whose rows make up ``ReadSession/projectionDigest()``, in order. Every column is rendered
    /// as text (integers in decimal, blobs in lowercase hex, NULL as `null`), columns joined by U+001F and rows
    /// ended by a newline, so the digest is the same on both backends.
    public static let digestQueries = [
        "SELECT id, seq, status, api_key_hash, json FROM parties ORDER BY id",
        "SELECT account, asset, balance FROM balances WHERE balance != 0 ORDER BY account, asset",
        "SELECT id, seq, payer, payee, state, asset, amount, due_at, json FROM escrows ORDER BY id",
        "SELECT idx, seq, kind, subject, payer, payee, json FROM receipts ORDER BY idx",
        // Rows an older node wrote below the lowest stored level (during a rolling upgrade on PostgreSQL) are read
        // by no one and would make replays and copies look different.
        "SELECT level, idx, hash FROM merkle_nodes WHERE level >= \(MerkleNode.lowestStoredLevel) ORDER BY level, idx",
        "SELECT id, seq, escrow, state, due_at, json FROM disputes ORDER BY id",
        "SELECT party, dispute, seated, seq FROM dispute_members ORDER BY party, dispute",
        "SELECT id, seq, agent, provider, state, due_at, json FROM channels ORDER BY id",
        "SELECT payer, payment_id, id, seq, payee, json FROM payments ORDER BY payer, payment_id",
        "SELECT party, state FROM reputation_parties ORDER BY party",
        "SELECT party, role, counterparty, positive, negative, tick FROM reputation_pairs ORDER BY party, role, counterparty",
        "SELECT id, size, root, last_at, model FROM reputation_log",
        "SELECT id, seq, state, lane, agent, counterparty, source, expires_at, json, settlement FROM reservations ORDER BY id",
        "SELECT id, seq, agent, state, expires_at, json FROM mandates ORDER BY id",
        "SELECT id, seq, agent, state, pair, json FROM positions ORDER BY id",
        "SELECT base, quote, seq, json FROM prices ORDER BY base, quote",
        "SELECT message_hash, signature, state, seq, json FROM solana_payments ORDER BY message_hash",
        "SELECT id, party, asset, amount, state, day, signature, seq, json FROM withdrawals ORDER BY id",
        "SELECT signature, seq, json FROM chain_receipts ORDER BY signature",
    ]
}

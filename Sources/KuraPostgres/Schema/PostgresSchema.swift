import KuraCore
import KuraStore

/// Kura's schema on PostgreSQL: the shared tables (``SQLSchema``, translated by ``SQLDialect/postgres``,
/// text columns in the bytewise `"C"` collation so that `ORDER BY` sorts as SQLite does and the projection
/// digest agrees), the log's guards (``LogGuards``), the `meta` format row, and the schema versions.
///
/// Versions are recorded in `kura_schema_versions`; a database opens only if it is empty (and may be
/// created) or holds the `kura-log-1` format, and every migration newer than the recorded version runs
/// forward, in one transaction that holds the writers' advisory lock, so nodes starting together migrate
/// once and no batch is written half-way through.
public enum PostgresSchema {
    /// The key of the database-wide advisory lock every batch (and every migration) takes: "kuralog1".
    public static let lockKey: Int64 = 0x6B75_7261_6C6F_6731

    /// One forward step of the schema.
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: @Sendable () -> [String]
    }

    /// Every migration, oldest first. Never edit a released one: add the next.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "kura-log-1: the log, the read models, append-only and chain guards") {
            SQLSchema.statements(.postgres).map(bytewiseText) + [LogGuards.sql]
        },
        Migration(version: 2, name: "merkle_nodes keeps subtrees of 8 leaves and more") {
            SQLSchema.upgrades.map { SQLDialect.postgres.translate($0) }
        },
        Migration(version: 3, name: "read_model_epoch counts read-model rebuilds, which writers' caches follow") {
            SQLSchema.readModelEpoch.map { SQLDialect.postgres.translate($0) }
        },
        Migration(version: 4, name: "open escrows' and reservations' holds are kept on their rows, not in balances") {
            SQLSchema.holdsOnAggregates.map { SQLDialect.postgres.translate($0) } + [LogGuards.keptHolds]
        },
    ]

    /// The version this build writes and expects.
    public static var currentVersion: Int { migrations.last!.version }

    /// What opening found and did.
    public struct Outcome: Sendable, Equatable {
        /// The version before opening (0: an empty database).
        public var from: Int
        /// The version now.
        public var to: Int
    }

    /// Checks that the database is Kura's (or empty, with `create`), then runs the pending migrations and
    /// grants the application role its privileges. A database another program uses is left untouched.
    @discardableResult
    static func prepare(_ db: PostgresConnection, create: Bool) throws(KuraError) -> Outcome {
        try db.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do throws(KuraError) {
            try db.result("SELECT pg_advisory_xact_lock($1)", [.integer(lockKey)])
            let from = try recordedVersion(db, create: create)
            var to = from
            for migration in migrations where migration.version > from {
                for statement in migration.statements() { try db.execute(statement) }
                try db.result(
                    "INSERT INTO kura_schema_versions(version, name) VALUES ($1, $2)",
                    [.integer(Int64(migration.version)), .text(migration.name)])
                to = migration.version
            }
            if to != from {
                try db.result(
                    "INSERT INTO meta(key, value) VALUES ('format', $1) ON CONFLICT (key) DO NOTHING",
                    [.text(SQLSchema.format)])
                try PostgresRoles.grantIfPresent(db)
            }
            let format = try db.scalar("SELECT value FROM meta WHERE key = 'format'")?.text
            guard format == SQLSchema.format else {
                throw KuraError(.unsupportedDatabase, "database format \(format ?? "?") is not \(SQLSchema.format)")
            }
            try db.execute("COMMIT")
            return Outcome(from: from, to: to)
        } catch {
            if db.isConnected { try? db.execute("ROLLBACK") }
            throw error
        }
    }

    /// The recorded schema version, creating the versions table on an empty database (with `create`).
    private static func recordedVersion(_ db: PostgresConnection, create: Bool) throws(KuraError) -> Int {
        let hasMeta = try db.scalar("SELECT to_regclass('meta') IS NOT NULL")?.int64 == 1
        if !hasMeta {
            let relations =
                try db.scalar(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')")?
                .int64 ?? 0
            guard relations == 0 else {
                throw KuraError(
                    .unsupportedDatabase,
                    "\(db.url) holds tables but is not a Kura database; refusing to change it")
            }
            guard create else {
                throw KuraError(.notFound, "\(db.url) is empty (create the schema with `kura init --db \(db.url)`)")
            }
        } else {
            let format = try db.scalar("SELECT value FROM meta WHERE key = 'format'")?.text
            guard format == SQLSchema.format else {
                throw KuraError(.unsupportedDatabase, "\(db.url) is not a Kura database (format \(format ?? "none"))")
            }
        }
        // Only when missing: even CREATE … IF NOT EXISTS needs the CREATE privilege the application role lacks.
        if try db.scalar("SELECT to_regclass('kura_schema_versions') IS NULL")?.int64 == 1 {
            try db.execute(
                """
                CREATE TABLE kura_schema_versions(
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
        }
        let version = Int(try db.scalar("SELECT coalesce(max(version), 0) FROM kura_schema_versions")?.int64 ?? 0)
        guard version <= currentVersion else {
            throw KuraError(
                .unsupportedDatabase,
                "\(db.url) is at schema version \(version), newer than this kura (\(currentVersion)): upgrade kura")
        }
        return version
    }

    /// A shared CREATE TABLE with its text columns in the `"C"` collation (bytewise, like SQLite's), whatever
    /// the database's default collation is.
    static func bytewiseText(_ statement: String) -> String {
        guard statement.contains("CREATE TABLE") else { return statement }
        var out = ""
        var rest = Substring(statement)
        while let range = rest.range(of: "TEXT") {
            let before = range.lowerBound == rest.startIndex ? out.last : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            out += rest[..<range.lowerBound]
            let isWord = [before, after].allSatisfy { c in !(c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false)
            }
            out += isWord ? "TEXT COLLATE \"C\"" : "TEXT"
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}

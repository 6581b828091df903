import KuraCore
import KuraPostgres
import KuraStore
import KuraTesting
import Testing

/// The libpq wrapper against a real server: values both ways, errors mapped to Kura's codes, a lost
/// session noticed and re-opened, pipelined batches.
@Suite("PostgreSQL connection")
struct PostgresConnectionTests {
    @Test("integers, text and bytes go out and come back unchanged, NULL included")
    func roundTrip() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let db = try PostgresConnection(database.url)
        try db.execute("CREATE TABLE t(i BIGINT, j INTEGER, s TEXT, b BYTEA, n SMALLINT)")
        let values: [[SQLValue]] = [
            [.integer(.max), .integer(Int64(Int32.min)), .text("ü€𝄞 ' \" \\"), .blob([0, 1, 255, 0]), .integer(-7)],
            [.integer(.min), .integer(0), .text(""), .blob([]), .null],
            [.null, .null, .null, .null, .null],
        ]
        for row in values {
            try db.result("INSERT INTO t(i, j, s, b, n) VALUES ($1, $2, $3, $4, $5)", row)
        }
        let rows = try db.result("SELECT i, j, s, b, n FROM t ORDER BY i NULLS LAST")
        #expect(rows.count == 3)
        // ORDER BY i: .min first, then .max, then NULL.
        let expected = [values[1], values[0], values[2]]
        for (index, row) in expected.enumerated() {
            #expect((0..<5).map { rows.value(index, $0) } == row, "row \(index)")
        }
    }

    @Test("sum() of bigints (a numeric) reads as an integer; a fraction does not pass for one")
    func numericSums() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let db = try PostgresConnection(database.url)
        try db.execute("CREATE TABLE t(v BIGINT)")
        for v: Int64 in [9_007_199_254_740_991, 9_007_199_254_740_991, -5, 10_000, 0] {
            try db.run("INSERT INTO t(v) VALUES ($1)", [.integer(v)])
        }
        #expect(try db.scalar("SELECT sum(v) FROM t") == .integer(18_014_398_509_491_977))
        #expect(try db.scalar("SELECT sum(v) FROM t WHERE v < 0") == .integer(-5))
        #expect(try db.scalar("SELECT sum(v) FROM t WHERE v = 10000") == .integer(10_000))
        #expect(try db.scalar("SELECT sum(v) FROM t WHERE v = 0") == .integer(0))
        #expect(try db.scalar("SELECT sum(v) FROM t WHERE v > 1e18") == .null)
        #expect(try db.scalar("SELECT 100000000::numeric") == .integer(100_000_000))
        #expect(try db.scalar("SELECT 2.5::numeric") == .text("2.5"))
        #expect(try db.scalar("SELECT -0.00012::numeric") == .text("-0.00012"))
        #expect(try db.scalar("SELECT 123456789.0001::numeric") == .text("123456789.0001"))
        #expect(try db.scalar("SELECT 99999999999999999999::numeric") == .text("99999999999999999999"))
    }

    @Test("a unique violation is version_conflict, a bad statement storage_failure, and the session goes on")
    func errors() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let db = try PostgresConnection(database.url)
        try db.execute("CREATE TABLE t(k TEXT PRIMARY KEY)")
        try db.run("INSERT INTO t(k) VALUES ($1)", [.text("a")])
        let duplicate = #expect(throws: KuraError.self) { try db.run("INSERT INTO t(k) VALUES ($1)", [.text("a")]) }
        #expect(duplicate?.code == .versionConflict)
        let bad = #expect(throws: KuraError.self) { try db.execute("SELECT * FROM missing") }
        #expect(bad?.code == .storageFailure)
        #expect(bad?.detail.contains("42P01") == true)
        let range = #expect(throws: KuraError.self) {
            try db.result("SELECT $1::integer", [.integer(Int64(Int32.max) + 1)])
        }
        #expect(range?.code == .internalError)
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test("a server that is not there is storage_unavailable, and the message shows no password")
    func unreachable() throws {
        let url = try PostgresURL("postgres://kura:s3cret-pw@127.0.0.1:1/kura?connect_timeout=2")
        #expect(!url.description.contains("s3cret"))
        #expect(url.description == "postgres://kura@127.0.0.1:1/kura?connect_timeout=2")
        let error = #expect(throws: KuraError.self) { try PostgresConnection(url) }
        #expect(error?.code == .storageUnavailable)
        #expect(error?.detail.contains("s3cret") == false)
        #expect(error?.detail.contains("127.0.0.1") == true)
    }

    @Test("URLs: a Unix socket directory, a wrong scheme, an unparsable one")
    func urls() throws {
        let socket = try PostgresURL("postgres://kura@%2Ftmp%2Fkura%20pg:5433/db")
        #expect(socket["host"] == "/tmp/kura pg")
        #expect(socket.description == "postgres://kura@%2Ftmp%2Fkura%20pg:5433/db")
        #expect(try PostgresURL(socket.description) == socket)
        #expect(socket.withDatabase("other").database == "other")
        #expect(throws: KuraError.self) { try PostgresURL("mysql://x@y/z") }
        #expect(throws: KuraError.self) { try PostgresURL("postgres://x@y/z?nonsense=1") }
    }

    @Test("a URL libpq cannot parse: the error shows none of it (libpq quotes the piece, which can be the password)")
    func unparsableURLHidesPassword() {
        // An unencoded % in a password, and a broken IPv6 host after one: libpq's own messages quote
        // "50%zzsecret" and the whole URL.
        for (text, secret) in [
            ("postgres://kura:50%zzsecret@db.example/kura", "zzsecret"),
            ("postgres://kura:sec[ret-pw@[::1/kura", "ret-pw"),
        ] {
            do throws(KuraError) {
                _ = try PostgresURL(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.code == .invalidRequest)
                #expect(!error.detail.contains(secret), "\(error.detail)")
                #expect(error.detail.hasPrefix("cannot parse the PostgreSQL URL"), "\(error.detail)")
            }
        }
    }

    @Test("the same database through the server's Unix socket")
    func unixSocket() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let tcp = try PostgresConnection(database.url)
        let directory = try #require(tcp.scalar("SELECT current_setting('unix_socket_directories')")?.text)
        let port = try #require(tcp.scalar("SELECT current_setting('port')")?.text)
        let first = try #require(directory.split(separator: ",").first).trimmingCharacters(in: .whitespaces)
        let url = try PostgresURL(
            "postgres://kura@\(first.replacingOccurrences(of: "/", with: "%2F")):\(port)/\(database.name)")
        let socket = try PostgresConnection(url)
        #expect(try socket.scalar("SELECT current_database()") == .text(database.name))
        #expect(try socket.scalar("SELECT inet_server_addr() IS NULL") == .integer(1))
    }

    @Test("a session killed by the server is storage_unavailable, then reconnects with its statements re-prepared")
    func lostSession() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let db = try PostgresConnection(database.url, sessionSetup: "SET synchronous_commit = on")
        let admin = try PostgresConnection(database.url)
        let pid = try #require(db.scalar("SELECT pg_backend_pid()")?.int64)
        #expect(try db.scalar("SELECT $1::bigint + 1", .integer(41)) == .integer(42))
        try admin.result("SELECT pg_terminate_backend($1::integer)", [.integer(pid)])
        let lost = #expect(throws: KuraError.self) { try db.scalar("SELECT $1::bigint + 1", .integer(1)) }
        #expect(lost?.code == .storageUnavailable)
        #expect(!db.isConnected)
        try db.reconnectIfNeeded()
        #expect(db.isConnected)
        #expect(try db.scalar("SELECT $1::bigint + 1", .integer(1)) == .integer(2))
        #expect(try db.scalar("SELECT pg_backend_pid()")?.int64 != pid)
        #expect(try db.scalar("SELECT current_setting('synchronous_commit')") == .text("on"))
    }

    /// A generic plan of the catch-up's pair read scans all of `reputation_pairs` (Docs/postgresql.md § 8), so a
    /// Kura session keeps PostgreSQL's default plan choice whatever the database's own default says.
    @Test("every Kura session commits durably and plans per call, whatever the database's defaults are")
    func sessionDefaults() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let admin = try PostgresConnection(database.url)
        try admin.execute("ALTER DATABASE \(database.name) SET plan_cache_mode = force_generic_plan")
        try admin.execute("ALTER DATABASE \(database.name) SET synchronous_commit = off")
        let plain = try PostgresConnection(database.url)
        #expect(try plain.scalar("SELECT current_setting('plan_cache_mode')") == .text("force_generic_plan"))
        let kura = try PostgresConnection(database.url, sessionSetup: PostgresBackend.sessionSetup)
        #expect(try kura.scalar("SELECT current_setting('plan_cache_mode')") == .text("auto"))
        #expect(try kura.scalar("SELECT current_setting('synchronous_commit')") == .text("on"))
    }

    @Test("a pipelined batch runs in order; a failure in it is thrown and the session stays usable")
    func pipeline() throws {
        let database = try TestPostgres.database()
        defer { database.drop() }
        let db = try PostgresConnection(database.url)
        try db.execute("CREATE TABLE t(k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
        var batch = PostgresBatch()
        batch.append("BEGIN")
        for k in 0..<1000 { batch.append("INSERT INTO t(k, v) VALUES ($1, $2)", [.integer(Int64(k)), .text("v\(k)")]) }
        batch.append("SELECT count(*), sum(k) FROM t")
        batch.append("COMMIT")
        let results = try db.run(batch)
        #expect(results.count == 1003)
        #expect(results[1001].value(0, 0) == .integer(1000))
        #expect(results[1001].value(0, 1) == .integer(499_500))
        #expect(!db.inTransaction)

        var failing = PostgresBatch()
        failing.append("BEGIN")
        failing.append("INSERT INTO t(k, v) VALUES ($1, $2)", [.integer(5000), .text("new")])
        failing.append("INSERT INTO t(k, v) VALUES ($1, $2)", [.integer(7), .text("duplicate")])
        failing.append("INSERT INTO t(k, v) VALUES ($1, $2)", [.integer(5001), .text("skipped")])
        let error = #expect(throws: KuraError.self) { try db.run(failing) }
        #expect(error?.code == .versionConflict)
        #expect(db.inTransaction)
        try db.execute("ROLLBACK")
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(1000))
        #expect(try db.scalar("SELECT count(*) FROM t WHERE k >= 5000") == .integer(0))
    }
}

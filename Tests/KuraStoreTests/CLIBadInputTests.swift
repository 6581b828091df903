import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import KuraTesting
import Testing

/// Every command of the real `kura` binary given bad input: one clear line, a distinct non-zero exit,
/// no crash, and no file created by accident.
@Suite struct CLIBadInputTests {
    /// The commands that take `--db FILE`; `$DB` is replaced by the file.
    static let databaseCommands: [[String]] = [
        ["log", "verify", "--db", "$DB"], ["log", "verify", "--db", "$DB", "--json"], ["log", "tail", "--db", "$DB"],
        ["log", "tail", "--db", "$DB", "-n", "3", "--json"], ["bench", "append-loop", "--db", "$DB", "--writers", "2"],
    ]

    static func substitute(_ command: [String], _ db: String) -> [String] { command.map { $0 == "$DB" ? db : $0 } }

    /// Checks the shape every handled error shares: exit `status`, one `kura: <code>: …` line, nothing on stdout.
    static func expectOneLineError(
        _ result: CLIResult, status: Int32, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.signaled, sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("kura: \(code): "), "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasSuffix("\n"), sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.crashed, "\(result)", sourceLocation: sourceLocation)
    }

    // MARK: Missing and foreign files

    @Test("a missing --db file: exit 66, one line, and no file created", arguments: databaseCommands)
    func missingDatabase(_ command: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("absent.sqlite")
        let result = try await runKura(Self.substitute(command, db), in: dir)
        Self.expectOneLineError(result, status: 66, code: "not_found")
        #expect(result.stderr.contains(db))
        #expect(noDatabaseFiles(at: db))
        #expect(dir.contents() == [])
    }

    @Test("no --db at all looks for kura.sqlite in the working directory and does not create it")
    func defaultDatabaseMissing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["log", "verify"], in: dir)
        Self.expectOneLineError(result, status: 66, code: "not_found")
        #expect(dir.contents() == [])
    }

    @Test("a file that is not a database: exit 65, one line, file untouched", arguments: databaseCommands)
    func notADatabase(_ command: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("notes.txt")
        let content = Data("these are my notes, not a database\n".utf8)
        _ = FileManager.default.createFile(atPath: db, contents: content)
        let result = try await runKura(Self.substitute(command, db), in: dir)
        Self.expectOneLineError(result, status: 65, code: "unsupported_database")
        #expect(fileBytes(db) == content)
        #expect(dir.contents() == ["notes.txt"])
    }

    @Test("another program's SQLite file: exit 65, and no Kura tables are added", arguments: databaseCommands)
    func foreignSQLite(_ command: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("other.sqlite")
        try SQLiteConnection(path: db, create: true).execute(
            "CREATE TABLE people(name TEXT); INSERT INTO people VALUES ('ann')")
        let before = fileBytes(db)
        let result = try await runKura(Self.substitute(command, db), in: dir)
        Self.expectOneLineError(result, status: 65, code: "unsupported_database")
        #expect(fileBytes(db) == before)
    }

    @Test("a directory as --db is refused with one line")
    func directoryAsDatabase() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["log", "verify", "--db", dir.url.path], in: dir)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("kura: "), "\(result)")
        #expect(!result.crashed)
    }

    @Test("init into a missing directory: exit 66, nothing created")
    func initMissingDirectory() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["init", "--db", dir.path("no/such/dir/kura.sqlite")], in: dir)
        Self.expectOneLineError(result, status: 66, code: "not_found")
        #expect(dir.contents() == [])
    }

    @Test("init over an existing file or key is refused and changes nothing")
    func initRefusesExisting() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("notes.txt")
        let content = Data("precious\n".utf8)
        _ = FileManager.default.createFile(atPath: db, contents: content)
        let overFile = try await runKura(["init", "--db", db], in: dir)
        Self.expectOneLineError(overFile, status: 75, code: "invalid_transition")
        #expect(fileBytes(db) == content)
        #expect(dir.contents() == ["notes.txt"])

        // A key file already there (but no database): refused, key untouched, no database created.
        let fresh = dir.path("fresh.sqlite")
        _ = FileManager.default.createFile(atPath: fresh + ".key", contents: Data("my key\n".utf8))
        let overKey = try await runKura(["init", "--db", fresh], in: dir)
        Self.expectOneLineError(overKey, status: 75, code: "invalid_transition")
        #expect(fileBytes(fresh + ".key") == Data("my key\n".utf8))
        #expect(noDatabaseFiles(at: fresh))
    }

    @Test("keys show with a missing or malformed key file")
    func keysShowBadFiles() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = try await runKura(["keys", "show", "--key", dir.path("absent.key")], in: dir)
        Self.expectOneLineError(missing, status: 66, code: "not_found")
        #expect(dir.contents() == [])

        let bogus = dir.path("bogus.key")
        _ = FileManager.default.createFile(atPath: bogus, contents: Data("PRIVATE+KEY+x+00000000+c2VjcmV0\n".utf8))
        let malformed = try await runKura(["keys", "show", "--key", bogus], in: dir)
        Self.expectOneLineError(malformed, status: 64, code: "invalid_request")
        // The secret never reaches the terminal.
        #expect(!malformed.stderr.contains("c2VjcmV0"))
    }

    // MARK: Bad flags

    @Test(
        "bad flags: non-zero exit, ArgumentParser's message, no crash, nothing created",
        arguments: [
            ["log", "verify", "--bogus"], ["log", "verify", "--db"], ["log", "tail", "-n", "0"],
            ["log", "tail", "-n", "abc"],
            ["log", "tail", "-n", "100001"], ["keys", "generate"], ["keys", "generate", "--out", "k", "--name", "a b"],
            ["keys", "generate", "--out", "k", "--name", "a+b"], ["keys", "show"], ["init", "--db"],
            ["init", "--origin", "has space"],
            ["json", "canonicalize", "extra"], ["bench", "append-loop", "--writers", "x"], ["no-such-command"],
            ["--db", "x"],
        ])
    func badFlags(_ arguments: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(arguments, in: dir)
        #expect(result.status != 0, "\(result)")
        #expect(!result.signaled)
        #expect(!result.crashed, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.hasPrefix("Error: ") || result.stderr.hasPrefix("kura: "), "\(result)")
        #expect(result.stderrLines.count <= 4, "\(result)")
        #expect(dir.contents() == [], "a file was created: \(dir.contents())")
    }

    @Test(
        "--help on each command shows an example and exits 0",
        arguments: [
            ["init"], ["log", "verify"], ["log", "tail"], ["keys", "generate"], ["keys", "show"],
            ["json", "canonicalize"],
        ])
    func help(_ command: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(command + ["--help"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example:"), "\(result)")
        #expect(result.stdout.contains("kura \(command.joined(separator: " "))"), "\(result)")
        #expect(dir.contents() == [])
    }

    @Test("the PostgreSQL examples in --help connect as a role that logs in, never as the NOLOGIN group kura_app")
    func postgresExamplesLogIn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var users: [String] = []
        for command in [["serve"], ["init"], ["db", "copy"]] {
            let result = try await runKura(command + ["--help"], in: dir)
            #expect(result.status == 0, "\(result)")
            // The help wraps its lines: join them before looking for URLs.
            let text = result.stdout.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ")
            users += text.matches(of: /postgres:\/\/([a-z_]+)@/).map { String($0.output.1) }
        }
        #expect(!users.isEmpty)
        // `kura init` creates kura_app without LOGIN: a node connects as a member of it (kura_node in the docs).
        #expect(!users.contains("kura_app"), "\(users)")
    }

    // MARK: Keys

    @Test("keys generate: mode 0600, --json prints the 32-byte base64 public key of the file's key")
    func keysGenerate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("arbiter.key")
        let result = try await runKura(["keys", "generate", "--out", path, "--name", "alice", "--json"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty)
        #expect(try permissions(path) == 0o600)
        let value = try JSONValue.parse(result.stdout.trimmingCharacters(in: .newlines))
        let publicKey = try #require(value["publicKey"]?.stringValue)
        #expect(Base64.decode(publicKey)?.count == 32)
        let signer = try NoteSigner(parsing: String(decoding: try #require(fileBytes(path)), as: UTF8.self))
        #expect(signer.name == "alice")
        #expect(signer.key.publicKey.base64 == publicKey)
        if let verifier = value["verifierKey"]?.stringValue {
            #expect(try NoteVerifier(parsing: verifier) == signer.verifier)
        }

        // `keys show` reads it back.
        let shown = try await runKura(["keys", "show", "--key", path, "--json"], in: dir)
        #expect(shown.status == 0)
        #expect(try JSONValue.parse(shown.stdout.trimmingCharacters(in: .newlines))["publicKey"] == .string(publicKey))
        #expect(!shown.stdout.contains(Base64.encode([1] + signer.key.seed)))
    }

    @Test("keys generate refuses an existing path and leaves the file as it was")
    func keysGenerateRefusesExisting() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("taken.key")
        let first = try await runKura(["keys", "generate", "--out", path], in: dir)
        #expect(first.status == 0)
        let before = try #require(fileBytes(path))
        let second = try await runKura(["keys", "generate", "--out", path, "--json"], in: dir)
        Self.expectOneLineError(second, status: 75, code: "invalid_transition")
        #expect(fileBytes(path) == before)
        #expect(try permissions(path) == 0o600)

        let other = dir.path("other.txt")
        _ = FileManager.default.createFile(atPath: other, contents: Data("keep me".utf8))
        let third = try await runKura(["keys", "generate", "--out", other], in: dir)
        #expect(third.status == 75)
        #expect(fileBytes(other) == Data("keep me".utf8))
    }

    @Test("keys generate into a missing directory fails with one line and creates nothing")
    func keysGenerateMissingDirectory() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["keys", "generate", "--out", dir.path("no/such/k.key")], in: dir)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("kura: "), "\(result)")
        #expect(!result.crashed)
        #expect(dir.contents() == [])
    }

    // MARK: init

    @Test("init --json prints database and verifierKey, writes FILE.key with 0600, and the log verifies")
    func initJSON() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("kura.sqlite")
        let result = try await runKura(["init", "--db", db, "--json", "--origin", "kura.test/log"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty)
        let value = try JSONValue.parse(result.stdout.trimmingCharacters(in: .newlines))
        let object = try #require(value.objectValue)
        #expect(Set(object.keys).isSuperset(of: ["database", "verifierKey"]))
        #expect(value["database"] == .string(db))
        let verifier = try NoteVerifier(parsing: try #require(value["verifierKey"]?.stringValue))
        #expect(verifier.name == "kura.test/log")

        #expect(try permissions(db + ".key") == 0o600)
        let signer = try NoteSigner(parsing: String(decoding: try #require(fileBytes(db + ".key")), as: UTF8.self))
        #expect(signer.verifier == verifier)

        let store = try openStore(db, create: false)
        defer { store.close() }
        let report = try await store.verify()
        #expect(report.isValid)
        #expect(try await store.head().seq == report.count)

        // Running it again refuses, and the key stays the same.
        let key = fileBytes(db + ".key")
        let again = try await runKura(["init", "--db", db], in: dir)
        Self.expectOneLineError(again, status: 75, code: "invalid_transition")
        #expect(fileBytes(db + ".key") == key)
    }

    // MARK: json canonicalize

    @Test(
        "json canonicalize writes the RFC 8785 form",
        arguments: [
            (#"{"b":1,"a":[1.0,"x",1e21,-0]}"#, #"{"a":[1,"x",1e+21,0],"b":1}"#),
            (" [ \"\\u00e9\\/\" , 1E-7 , true ] \n", "[\"é/\",1e-7,true]"),
            (#"{"€":1,"\r":2,"1":3,"😀":4,"ö":5}"#, "{\"\\r\":2,\"1\":3,\"ö\":5,\"€\":1,\"😀\":4}"),
            ("\"\\ud83d\\ude00 \\u0007\"", "\"😀 \\u0007\""),
            ("null", "null"),
        ])
    func canonicalize(_ input: String, _ expected: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["json", "canonicalize"], in: dir, input: input)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == expected)
        #expect(result.stderr.isEmpty)
    }

    @Test(
        "json canonicalize refuses invalid input: exit 64, one line, empty stdout",
        arguments: [
            "", "{", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "[1e400]", "\"\\ud800\"", "NaN", "[1] [2]", "{'a':1}",
            "\u{FEFF}{}",
            "[\"\u{1}\"]",
        ])
    func canonicalizeRefuses(_ input: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runKura(["json", "canonicalize"], in: dir, input: input)
        Self.expectOneLineError(result, status: 64, code: "invalid_request")
        #expect(result.stderr.contains("invalid JSON"))
    }
}

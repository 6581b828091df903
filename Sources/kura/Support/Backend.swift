import ArgumentParser
import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import Logging

/// What a command talks to: the database directly (`--db`) or a server (`--server`). Both answer with
/// the same types and the same error codes, so every command works the same way in both modes.
///
/// The operations of the catalog (``KuraAPI``) go through one method, ``perform(_:at:query:body:idempotencyKey:)``:
/// locally through the service's binding of the operation, remotely through ``KuraClient``. The few named
/// methods left are not the public operations' answers: the checkpoint note, bundles and consistency proofs
/// locally sign a checkpoint on demand (an operator's tool may; the public route only waits for the
/// checkpointer), the attestation likewise, and the receipt count and the instance name are not operations.
protocol Backend: Sendable {
    /// Runs a catalog operation as the caller.
    func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, at path: Path, query: Query, body: Body,
        idempotencyKey: String?
    ) async throws -> Response
    /// The server's instance name for signed texts (`<log key name>+<hex key ID>`), e.g. for a key rotation.
    func instanceName() async throws -> String
    func bundle(_ index: UInt64, size: UInt64?) async throws -> JSONValue
    func checkpointNote() async throws -> String
    /// How many receipts the log holds (for progress; a server answers with its checkpoint's size).
    func receiptCount() async throws -> UInt64
    func consistency(from: UInt64, to: UInt64) async throws -> ConsistencyProof
    func close() async
    /// The calling party, when the backend knows it without asking (local: `--as`).
    var caller: PartyID? { get }
    func reputationAttestation(of party: PartyID, asOf: UInt64?) async throws -> ReputationAttestation
}

/// `--db FILE|URL | --server URL`, with `--api-key-file` (or `KURA_API_KEY`, or `--api-key`) for a server and
/// `--as PARTY` and `--service-key-file` locally.
struct TargetOptions: ParsableArguments {
    @Option(
        help:
            "Work on this database: an SQLite file or postgres://USER@HOST:PORT/DB (default: $KURA_DATABASE_URL, else kura.sqlite)."
    )
    var db: String?
    @Option(help: "With --db: the service's signing key (default: FILE.key; for PostgreSQL, DB.key here).")
    var serviceKeyFile: String?
    @Option(help: "Work against a Kura server, e.g. http://127.0.0.1:8402.")
    var server: String?
    @Option(help: ArgumentHelp(APIKeySource.flagHelp))
    var apiKey: String?
    @Option(help: ArgumentHelp(APIKeySource.fileHelp))
    var apiKeyFile: String?
    @Option(name: .customLong("as"), help: "With --db: act as this party (default: the operator).")
    var actingAs: String?
    @Option(help: "With --db: kura serve's configuration file, for its dispute policy (default: $KURA_CONFIG).")
    var config: String?

    func validate() throws {
        if db != nil && server != nil { throw ValidationError("give either --db or --server, not both") }
        if server != nil && serviceKeyFile != nil { throw ValidationError("--service-key-file works with --db only") }
        if server != nil && config != nil { throw ValidationError("--config works with --db only") }
        if server != nil && actingAs != nil {
            throw ValidationError("--as works with --db only; use the party's --api-key")
        }
    }

    /// Opens the backend the options name (default: `--db kura.sqlite`); a local one with `configuration`.
    func open(configuration: ServiceConfiguration = .init()) async throws -> any Backend {
        if let server {
            guard let key = try APIKeySource.resolve(flag: apiKey, file: apiKeyFile) else {
                throw ValidationError("--server needs --api-key-file, KURA_API_KEY or --api-key")
            }
            return RemoteBackend(client: KuraClient(baseURL: server, apiKey: key))
        }
        let location = try StorageLocation(db ?? StorageLocation.defaultName())
        var configuration = configuration
        // The dispute policy `kura serve` runs with (KURA_DISPUTE_*, KURA_CONFIG): a dispute opened or moved on
        // here gets the windows the server's would.
        configuration.disputes = try DisputePolicyOptions.parse([]).resolved(config: config)
        let service = try await LocalService.open(location, keyPath: serviceKeyFile, configuration: configuration)
        let principal: Principal
        if let actingAs {
            let id = try PartyID(validating: actingAs)
            principal = Principal(party: try await service.party(id))
        } else {
            principal = try await LocalService.operatorPrincipal(service)
        }
        return LocalBackend(service: service, principal: principal)
    }
}

/// Opening the service on a local database (an SQLite file or PostgreSQL), shared by every local command and
/// `kura serve`.
enum LocalService {
    /// Opens the service on `location` with the signing key at `keyPath` (default: the location's,
    /// ``StorageLocation/defaultKeyPath``); `pageCacheKiB` is SQLite's.
    static func open(
        _ location: StorageLocation, keyPath: String? = nil, clock: KuraClock = .system,
        logLevel: Logger.Level = .warning, configuration: ServiceConfiguration = .init(),
        writer: WriterConfiguration = .init(), pageCacheKiB: Int = SQLiteBackend.Configuration.defaultPageCacheKiB
    ) async throws(KuraError) -> KuraService {
        let store = try KuraService.openStore(
            backend: try location.open(create: false, pageCacheKiB: pageCacheKiB), writer: writer)
        let signer: NoteSigner
        do { signer = try KeyFile.load(keyPath ?? location.defaultKeyPath) } catch {
            store.close()
            throw error
        }
        var logger = Logger(label: "kura")
        logger.logLevel = logLevel
        let service = KuraService(
            store: store, signer: signer, clock: clock, configuration: configuration, logger: logger)
        do { try await service.prepare() } catch {
            store.close()
            throw error
        }
        return service
    }

    static func operatorPrincipal(_ service: KuraService) async throws(KuraError) -> Principal {
        guard let party = try await service.firstOperator() else {
            throw KuraError(.notFound, "the database has no operator; create it with `kura init`")
        }
        return Principal(party: party)
    }
}

extension KuraClock {
    /// The system clock, in epoch milliseconds. Only adapters use it.
    static let system = KuraClock {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

struct LocalBackend: Backend {
    let service: KuraService
    let principal: Principal

    /// The body goes to the service as the JSON a remote call would send, so both keep idempotency alike.
    func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, at path: Path, query: Query, body: Body,
        idempotencyKey: String?
    ) async throws -> Response {
        let json: JSONValue
        do { json = try JSONValue(encoding: body) } catch {
            throw KuraError(.invalidRequest, "cannot encode the request: \(error.reason)")
        }
        let call = Invocation<Path, Query, Body>(
            principal: principal, path: path, query: query, body: json,
            idempotencyKey: operation.idempotent ? idempotencyKey : nil)
        return try await service.perform(operation, call).value
    }

    func instanceName() async throws -> String { service.instance }
    func bundle(_ index: UInt64, size: UInt64?) async throws -> JSONValue {
        try await service.bundle(index, size: size)
    }
    func checkpointNote() async throws -> String { try await service.checkpoint().note }
    func receiptCount() async throws -> UInt64 { try await service.receiptCount() }
    func consistency(from: UInt64, to: UInt64) async throws -> ConsistencyProof {
        try await service.consistency(from: from, to: to)
    }
    func close() async { service.store.close() }
    var caller: PartyID? { principal.id }
    func reputationAttestation(of party: PartyID, asOf: UInt64?) async throws -> ReputationAttestation {
        try await service.reputationAttestation(of: party, asOf: asOf)
    }
}

struct RemoteBackend: Backend {
    let client: KuraClient

    func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, at path: Path, query: Query, body: Body,
        idempotencyKey: String?
    ) async throws -> Response {
        try await remote { () async throws(KuraClientError) in
            try await client.perform(operation, at: path, query: query, body: body, idempotencyKey: idempotencyKey)
        }
    }

    func instanceName() async throws -> String {
        try await remote { () async throws(KuraClientError) in try await client.instanceName() }
    }
    func bundle(_ index: UInt64, size: UInt64?) async throws -> JSONValue {
        try await remote { () async throws(KuraClientError) in try await client.bundle(index, size: size) }
    }
    func checkpointNote() async throws -> String {
        try await remote { () async throws(KuraClientError) in try await client.checkpointNote() }
    }
    func consistency(from: UInt64, to: UInt64) async throws -> ConsistencyProof {
        try await remote { () async throws(KuraClientError) in try await client.consistency(from: from, to: to) }
    }
    func receiptCount() async throws -> UInt64 {
        let note = try await checkpointNote()
        do { return try Checkpoint.parse(SignedNote(parsing: note).text).size } catch {
            throw KuraError(.internalError, "the server's checkpoint does not parse: \(error)")
        }
    }
    func close() async {}
    var caller: PartyID? { nil }
    func reputationAttestation(of party: PartyID, asOf: UInt64?) async throws -> ReputationAttestation {
        try await remote { () async throws(KuraClientError) in
            try await client.reputationAttestation(of: party, asOf: asOf)
        }
    }

    func remote<T>(_ body: () async throws(KuraClientError) -> T) async throws -> T {
        do { return try await body() } catch { throw error.kuraError }
    }
}

import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import Logging

/// Command handling, authorization, idempotency, the sweeper and queries, over one event store.
/// Adapters (HTTP, CLI) parse input, authenticate, call this and render the answer; no rule lives there.
///
/// The service holds no SQL. A command is a closure that decides against the writer's in-memory state
/// (``WriteTransaction/state``) and appends domain events; the writer persists each batch in bulk. A query
/// reads typed rows through ``read(_:_:)`` on a reader lane.
public final class KuraService: Sendable {
    /// The event store, whose writer decides against Kura's ``WriterState`` (see ``openStore(path:create:durable:writer:)``).
    public let store: EventStore
    /// Kura's own signing key (passports).
    public let signer: NoteSigner
    /// The injected clock.
    public let clock: KuraClock
    /// Settings not in the log.
    public let configuration: ServiceConfiguration
    let secrets: SecretSource
    let logger: Logger
    /// x402 payments verified recently, so that settling the same request does not check them twice.
    let verifiedPayments = VerifiedPayments()
    /// Decision envelopes signed here recently, so that settling one does not open and check it again.
    let issuedEnvelopes = IssuedEnvelopes()
    /// Canonical reputation reports at the current tree, by party (``reputationBytes(of:)``).
    let reportBytes = BytesCache(capacity: 8192)
    /// Solana message hashes being settled by a request of this process.
    let solanaInFlight = SolanaInFlight()
    /// API-key authentications of the last moment (``ServiceConfiguration/apiKeyCacheMs``).
    let apiKeys: APIKeyCache
    /// The voucher keys channels pinned when they opened, by channel (nil: the channel pinned none, and its writer
    /// verifies), for checking a settle's voucher before the writer without reading the channel each time. A
    /// pinned key never changes. Nothing depends on this being right: the writer trusts a ``CheckedVoucher`` only
    /// when its key is the channel's as the writer knows it, and verifies the signature itself otherwise.
    let channelVoucherKeys = BoundedMap<ChannelID, Ed25519.PublicKey?>(capacity: 16_384)

    /// Wraps an open store. The store must have been opened by ``openStore(backend:writer:)`` (its writer
    /// decides against Kura's state).
    public init(
        store: EventStore, signer: NoteSigner, clock: KuraClock, configuration: ServiceConfiguration = .init(),
        secrets: SecretSource = .system, logger: Logger
    ) {
        self.store = store
        self.signer = signer
        self.clock = clock
        self.configuration = configuration
        apiKeys = APIKeyCache(lifetimeMs: configuration.apiKeyCacheMs)
        self.secrets = secrets
        self.logger = logger
    }

    /// Opens the SQLite file at `path` with Kura's writer state; `pageCacheKiB` bounds the SQLite page caches
    /// (``SQLiteBackend/Configuration/pageCacheKiB``).
    public static func openStore(
        path: String, create: Bool, durable: Bool = true, writer: WriterConfiguration = WriterConfiguration(),
        pageCacheKiB: Int = SQLiteBackend.Configuration.defaultPageCacheKiB
    ) throws(KuraError) -> EventStore {
        var configuration = SQLiteBackend.Configuration(path: path, create: create, durable: durable)
        configuration.pageCacheKiB = pageCacheKiB
        return try openStore(backend: SQLiteBackend(configuration), writer: writer)
    }

    /// A store whose writer keeps only the receipt log (receipts, tree, reputation) of `escrow.locked` events and
    /// no other read model: what `kura bench receipts` compares with the bare log.
    public static func openReceiptBenchmarkStore(path: String) throws(KuraError) -> EventStore {
        let backend = try SQLiteBackend(.init(path: path, create: true, durable: true))
        do { return try EventStore(backend: backend, model: WriterState(receiptsOnly: true)) } catch {
            backend.close()
            throw error
        }
    }

    /// Opens a store on any backend with Kura's writer state.
    public static func openStore(backend: any StorageBackend, writer: WriterConfiguration = WriterConfiguration())
        throws(KuraError) -> EventStore
    {
        do {
            return try EventStore(backend: backend, model: WriterState(), configuration: writer)
        } catch {
            backend.close()
            throw error
        }
    }

    /// Runs one command in the next group commit, with idempotency.
    ///
    /// The request's canonical JSON (with the operation name) is hashed: the same key and request return the
    /// stored answer, the same key and another request is `idempotency_conflict`. The key is scoped per caller.
    ///
    /// `at` fixes the command's time when the caller made something from it before the writer (a signature).
    func command<T: Codable & Sendable>(
        _ operation: String, request: JSONValue, by principal: Principal?, idempotencyKey: String?,
        at fixedTime: Timestamp? = nil,
        _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
    ) async throws(KuraError) -> Reply<T> {
        // Canonical once, here, off the writer: the idempotency hash, the command ID and new identifiers use it.
        let canonical = try CanonicalCommand.of(operation, request: request)
        return try await command(canonical, by: principal, idempotencyKey: idempotencyKey, at: fixedTime, body)
    }

    /// ``command(_:request:by:idempotencyKey:at:_:)`` for a typed request, its bytes from
    /// ``JSONValue/canonicalRequest(_:)``: the same command, without a `JSONValue` made in between.
    func command<T: Codable & Sendable>(
        _ operation: String, encoding request: some Encodable, by principal: Principal?, idempotencyKey: String?,
        at fixedTime: Timestamp? = nil,
        _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
    ) async throws(KuraError) -> Reply<T> {
        let bytes = try JSONValue.canonicalRequest(request)
        return try await command(
            CanonicalCommand(operation: operation, canonicalRequest: bytes), by: principal,
            idempotencyKey: idempotencyKey, at: fixedTime, body)
    }

    /// ``command(_:request:by:idempotencyKey:at:_:)`` for a caller that made the command canonical itself
    /// (``CanonicalCommand/init(operation:canonicalRequest:)``), because it hashed the request's bytes already.
    ///
    /// `keyScope` keeps the keys of a caller that is not the principal (x402 settle: anyone may call it for a
    /// payer) apart from the principal's own keys; it holds a character no `Idempotency-Key` can. `records`
    /// says which answers are stored under the key (default: all); one not stored writes nothing.
    func command<T: Codable & Sendable>(
        _ canonical: CanonicalCommand, by principal: Principal?, idempotencyKey: String?, keyScope: String = "",
        records: (@Sendable (T) -> Bool)? = nil, at fixedTime: Timestamp? = nil,
        _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
    ) async throws(KuraError) -> Reply<T> {
        let key: IdempotencyKey?
        if let idempotencyKey {
            guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= 255 else {
                throw KuraError(.invalidRequest, "Idempotency-Key must be 1-255 characters")
            }
            key = IdempotencyKey(
                key: "\(principal?.id.rawValue ?? "system"):\(keyScope)\(idempotencyKey)",
                requestHash: SHA256.hash(canonical.bytes))
        } else {
            key = nil
        }
        let now = fixedTime ?? clock.now()
        let outcome = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Outcome<T> in
            try Self.run(canonical, by: principal, key: key, records: records, at: now, body, &tx)
        }
        switch outcome {
        case .fresh(let value):
            return Reply(value: value, replayed: false)
        case .replayed(let stored):
            do { return Reply(value: try JSONValue.parse(stored).decode(T.self), replayed: true) } catch {
                throw KuraError(.internalError, "stored reply does not decode: \(error.reason)")
            }
        }
    }

    /// Commands of Kura itself (no principal, no idempotency key), queued together in this order
    /// (``EventStore/transactEach(_:)``): each is decided on its own, as a ``command(_:request:by:idempotencyKey:at:_:)``
    /// is, and they share durable commits. Each command's time is taken as it is queued; one whose request is not
    /// canonical is refused alone.
    func systemCommands<T: Codable & Sendable>(_ commands: [SystemCommand<T>]) async -> [Result<T, KuraError>] {
        let bodies = commands.map { Self.writerBody(of: $0, at: clock.now()) }
        return await store.transactEach(bodies).map { result in
            result.flatMap { outcome in
                guard case .fresh(let value) = outcome else {
                    return .failure(KuraError(.internalError, "a command without an idempotency key was replayed"))
                }
                return .success(value)
            }
        }
    }

    /// A command of Kura itself as the writer runs it; its request made canonical here, off the writer.
    private static func writerBody<T: Codable & Sendable>(of command: SystemCommand<T>, at now: Timestamp)
        -> @Sendable (inout WriteTransaction) throws(KuraError) -> Outcome<T>
    {
        let canonical = Result { () throws(KuraError) in
            try CanonicalCommand.of(command.operation, request: command.request)
        }
        let body = command.body
        return { (tx: inout WriteTransaction) throws(KuraError) -> Outcome<T> in
            switch canonical {
            case .success(let canonical):
                return try run(canonical, by: nil, key: nil, records: nil, at: now, body, &tx)
            case .failure(let error):
                throw error
            }
        }
    }

    /// A command as the writer runs it: its principal still current, the stored answer when its key was used
    /// before, else `body` in its context, with the answer recorded under the key.
    private static func run<T: Codable & Sendable>(
        _ canonical: CanonicalCommand, by principal: Principal?, key: IdempotencyKey?,
        records: (@Sendable (T) -> Bool)?, at now: Timestamp,
        _ body: (inout WriteTransaction, CommandContext) throws(KuraError) -> T, _ tx: inout WriteTransaction
    ) throws(KuraError) -> Outcome<T> {
        // An authentication may be a moment old (an API key's is remembered, ``APIKeyCache``; a signed request's
        // party was read before the writer, and its command may queue behind another process's change): the
        // log's state decides. (Principals made in-process, such as the payer of an x402 settlement, are
        // checked by their command.)
        if let principal, principal.authenticated { try tx.state.requireCurrent(principal) }
        if let key, let stored = try tx.idempotentResponse(for: key) { return .replayed(stored) }
        let actor = principal?.id.rawValue ?? "system"
        let context = CommandContext(
            now: now, actor: actor, command: canonical, seq: tx.nextSeq,
            commandId: CommandContext.commandID(canonical, actor: actor, seq: tx.nextSeq))
        let value = try body(&tx, context)
        if let key, records?(value) ?? true {
            let bytes: [UInt8]
            do { bytes = try JSONValue.canonicalBytes(encoding: value) } catch {
                throw KuraError(.internalError, "cannot encode the reply: \(error)")
            }
            tx.recordResponse(bytes, for: key)
        }
        return .fresh(value)
    }

    private enum Outcome<T: Sendable>: Sendable {
        case fresh(T)
        case replayed([UInt8])
    }

    /// Runs `body` on a reader of `lane` (one consistent snapshot), off the cooperative threads.
    func read<T: Sendable>(
        _ lane: ReadLane = .standard, _ body: @escaping @Sendable (any ReadSession) throws(KuraError) -> T
    ) async throws(KuraError) -> T {
        try await store.read(lane, body)
    }

    /// Brings the read models up to what this version expects before serving: reputation rows folded with
    /// another model, or missing (a database from before reputation), are rebuilt from the receipts.
    public func prepare() async throws(KuraError) {
        try await store.maintain { session, tx throws(KuraError) in
            try tx.state.rebuildReputationIfStale(session, tx)
        }
    }
}

/// A command of Kura itself (``KuraService/systemCommands(_:)``): its operation, request and body.
struct SystemCommand<T: Codable & Sendable>: Sendable {
    let operation: String
    let request: JSONValue
    let body: @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
}

extension CanonicalCommand {
    /// The command `operation` with `request`: `{"op": operation, "request": request}`, canonical.
    static func of(_ operation: String, request: JSONValue) throws(KuraError) -> CanonicalCommand {
        do { return try CanonicalCommand(["op": .string(operation), "request": request]) } catch {
            throw KuraError(.invalidRequest, "request is not canonical JSON: \(error.reason)")
        }
    }
}

/// What a command body knows besides its request: time, actor, and the seq its first event will get
/// (from which new identifiers are derived).
struct CommandContext: Sendable {
    let now: Timestamp
    let actor: String
    let command: CanonicalCommand
    let seq: UInt64
    let commandId: String

    /// `cmd_` and the base58 of the first 16 bytes of SHA-256 over `{"actor", "command", "seq"}`'s canonical JSON.
    static func commandID(_ command: CanonicalCommand, actor: String, seq: UInt64) -> String {
        "cmd_" + Base58.encode(SHA256.hash(command.material(actor: actor, seq: seq)).prefix(16))
    }

    /// Appends domain events to `stream` in order; the writer folds each into its state and read-model rows.
    @discardableResult
    func append(_ events: [some DomainEvent], to stream: String, _ tx: inout WriteTransaction) throws(KuraError)
        -> [Event]
    {
        var appended: [Event] = []
        for event in events {
            appended.append(
                try tx.append(
                    NewEvent(stream: stream, event: event), actor: actor,
                    commandId: commandId, at: now))
        }
        return appended
    }

    /// Appends the first events of a stream whose name holds an identifier derived from this command's seq
    /// (`EscrowID.derive(command:seq:)` and the like): no event can precede them, so the writer knows the
    /// stream's version (0) without reading it.
    @discardableResult
    func append(_ events: [some DomainEvent], toNew stream: String, _ tx: inout WriteTransaction) throws(KuraError)
        -> [Event]
    {
        try tx.startStream(stream)
        return try append(events, to: stream, &tx)
    }
}

extension WriteTransaction {
    /// Kura's state in the writer: what commands decide on.
    var state: WriterState { unsafeDowncast(model, to: WriterState.self) }
}

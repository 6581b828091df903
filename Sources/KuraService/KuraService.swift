import Foundation
import KuraCore
import KuraCrypto
import KuraStore
import Logging

/// Command handling, authorization, idempotency, the sweeper and queries, over one event store.
/// Adapters (HTTP, CLI) parse input, authenticate, call this and render the answer; no rule lives there.
public final class KuraService: Sendable {
    /// The event store; its projectors include ``KuraProjector``.
    public let store: SQLiteEventStore
    /// Kura's own signing key (passports).
    public let signer: NoteSigner
    /// The injected clock.
    public let clock: KuraClock
    /// Settings not in the log.
    public let configuration: ServiceConfiguration
    let secrets: SecretSource
    let logger: Logger
    /// Canonical reputation reports at the current tree, by party (``reputationBytes(of:)``).
    let reportBytes = BytesCache(capacity: 8192)
    /// Solana message hashes being settled by a request of this process.
    let solanaInFlight = SolanaInFlight()

    /// Wraps an open store. The store must have been opened with ``KuraProjector`` among its projectors.
    public init(
        store: SQLiteEventStore, signer: NoteSigner, clock: KuraClock, configuration: ServiceConfiguration = .init(),
        secrets: SecretSource = .system, logger: Logger
    ) {
        self.store = store
        self.signer = signer
        self.clock = clock
        self.configuration = configuration
        self.secrets = secrets
        self.logger = logger
    }

    /// Opens the store at `path` with Kura's projectors; `observer` hears the writer (metrics, readiness);
    /// `pageCacheKiB` bounds the writer's SQLite page cache (``SQLiteEventStore/Configuration/pageCacheKiB``).
    public static func openStore(
        path: String, create: Bool, durable: Bool = true, observer: (any StoreObserver)? = nil,
        pageCacheKiB: Int = SQLiteEventStore.Configuration.defaultPageCacheKiB
    ) throws(KuraError) -> SQLiteEventStore {
        var configuration = SQLiteEventStore.Configuration(
            path: path, create: create, durable: durable, projectors: [KuraProjector()])
        configuration.observer = observer
        configuration.pageCacheKiB = pageCacheKiB
        return try SQLiteEventStore(configuration)
    }

    /// Runs one command in the next group commit, with idempotency.
    ///
    /// The request's canonical JSON (with the operation name) is hashed: the same key and request return the
    /// stored answer, the same key and another request is `idempotency_conflict`. The key is scoped per caller.
    func command<T: Codable & Sendable>(
        _ operation: String, request: JSONValue, by principal: Principal?, idempotencyKey: String?,
        _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
    ) async throws(KuraError) -> Reply<T> {
        let commandJSON: JSONValue = ["op": .string(operation), "request": request]
        let key: IdempotencyKey?
        if let idempotencyKey {
            guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= 255 else {
                throw KuraError(.invalidRequest, "Idempotency-Key must be 1-255 characters")
            }
            let hash: [UInt8]
            do { hash = SHA256.hash(try commandJSON.canonicalBytes()) } catch {
                throw KuraError(.invalidRequest, "request is not canonical JSON: \(error.reason)")
            }
            key = IdempotencyKey(key: "\(principal?.id.rawValue ?? "system"):\(idempotencyKey)", requestHash: hash)
        } else {
            key = nil
        }
        let now = clock.now()
        let actor = principal?.id.rawValue ?? "system"
        let outcome = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) -> Outcome<T> in
            if let key, let stored = try tx.idempotentResponse(for: key) { return .replayed(stored) }
            let context = CommandContext(
                now: now, actor: actor, command: commandJSON, seq: tx.nextSeq,
                commandId: CommandContext.commandID(commandJSON, actor: actor, seq: tx.nextSeq))
            let value = try body(&tx, context)
            if let key {
                let bytes: [UInt8]
                do { bytes = try JSONValue.of(value).canonicalBytes() } catch {
                    throw KuraError(.internalError, "cannot encode the reply: \(error)")
                }
                try tx.recordResponse(bytes, for: key)
            }
            return .fresh(value)
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

    private enum Outcome<T: Sendable>: Sendable {
        case fresh(T)
        case replayed([UInt8])
    }

    /// Reads on a pooled read connection.
    func read<T>(_ body: (SQLiteConnection) throws(KuraError) -> T) throws(KuraError) -> T {
        try store.read(body)
    }
}

/// What a command body knows besides its request: time, actor, and the seq its first event will get
/// (from which new identifiers are derived).
struct CommandContext: Sendable {
    let now: Timestamp
    let actor: String
    let command: JSONValue
    let seq: UInt64
    let commandId: String

    static func commandID(_ command: JSONValue, actor: String, seq: UInt64) -> String {
        let material: JSONValue = ["actor": .string(actor), "command": command, "seq": .number(Double(seq))]
        let bytes = (try? material.canonicalBytes()) ?? []
        return "cmd_" + Base58.encode(SHA256.hash(bytes).prefix(16))
    }

    /// The events of `stream` so far, read back as one aggregate's typed events.
    static func history<E>(
        _ stream: String, _ read: (String, JSONValue) throws(KuraError) -> E, _ tx: inout WriteTransaction
    ) throws(KuraError) -> [E] {
        try tx.events(inStream: stream).map { event throws(KuraError) in try read(event.type, event.payload) }
    }

    /// Appends domain events to `stream` in order.
    func append(_ events: [some DomainEvent], to stream: String, _ tx: inout WriteTransaction) throws(KuraError) {
        for event in events {
            try tx.append(
                NewEvent(stream: stream, type: event.type, payload: event.payload, decoded: event), actor: actor,
                commandId: commandId, at: now)
        }
    }
}

import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import Logging

/// A KuraService over a fresh SQLite file in its own temporary directory, with a test clock, fixed keys,
/// seeded API keys and a bootstrapped operator. Call ``close()`` when done (it removes the directory).
public final class TestDatabase: Sendable {
    /// The temporary directory holding the database.
    public let directory: URL
    /// The database file.
    public let path: String
    /// The service under test.
    public let service: KuraService
    /// The clock the service reads.
    public let clock: TestClock
    /// The bootstrapped operator's registration, with its API key.
    public let operatorRegistration: PartyRegistration
    /// The database of another backend, when the service runs on one (`backend:` of the initialiser).
    public let backendDatabase: (any TestBackendDatabase)?

    /// The store under the service.
    public var store: EventStore { service.store }
    /// The bootstrapped operator.
    public var operatorParty: Party { operatorRegistration.party }
    /// The bootstrapped operator as a caller.
    public var operatorPrincipal: Principal { Principal(party: operatorRegistration.party) }

    /// Creates the directory and database, opens the service and bootstraps the operator.
    /// `durable: false` skips the fsync of each commit (tests do not survive power loss anyway); `observer`
    /// hears the writer (metrics); `logger` is the service's (quiet unless a test reads its lines).
    public init(
        clock: TestClock = TestClock(), configuration: ServiceConfiguration = ServiceConfiguration(),
        secretsSeed: String = "test", durable: Bool = false, label: String = "db",
        backend: (any TestBackendDatabase)? = nil, observer: (any StoreObserver)? = nil,
        logger: Logger = .quiet()
    ) async throws(KuraError) {
        let safe = String(label.filter { $0.isLetter || $0.isNumber }.prefix(32))
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent(
                "kura-\(safe)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw KuraError(.storageFailure, "cannot create \(directory.path): \(error)")
        }
        self.directory = directory
        self.path = directory.appendingPathComponent("kura.sqlite").path
        self.clock = clock
        self.backendDatabase = backend
        do throws(KuraError) {
            // The assertion mode is on in tests: after every batch the writer's memory must equal the rows.
            var writer = WriterConfiguration()
            writer.assertState = true
            writer.observer = observer
            let store: EventStore
            if let backend {
                store = try KuraService.openStore(backend: try backend.open(durable: durable), writer: writer)
            } else {
                store = try KuraService.openStore(path: path, create: true, durable: durable, writer: writer)
            }
            service = KuraService(
                store: store, signer: TestKeys.serviceSigner, clock: clock.clock, configuration: configuration,
                secrets: .seeded(secretsSeed),
                logger: logger)
            try await service.prepare()
            operatorRegistration = try await service.bootstrapOperator()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Closes the store and removes the directory.
    public func close() {
        service.store.close()
        backendDatabase?.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Registers a party with the key ``TestKeys`` derives from `name`; returns it with its API key.
    public func register(name: String, roles: [Party.Role] = [.agent, .provider]) async throws(KuraError)
        -> (party: Party, apiKey: String)
    {
        let reply = try await service.registerParty(
            RegisterPartyRequest(name: name, roles: roles, publicKey: TestKeys.publicKey(name).base64),
            by: operatorPrincipal, idempotencyKey: nil)
        guard let apiKey = reply.value.apiKey else {
            throw KuraError(.internalError, "registration returned no API key")
        }
        return (reply.value.party, apiKey)
    }

    /// Deposits `amount` of `asset` for `party`, as the operator; returns the account after.
    @discardableResult
    public func deposit(party: Party, asset: String = "USDC", amount: UInt64) async throws(KuraError) -> AccountView {
        try await service.deposit(
            FundsRequest(asset: try Asset(asset), amount: try Amount(units: amount)), to: party.id,
            by: operatorPrincipal,
            idempotencyKey: nil
        ).value
    }

    /// `party` as a caller (as authentication would produce it).
    public func principal(_ party: Party) -> Principal { Principal(party: party) }
}

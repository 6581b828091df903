import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Testing

/// What the projection does with a log it cannot fully read, and with read-model rows that break the ledger's
/// invariants: it refuses with a typed error rather than skip the event or show a made-up zero.
@Suite("projection refusals")
struct ProjectionRefusalTests {
    /// Appends one event of a type no aggregate of this version knows, as another process (a newer writer)
    /// would: through a store that projects nothing.
    static func appendForeignEvent(to db: TestDatabase) async throws {
        let other = try EventStore(backend: SQLiteBackend(.init(path: db.path, create: false, durable: false)))
        defer { other.close() }
        _ = try await other.append(
            [NewEvent(stream: "widget/wdg_1", type: "widget.made", payload: ["n": 1])], actor: "system",
            commandId: "cmd_foreign", at: db.clock.now, idempotency: nil)
    }

    @Test("a log holding an unknown event type fails catch-up and replay with unknown_event_type")
    func unknownEventType() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        try await Self.appendForeignEvent(to: db)
        // The next command makes the writer catch up on the tail another process wrote.
        let caughtUp = await refusal { try await db.register(name: "late") }
        #expect(caughtUp?.code.rawValue == "unknown_event_type", "\(String(describing: caughtUp))")
        #expect(caughtUp?.detail.contains("widget.made") == true)
        let replayed = await refusal { try await db.service.replay() }
        #expect(replayed?.code.rawValue == "unknown_event_type", "\(String(describing: replayed))")
    }

    @Test("an unknown type of a known aggregate is refused the same way")
    func unknownTypeOfKnownAggregate() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let other = try EventStore(backend: SQLiteBackend(.init(path: db.path, create: false, durable: false)))
        _ = try await other.append(
            [NewEvent(stream: "escrow/esc_1", type: "escrow.melted", payload: ["n": 1])], actor: "system",
            commandId: "cmd_foreign", at: db.clock.now, idempotency: nil)
        other.close()
        let replayed = await refusal { try await db.service.replay() }
        #expect(replayed?.code.rawValue == "unknown_event_type", "\(String(describing: replayed))")
    }

    @Test("a negative available balance in the rows is an internal error, not a balance of 0")
    func negativeBalanceIsNotClamped() async throws {
        let db = try await TestDatabase()
        defer { db.close() }
        let party = try await db.register(name: "debtor").party
        // A damaged read model: the party's available USDC below zero (no event can make it so).
        do {
            let raw = try SQLiteConnection(path: db.path, create: false)
            try raw.execute(
                "INSERT INTO balances(account, asset, balance) VALUES ('party/\(party.id)/available', 'USDC', -5)")
        }
        let read = await refusal { try await db.service.account(party.id, by: db.operatorPrincipal) }
        #expect(read?.code.rawValue == "internal_error", "\(String(describing: read))")
        #expect(read?.detail.contains("-5") == true)
        // The writer's view of the account after a command (here a deposit of another asset) refuses the same
        // way, and the command writes nothing.
        let before = try await db.store.head()
        let written = await refusal { try await db.deposit(party: party, asset: "EURC", amount: 10) }
        #expect(written?.code.rawValue == "internal_error", "\(String(describing: written))")
        #expect(try await db.store.head() == before)
    }

    @Test("replaying a log whose withdrawal overdraws a party stops at the writer's assertion (debug and test builds)")
    func overdraftAsserts() async {
        // In a child process: the assertion traps. Without it the replay would succeed and leave -5 available.
        // The child cannot remove its database (it traps): the parent removes it by the label's prefix.
        defer {
            let temporary = NSTemporaryDirectory()
            for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
            where name.hasPrefix("kura-overdraftchild-") {
                try? FileManager.default.removeItem(atPath: (temporary as NSString).appendingPathComponent(name))
            }
        }
        await #expect(processExitsWith: .signal(SIGILL)) {
            let db = try await TestDatabase(label: "overdraftchild")
            let party = try await db.register(name: "poor").party
            let usdc = try Asset("USDC")
            let five = try Amount(units: 5)
            let event = FundsEvent.withdrawn(
                party: party.id, asset: usdc, amount: five, reference: nil,
                postings: [.withdrawal(from: party.id, asset: usdc, amount: five)])
            let other = try EventStore(backend: SQLiteBackend(.init(path: db.path, create: false, durable: false)))
            _ = try await other.append(
                [NewEvent(stream: "account/\(party.id)", type: event.type, payload: event.payload)], actor: "system",
                commandId: "cmd_overdraft", at: db.clock.now, idempotency: nil)
            other.close()
            _ = try await db.service.replay()
        }
    }
}

import KuraCore
import KuraCrypto
import KuraService

/// A seeded random history of escrow payments driven through KuraService, for reputation tests: `parties`
/// parties pay each other in rounds (opened together, then delivered, then settled, cancelled, refunded,
/// disputed or left to the sweeper), so group commits batch each round's commands.
public enum ReputationHistory {
    /// Runs `payments` payments among `parties` new parties named `<prefix> <n>` in `database`; returns the
    /// parties. A second run in one database needs another prefix: a key (derived from the name) registers once.
    @discardableResult
    public static func run(
        in database: TestDatabase, payments: Int, parties count: Int = 24, seed: UInt64, round: Int = 500,
        prefix: String = "trader"
    ) async throws -> [Party] {
        var random = SplitMix64(seed: seed)
        var parties: [Party] = []
        for n in 0..<count {
            let party = try await database.register(name: "\(prefix) \(n)").party
            try await database.deposit(party: party, amount: 1 << 50)
            parties.append(party)
        }
        let service = database.service
        let usdc = try Asset("USDC")
        let start = database.clock.now
        var done = 0
        var roundNumber: Int64 = 0
        while done < payments {
            let size = min(round, payments - done)
            let t = start.adding(milliseconds: roundNumber * 3 * 86_400_000)
            database.clock.set(t)
            // Each payment's plan: payer, payee, amount, fate (0–99).
            var plans: [(payer: Party, payee: Party, amount: Amount, fate: UInt64)] = []
            for _ in 0..<size {
                let payer = parties[Int(random.next() % UInt64(count))]
                var payee = parties[Int(random.next() % UInt64(count))]
                // A few parties are popular providers; nobody pays themselves.
                if random.next() % 3 == 0 { payee = parties[Int(random.next() % 4)] }
                if payee.id == payer.id { payee = parties[(parties.firstIndex { $0.id == payer.id }! + 1) % count] }
                let bits = 1 + random.next() % 40
                let amount = try Amount(units: 1 + random.next() % (1 << bits))
                plans.append((payer, payee, amount, random.next() % 100))
            }
            let opened = try await concurrently(plans) { plan in
                try await service.openEscrow(
                    OpenEscrowRequest(
                        payee: plan.payee.id, amount: plan.amount, asset: usdc,
                        deliverBy: t.adding(milliseconds: 3_600_000),
                        confirmWindowMs: 86_400_000, disputeWindowMs: 43_200_000),
                    by: database.principal(plan.payer), idempotencyKey: nil
                ).value.id
            }
            let escrows = Array(zip(plans, opened))
            // Before delivery: 5 % cancelled by the payer, 5 % refunded by the payee, 10 % never delivered.
            database.clock.set(t.adding(milliseconds: 600_000 + Int64(random.next() % 600_000)))
            _ = try await concurrently(escrows.filter { $0.0.fate < 10 }) { plan, id in
                let cancel = plan.fate < 5
                return try await service.act(
                    on: id, cancel ? .cancel : .refund, by: database.principal(cancel ? plan.payer : plan.payee),
                    idempotencyKey: nil
                ).value.id
            }
            let delivered = escrows.filter { $0.0.fate >= 20 }
            _ = try await concurrently(delivered) { plan, id in
                try await service.act(
                    on: id, .deliver, body: ["evidence": .string(Hex.encode(SHA256.hash(Array(id.rawValue.utf8))))],
                    by: database.principal(plan.payee), idempotencyKey: nil
                ).value.id
            }
            // After delivery: 60 % confirmed, 8 % disputed, 5 % refunded, the rest auto-released by the sweeper.
            database.clock.set(t.adding(milliseconds: 1_800_000 + Int64(random.next() % 600_000)))
            _ = try await concurrently(delivered.filter { $0.0.fate < 93 }) { plan, id in
                let action: EscrowAction = plan.fate < 80 ? .confirm : plan.fate < 88 ? .dispute : .refund
                let body: JSONValue = action == .dispute ? ["reason": "not as described"] : [:]
                let actor = action == .refund ? plan.payee : plan.payer
                return try await service.act(
                    on: id, action, body: body, by: database.principal(actor), idempotencyKey: nil
                ).value.id
            }
            database.clock.set(t.adding(milliseconds: 2 * 86_400_000))
            while true {
                let report = try await service.sweep()
                if report.released.isEmpty && report.expired.isEmpty { break }
            }
            done += size
            roundNumber += 1
        }
        return parties
    }

    /// Runs `body` for every item at once and returns the results in the items' order.
    static func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            for (index, item) in items.enumerated() { group.addTask { (index, try await body(item)) } }
            var results = [Result?](repeating: nil, count: items.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }
}

import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore

/// Runs golden scenarios (``Scenario``) through KuraService, in a fresh database with a ``TestClock``
/// set to each step's `at`, ``TestKeys`` for every party and for the service (``TestKeys/serviceSigner``),
/// and API keys from `SecretSource.seeded("golden")`, so that the same file always gives the same log,
/// receipts, roots and signatures, byte for byte.
///
/// ```swift
/// let result = try await ScenarioRunner.run(root.appendingPathComponent("Fixtures/scenarios/happy-path.json"))
/// let expected = try ScenarioGolden.load(root.appendingPathComponent("Fixtures/expected/happy-path.json"))
/// #expect(result.golden == expected)
/// ```
///
/// After every step the runner checks that a refused step left the log head where it was, and records
/// any broken ledger invariant in ``ScenarioResult/ledgerViolations``.
public enum ScenarioRunner {
    /// The seed of the API keys golden scenarios hand out.
    public static let secretsSeed = "golden"

    /// Runs the scenario file at `url` in a fresh database and removes the database afterwards.
    public static func run(_ url: URL) async throws -> ScenarioResult {
        try await run(Scenario.load(url))
    }

    /// Runs `scenario` in a fresh database and removes the database afterwards.
    public static func run(_ scenario: Scenario) async throws -> ScenarioResult {
        let session = try await start(scenario)
        defer { session.close() }
        return session.result
    }

    /// Runs the scenario file at `url` and keeps its database open for further checks; call
    /// ``ScenarioSession/close()`` when done.
    public static func start(_ url: URL) async throws -> ScenarioSession {
        try await start(Scenario.load(url))
    }

    /// Runs `scenario` and keeps its database open; call ``ScenarioSession/close()`` when done. `backend`: a
    /// fresh database of another backend (default: an SQLite file).
    public static func start(_ scenario: Scenario, on backend: StoreBackendFactory? = nil) async throws
        -> ScenarioSession
    {
        let clock = TestClock(scenario.steps[0].at)
        let database = try await TestDatabase(
            clock: clock, secretsSeed: secretsSeed, label: "scenario-\(scenario.name)",
            backend: try await backend?.makeDatabase())
        do {
            var state = RunState(scenario: scenario, database: database)
            for step in scenario.steps {
                clock.set(step.at)
                try await state.run(step)
            }
            let result = try await state.finish()
            return ScenarioSession(
                scenario: scenario, database: database, parties: state.parties, escrows: state.escrows, result: result)
        } catch {
            database.close()
            throw error
        }
    }
}

/// A scenario that has run, with its database still open.
public final class ScenarioSession: Sendable {
    /// The scenario.
    public let scenario: Scenario
    /// Its database, service and clock (standing at the last step's time).
    public let database: TestDatabase
    /// The registered parties by scenario name (`operator` included).
    public let parties: [String: Party]
    /// The escrows opened, by label.
    public let escrows: [String: EscrowID]
    /// What the run produced.
    public let result: ScenarioResult

    init(
        scenario: Scenario, database: TestDatabase, parties: [String: Party], escrows: [String: EscrowID],
        result: ScenarioResult
    ) {
        self.scenario = scenario
        self.database = database
        self.parties = parties
        self.escrows = escrows
        self.result = result
    }

    /// The service under test.
    public var service: KuraService { database.service }

    /// Every checkpoint of the run, `checkpoint` steps first and then the final one, one per tree size.
    public var allCheckpoints: [CheckpointRecord] {
        var seen: Set<UInt64> = []
        return (result.checkpoints + [result.finalCheckpoint]).filter { seen.insert($0.size).inserted }
    }

    /// Closes the database and removes its directory.
    public func close() { database.close() }
}

/// The mutable state of one run.
private struct RunState {
    let scenario: Scenario
    let database: TestDatabase
    var parties: [String: Party]
    var escrows: [String: EscrowID] = [:]
    var checkpoints: [CheckpointRecord] = []
    var violations: [String] = []

    init(scenario: Scenario, database: TestDatabase) {
        self.scenario = scenario
        self.database = database
        parties = [ScenarioStep.operatorName: database.operatorParty]
    }

    var service: KuraService { database.service }

    /// Runs one step and checks that it was accepted or refused as the scenario says.
    mutating func run(_ step: ScenarioStep) async throws {
        let headBefore = try await database.store.head()
        do {
            try await perform(step)
            if let expect = step.expect {
                throw fail(step, "was accepted, but the scenario expects it to be refused with \(expect)")
            }
        } catch let error as KuraError {
            guard let expect = step.expect else { throw fail(step, "was refused: \(error)") }
            guard error.code == expect else {
                throw fail(step, "was refused with \(error.code), not \(expect): \(error.detail)")
            }
            guard try await database.store.head() == headBefore else {
                throw fail(step, "was refused but the log moved")
            }
        }
        violations += try await service.ledgerViolations().map { "\(step): \($0)" }
    }

    private mutating func perform(_ step: ScenarioStep) async throws {
        switch step.operation {
        case .register(let name, let roles):
            guard parties[name] == nil else { throw fail(step, "registers '\(name)' a second time") }
            let request = RegisterPartyRequest(name: name, roles: roles, publicKey: TestKeys.publicKey(name).base64)
            let reply = try await service.registerParty(request, by: try principal(step), idempotencyKey: nil)
            parties[name] = reply.value.party
        case .deposit(let party, let asset, let amount):
            let target = try self.party(party, step)
            _ = try await service.deposit(
                FundsRequest(asset: asset, amount: amount), to: target.id, by: try principal(step), idempotencyKey: nil)
        case .open(let label, let payee, let amount, let asset, let deliverBy, let confirmWindowMs, let disputeWindowMs):
            if let label, escrows[label] != nil { throw fail(step, "reuses the escrow label '\(label)'") }
            let request = OpenEscrowRequest(
                payee: try party(payee, step).id, amount: amount, asset: asset, deliverBy: deliverBy,
                confirmWindowMs: confirmWindowMs, disputeWindowMs: disputeWindowMs)
            let escrow = try await service.openEscrow(request, by: try principal(step), idempotencyKey: nil).value
            if let label { escrows[label] = escrow.id }
        case .deliver(let label, let evidence):
            try await act(.deliver, label, ["evidence": .string(ScenarioStep.digest(evidence))], step)
        case .confirm(let label):
            try await act(.confirm, label, [:], step)
        case .cancel(let label):
            try await act(.cancel, label, [:], step)
        case .refund(let label):
            try await act(.refund, label, [:], step)
        case .dispute(let label, let reason, let evidence, let statement):
            var body: [String: JSONValue] = ["reason": .string(reason)]
            if let statement { body["statement"] = .string(statement) }
            if !evidence.isEmpty { body["evidence"] = .array(evidence.map { .string(ScenarioStep.digest($0)) }) }
            try await act(.dispute, label, .object(body), step)
        case .sweep(let released, let expired, let disputes):
            let report = try await service.sweep()
            try check(report.released, against: released, "released", step)
            try check(report.expired, against: expired, "expired", step)
            if let disputes {
                var ids: [EscrowID] = []
                for id in report.disputes {
                    ids.append(try await service.dispute(id, by: database.operatorPrincipal).dispute.escrowId)
                }
                try check(ids, against: disputes, "disputes moved on", step)
            }
        case .evidence(let label, let evidence, let statement):
            var body: [String: JSONValue] = ["evidence": .array(evidence.map { .string(ScenarioStep.digest($0)) })]
            if let statement { body["statement"] = .string(statement) }
            try await actOnDispute(.evidence, label, .object(body), step)
        case .rule(let label, let refundBps, let quality, let reason, let signedBy):
            let dispute = try await currentDispute(label, step)
            let statement = RulingStatement(
                disputeId: dispute.id, round: dispute.round, arbiter: try principal(step).id, refundBps: refundBps,
                quality: quality, reason: reason, at: step.at)
            let signature = try statement.signed(with: TestKeys.secretKey(signedBy ?? step.actor))
            let request = RulingRequest(ruling: statement, signature: Base64.encode(signature), reason: reason)
            try await actOnDispute(.rulings, label, try JSONValue(encoding: request), step)
        case .recuse(let label):
            try await actOnDispute(.recusals, label, [:], step)
        case .appeal(let label, let reason):
            try await actOnDispute(.appeal, label, reason.map { ["reason": .string($0)] } ?? [:], step)
        case .checkpoint:
            checkpoints.append(try await service.checkpoint())
        }
    }

    private func act(_ action: EscrowAction, _ label: String, _ body: JSONValue, _ step: ScenarioStep) async throws {
        guard let id = escrows[label] else { throw fail(step, "names no opened escrow '\(label)'") }
        _ = try await service.act(on: id, action, body: body, by: try principal(step), idempotencyKey: nil)
    }

    /// The dispute of an escrow, as its current state is seen by the operator.
    private func currentDispute(_ label: String, _ step: ScenarioStep) async throws -> Dispute {
        guard let id = escrows[label] else { throw fail(step, "names no opened escrow '\(label)'") }
        guard let disputeId = try await service.escrow(id, by: database.operatorPrincipal).disputeId else {
            throw fail(step, "escrow '\(label)' has no dispute")
        }
        return try await service.dispute(disputeId, by: database.operatorPrincipal).dispute
    }

    private func actOnDispute(_ action: DisputeAction, _ label: String, _ body: JSONValue, _ step: ScenarioStep)
        async throws
    {
        let dispute = try await currentDispute(label, step)
        _ = try await service.act(
            onDispute: dispute.id, action, body: body, by: try principal(step), idempotencyKey: nil)
    }

    private func check(_ ids: [EscrowID], against labels: [String]?, _ what: String, _ step: ScenarioStep) throws {
        guard let labels else { return }
        let names = Dictionary(uniqueKeysWithValues: escrows.map { ($1, $0) })
        let got = Set(ids.map { names[$0] ?? $0.rawValue })
        guard got == Set(labels) else {
            throw fail(step, "\(what) \(got.sorted()), the scenario expects \(labels.sorted())")
        }
    }

    private func party(_ name: String, _ step: ScenarioStep) throws -> Party {
        guard let party = parties[name] else { throw fail(step, "names no registered party '\(name)'") }
        return party
    }

    private func principal(_ step: ScenarioStep) throws -> Principal {
        Principal(party: try party(step.actor, step))
    }

    private func fail(_ step: ScenarioStep, _ message: String) -> ScenarioError {
        ScenarioError("\(scenario.name) \(step): \(message)")
    }

    /// Issues the final checkpoint, reads everything the result holds, then replays the log.
    mutating func finish() async throws -> ScenarioResult {
        let finalCheckpoint = try await service.checkpoint()
        let head = try await database.store.head()
        var receipts: [Receipt] = []
        var cursor: String?
        repeat {
            let page = try await service.receipts(party: nil, kind: nil, cursor: cursor, limit: 1000)
            receipts += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let leafHashes = try receipts.map { Hex.encode(MerkleHash.leaf(try $0.leafBytes())) }
        var balances: [String: [String: ScenarioResult.Balance]] = [:]
        for (name, party) in parties {
            let account = try await service.account(party.id, by: database.operatorPrincipal)
            balances[name] = Dictionary(
                uniqueKeysWithValues: account.balances.map {
                    ($0.asset.name, ScenarioResult.Balance(available: $0.available, held: $0.held))
                })
        }
        let fees = try await database.store.read { reads throws(KuraError) in
            try reads.balances(account: AccountName.fees.rawValue).map { ($0.asset, $0.units) }
        }
        // Kura's fee income never goes below zero: a negative one is a failure, not a 0 in the result.
        let feeUnits = try fees.map { (asset, units) throws(KuraError) -> (String, UInt64) in
            guard units >= 0 else { throw KuraError(.internalError, "fees hold \(units) \(asset)") }
            return (asset, UInt64(units))
        }
        violations += try await service.ledgerViolations().map { "after the last step: \($0)" }
        let replay = try await service.replay()
        return ScenarioResult(
            scenario: scenario.name, description: scenario.description,
            logHead: .init(seq: head.seq, hash: Hex.encode(head.hash)),
            parties: parties.mapValues(\.id), escrows: escrows, receipts: receipts, leafHashes: leafHashes,
            checkpoints: checkpoints, finalCheckpoint: finalCheckpoint, balances: balances,
            fees: Dictionary(uniqueKeysWithValues: feeUnits),
            replay: .init(before: replay.before, after: replay.after), ledgerViolations: violations)
    }
}

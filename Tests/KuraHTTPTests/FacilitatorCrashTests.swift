import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `kura serve` takes verify+settle pairs from 16 concurrent clients and is killed with SIGKILL mid-run.
/// Every reservation and settlement it acknowledged must be in the file, the books must balance, the chain must
/// verify, and a settle repeated after a restart must answer the first settlement.
@Suite("facilitator crash", .serialized)
struct FacilitatorCrashTests {
    /// What the server acknowledged, as the clients heard it.
    final class Acknowledged: Sendable {
        let reserved = Mutex<[ReservationID]>([])
        let settled = Mutex<[ReservationID: String]>([:])
    }

    struct Server {
        let child: ChildProcess
        let url: String
    }

    static func serve(_ binary: URL, db: String, dir: TemporaryDirectory, label: String) async throws -> Server {
        let out = dir.path("serve-\(label).stdout")
        let child = try ChildProcess.spawn(
            binary.path, ["serve", "--db", db, "--port", "0", "--log-level", "error"], in: dir.url.path,
            stdoutPath: out, stderrPath: dir.path("serve-\(label).stderr"))
        for _ in 0..<400 {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on ") {
                let url = text[range.upperBound...].prefix { !$0.isNewline }
                return Server(child: child, url: String(url))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        child.send(SIGKILL)
        _ = await child.wait()
        throw TestFailure("kura serve did not start")
    }

    @Test("SIGKILL during verify/settle load loses no acknowledged reservation or settlement")
    func killDuringLoad() async throws {
        let binary = try KuraBinary.require()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("crash.sqlite")
        let initialised = try await runKura(["init", "--db", db, "--json"], in: dir)
        try #require(initialised.status == 0, "\(initialised)")
        let operatorKey = try #require(try JSONValue.parse(initialised.stdout)["operatorApiKey"]?.stringValue)

        let server = try await Self.serve(binary, db: db, dir: dir, label: "first")
        let admin = KuraClient(baseURL: server.url, apiKey: operatorKey, maxAttempts: 1)
        let agent = try await admin.registerParty(
            RegisterPartyRequest(name: "agent", roles: [.agent], publicKey: TestKeys.publicKey("agent").base64))
        let provider = try await admin.registerParty(
            RegisterPartyRequest(name: "provider", roles: [.provider], publicKey: TestKeys.publicKey("provider").base64)
        )
        let usdc = try Asset("USDC")
        _ = try await admin.deposit(
            FundsRequest(asset: usdc, amount: try Amount(units: 10_000_000)), to: agent.party.id)
        let agentClient = KuraClient(baseURL: server.url, apiKey: agent.apiKey!, maxAttempts: 1, timeout: .seconds(2))
        let providerClient = KuraClient(
            baseURL: server.url, apiKey: provider.apiKey!, maxAttempts: 1, timeout: .seconds(2))
        let mandate = try await agentClient.createMandate(
            CreateMandateRequest(
                agent: agent.party.id, asset: usdc, amount: try Amount(units: 10_000_000),
                perTxCap: try Amount(units: 100), dailyCap: try Amount(units: 10_000_000), allowedCounterparties: [],
                expiresAt: Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)))

        let acks = Acknowledged()
        let request = ReservationVerifyRequest(
            amount: try Amount(units: 100), lane: .enterprise, mandate: mandate.id, agent: agent.party.id,
            counterparty: provider.party.id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while true {
                        guard let verified = try? await agentClient.verify(request) else { return }
                        acks.reserved.withLock { $0.append(verified.reservationId) }
                        guard
                            let answer = try? await providerClient.settle(
                                verified.reservationId, envelope: verified.envelope)
                        else { return }
                        acks.settled.withLock { $0[verified.reservationId] = answer.txSignature }
                    }
                }
            }
            // Let the load run, then kill the server in the middle of it.
            while acks.settled.withLock({ $0.count }) < 100 {
                try await Task.sleep(for: .milliseconds(10))
            }
            server.child.send(SIGKILL)
            _ = await server.child.wait()
            try await group.waitForAll()
        }
        let acknowledgedReservations = acks.reserved.withLock { $0 }
        let acknowledgedSettlements = acks.settled.withLock { $0 }
        #expect(acknowledgedSettlements.count >= 100)

        // Reopen the file as the next process would and check every acknowledgement.
        let store = try KuraService.openStore(path: db, create: false)
        let service = KuraService(
            store: store, signer: TestKeys.serviceSigner, clock: .fixed(Timestamp(milliseconds: 0)),
            logger: Logger.quiet("crash"))
        #expect(try await store.verify().isValid)
        #expect(try await service.ledgerViolations() == [])
        let rows: [String: (state: String, settlement: String?)] = try await store.read { reads throws(KuraError) in
            var rows: [String: (String, String?)] = [:]
            try (reads as! SQLReadSession).connection.query("SELECT id, state, settlement FROM reservations", []) {
                row throws(KuraError) in rows[row.text(0)] = (row.text(1), row.optionalText(2))
            }
            return rows
        }
        let lost = acknowledgedReservations.filter { rows[$0.rawValue] == nil }
        #expect(lost.isEmpty, "\(lost.count) acknowledged reservations are missing")
        for (id, signature) in acknowledgedSettlements {
            let row = rows[id.rawValue]
            #expect(row?.state == "settled", "\(id)")
            #expect(row?.settlement?.contains(signature) == true, "\(id)")
        }
        store.close()

        // After a restart, settling an acknowledged settlement again answers the first one.
        let restarted = try await Self.serve(binary, db: db, dir: dir, label: "second")
        defer { restarted.child.send(SIGKILL) }
        let (id, signature) = try #require(acknowledgedSettlements.first)
        let again = KuraClient(baseURL: restarted.url, apiKey: provider.apiKey!, maxAttempts: 1, timeout: .seconds(2))
        let envelope = try #require(agentClient.envelope(for: id))
        let answer = try await again.settle(id, envelope: envelope)
        #expect(answer.idempotent && answer.txSignature == signature)
        restarted.child.send(SIGTERM)
        _ = await restarted.child.wait()
    }
}

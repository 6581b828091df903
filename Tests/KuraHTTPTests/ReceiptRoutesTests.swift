import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraService
import KuraTesting
import Logging
import Testing

/// Who took part in ``ReceiptFlow``.
struct ReceiptFlow: Sendable {
    let payer: PartyID
    let payerKey: String
    let payee: PartyID
    let carol: PartyID
    let released: EscrowID
    var cancelled: EscrowID?
    var open: EscrowID?

    /// Phase one, over HTTP: escrow A from payer to payee is locked, delivered and confirmed, giving
    /// receipts 0 (locked), 1 (delivered) and 2 (released).
    static func phaseOne(_ api: APIClient) async throws -> ReceiptFlow {
        let payer = try await api.register("payer")
        let payee = try await api.register("payee")
        let carol = try await api.register("carol")
        try await api.deposit(payer.id, 10_000)
        let a = try await api.open(payerKey: payer.apiKey, payee: payee.id, amount: 1_000)
        let delivered = try await api.send(
            .post, "/v1/escrows/\(a)/deliver", as: .bearer(payee.apiKey),
            json: ["evidence": .string(Hex.encode(SHA256.hash("goods")))])
        guard delivered.status == .ok else { throw TestFailure("deliver: \(delivered)") }
        let confirmed = try await api.send(.post, "/v1/escrows/\(a)/confirm", as: .bearer(payer.apiKey))
        guard confirmed.status == .ok else { throw TestFailure("confirm: \(confirmed)") }
        return ReceiptFlow(
            payer: payer.id, payerKey: payer.apiKey, payee: payee.id, carol: carol.id, released: a)
    }

    /// Phase two: escrow B to payee is locked and cancelled (receipts 3 and 4), escrow C to carol is
    /// locked (receipt 5).
    mutating func phaseTwo(_ api: APIClient) async throws {
        let b = try await api.open(payerKey: payerKey, payee: payee, amount: 200)
        let cancelled = try await api.send(.post, "/v1/escrows/\(b)/cancel", as: .bearer(payerKey))
        guard cancelled.status == .ok else { throw TestFailure("cancel: \(cancelled)") }
        self.cancelled = b
        open = try await api.open(payerKey: payerKey, payee: carol, amount: 300)
    }

    /// Both phases: six receipts.
    static func full(_ api: APIClient) async throws -> ReceiptFlow {
        var flow = try await phaseOne(api)
        try await flow.phaseTwo(api)
        return flow
    }
}

extension APIClient {
    /// The verifier key served at `GET /v1/log/key`, parsed.
    func verifier() async throws -> NoteVerifier {
        let answer = try await send(.get, "/v1/log/key")
        guard answer.status == .ok, answer.text.hasSuffix("\n") else { throw TestFailure("key: \(answer)") }
        return try NoteVerifier(parsing: answer.text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The current checkpoint, opened with the served key: issued first as the background checkpointer does
    /// (the public route only serves issued checkpoints), then read over HTTP.
    func checkpoint(_ verifier: NoteVerifier) async throws -> (note: String, checkpoint: Checkpoint) {
        _ = try await fixture.service.checkpointIfGrown()
        let answer = try await send(.get, "/v1/log/checkpoint")
        guard answer.status == .ok else { throw TestFailure("checkpoint: \(answer)") }
        return (answer.text, try Checkpoint.open(note: answer.text, verifier: verifier))
    }
}

extension HTTPFixture {
    /// A server over this fixture's database with its own checkpoint interval (0: no background checkpoints).
    func server(checkpointIntervalMs: Int64) -> KuraServer {
        var configuration = KuraServer.Configuration(
            port: 0, sweepIntervalMs: 0, checkpointIntervalMs: checkpointIntervalMs)
        configuration.idleTimeoutMs = HTTPFixture.idleTimeoutMs
        configuration.publicRateLimit = nil
        configuration.anonymousRateLimit = nil
        return KuraServer(
            service: service, configuration: configuration,
            logger: Logger.quiet("kura.http.test"))
    }

    /// Like ``test(_:_:)``, with no background checkpoints: every checkpoint is one a test asked for.
    func quietTest<T: Sendable>(_ body: @Sendable (APIClient) async throws -> T) async throws -> T {
        try await server(checkpointIntervalMs: 0).makeApplication().test(.router) { client in
            try await body(APIClient(client: client, fixture: self))
        }
    }
}

@Suite("receipts and the transparency log over HTTP")
struct ReceiptRoutesTests {
    @Test("list in log order, filter by party and kind, page with a cursor; no credentials needed")
    func listing() async throws {
        let fixture = try await HTTPFixture(label: "receipts-list")
        try await fixture.quietTest { api in
            let flow = try await ReceiptFlow.full(api)
            #expect(try await fixture.service.receiptCount() == 6)

            let all = try await api.send(.get, "/v1/receipts")
            #expect(all.status == .ok, "\(all)")
            #expect(all.contentType == "application/json")
            let items = try #require(all.json["items"]?.arrayValue)
            #expect(items.compactMap { $0["index"]?.uint64Value } == [0, 1, 2, 3, 4, 5])
            #expect(
                items.compactMap { $0["kind"]?.stringValue } == [
                    "escrow.locked", "escrow.delivered", "escrow.released", "escrow.locked", "escrow.cancelled",
                    "escrow.locked",
                ])
            #expect(all.json["nextCursor"] == .null)
            // Each item is the receipt as the service holds it.
            for (i, item) in items.enumerated() {
                #expect(try await item.canonicalBytes() == fixture.service.receipt(UInt64(i)).leafBytes())
            }

            let carol = try await api.send(.get, "/v1/receipts?party=\(flow.carol)")
            #expect(carol.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } == [5])
            let payee = try await api.send(.get, "/v1/receipts?party=\(flow.payee)")
            #expect(payee.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } == [0, 1, 2, 3, 4])
            let locked = try await api.send(.get, "/v1/receipts?kind=escrow.locked")
            #expect(locked.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } == [0, 3, 5])
            let both = try await api.send(.get, "/v1/receipts?kind=escrow.locked&party=\(flow.payee)")
            #expect(both.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } == [0, 3])
            let none = try await api.send(.get, "/v1/receipts?kind=escrow.refunded")
            #expect(none.status == .ok && none.json == ["items": [], "nextCursor": .null])

            var pages: [[UInt64]] = []
            var uri = "/v1/receipts?limit=2"
            while true {
                let page = try await api.send(.get, uri)
                #expect(page.status == .ok, "\(page)")
                pages.append(page.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } ?? [])
                guard let next = page.json["nextCursor"]?.stringValue, pages.count < 10 else { break }
                uri = "/v1/receipts?limit=2&cursor=\(next)"
            }
            #expect(pages == [[0, 1], [2, 3], [4, 5]])

            let lockedPage = try await api.send(.get, "/v1/receipts?kind=escrow.locked&limit=1&cursor=0")
            #expect(lockedPage.json["items"]?.arrayValue?.compactMap { $0["index"]?.uint64Value } == [3])
            #expect(lockedPage.json["nextCursor"]?.stringValue == "3")
        }
    }

    @Test("a receipt is served as exactly its leaf bytes, to anyone; credentials are ignored")
    func receiptBytes() async throws {
        let fixture = try await HTTPFixture(label: "receipts-show")
        try await fixture.quietTest { api in
            let flow = try await ReceiptFlow.full(api)
            for index in 0..<UInt64(6) {
                let answer = try await api.send(.get, "/v1/receipts/\(index)")
                #expect(answer.status == .ok, "\(answer)")
                #expect(answer.contentType == "application/json")
                #expect(answer.body == (try await fixture.service.receipt(index).leafBytes()), "receipt \(index)")
                #expect(answer.json["index"]?.uint64Value == index)
            }
            let released = try await api.send(.get, "/v1/receipts/2")
            #expect(released.json["subject"]?.stringValue == flow.released.rawValue)
            #expect(released.json["outcome"] == "confirmed")
            #expect(released.json["fee"]?.uint64Value == 5)

            // A wrong key or a party's key changes nothing: the route is public.
            let wrongKey = try await api.send(.get, "/v1/receipts/2", as: .bearer("kura_nope"))
            #expect(wrongKey.status == .ok && wrongKey.body == released.body)
            let asParty = try await api.send(.get, "/v1/receipts/2", as: .bearer(flow.payerKey))
            #expect(asParty.body == released.body)
            // The path segment is percent-decoded like every other.
            #expect(try await api.send(.get, "/v1/receipts/%32").body == released.body)
        }
    }

    @Test("every receipt's bundle verifies offline with the served key, also against an older size")
    func bundles() async throws {
        let fixture = try await HTTPFixture(label: "receipts-bundle")
        try await fixture.quietTest { api in
            var flow = try await ReceiptFlow.phaseOne(api)
            let verifier = try await api.verifier()
            #expect(verifier.text == fixture.service.verifierKey)
            let (_, old) = try await api.checkpoint(verifier)
            #expect(old.size == 3)
            try await flow.phaseTwo(api)
            let (_, current) = try await api.checkpoint(verifier)
            #expect(current.size == 6)

            for index in 0..<UInt64(6) {
                let answer = try await api.send(.get, "/v1/receipts/\(index)/bundle")
                #expect(answer.status == .ok, "\(answer)")
                #expect(answer.contentType == "application/json")
                #expect(
                    try await answer.json["receipt"]?.canonicalBytes() == fixture.service.receipt(index).leafBytes())
                let verdict = ReceiptBundle.verify(bundleJSON: answer.json, key: verifier)
                #expect(verdict == .valid(index: index, size: 6, root: current.rootHash), "bundle \(index): \(verdict)")
            }
            for index in 0..<UInt64(3) {
                let answer = try await api.send(.get, "/v1/receipts/\(index)/bundle?size=3")
                #expect(answer.status == .ok, "\(answer)")
                let verdict = ReceiptBundle.verify(bundleJSON: answer.json, key: verifier)
                #expect(verdict == .valid(index: index, size: 3, root: old.rootHash), "bundle \(index)@3: \(verdict)")
            }
            // Smallest tree holding receipt 5, and the current size named explicitly.
            let smallest = try await api.send(.get, "/v1/receipts/5/bundle?size=6")
            #expect(ReceiptBundle.verify(bundleJSON: smallest.json, key: verifier).isValid)

            // A changed receipt no longer verifies (the check is real).
            var top = try #require(try await api.send(.get, "/v1/receipts/1/bundle").json.objectValue)
            var receipt = try #require(top["receipt"]?.objectValue)
            receipt["amount"] = 999
            top["receipt"] = .object(receipt)
            #expect(ReceiptBundle.verify(bundleJSON: .object(top), key: verifier).failedCheck == .proof)
        }
    }

    @Test("the checkpoint is a text/plain signed note of the current size; the same size gives the same bytes")
    func checkpoint() async throws {
        let fixture = try await HTTPFixture(label: "receipts-checkpoint")
        try await fixture.quietTest { api in
            _ = try await ReceiptFlow.full(api)
            let verifier = try await api.verifier()
            // Issued as the checkpointer does; the route serves it.
            _ = try await fixture.service.checkpointIfGrown()
            let keyAnswer = try await api.send(.get, "/v1/log/key")
            #expect(keyAnswer.contentType == "text/plain; charset=utf-8")
            #expect(keyAnswer.text == fixture.service.verifierKey + "\n")

            let answer = try await api.send(.get, "/v1/log/checkpoint")
            #expect(answer.status == .ok)
            #expect(answer.contentType == "text/plain; charset=utf-8")
            let checkpoint = try Checkpoint.open(note: answer.text, verifier: verifier)
            #expect(checkpoint.size == (try await fixture.service.receiptCount()))
            #expect(checkpoint.origin == verifier.name)
            #expect(Base64.encode(checkpoint.rootHash) == (try await fixture.service.checkpoint().rootHash))
            #expect(answer.text.hasSuffix("\n"))
            let again = try await api.send(.get, "/v1/log/checkpoint", as: .bearer("kura_nope"))
            #expect(again.body == answer.body)
        }
    }

    @Test("a consistency proof between two served checkpoints verifies against their roots")
    func consistency() async throws {
        let fixture = try await HTTPFixture(label: "receipts-consistency")
        try await fixture.quietTest { api in
            var flow = try await ReceiptFlow.phaseOne(api)
            let verifier = try await api.verifier()
            let (_, old) = try await api.checkpoint(verifier)
            try await flow.phaseTwo(api)
            let (_, new) = try await api.checkpoint(verifier)
            #expect((old.size, new.size) == (3, 6))

            let answer = try await api.send(.get, "/v1/log/consistency?from=\(old.size)&to=\(new.size)")
            #expect(answer.status == .ok, "\(answer)")
            #expect(answer.contentType == "application/json")
            #expect(answer.json["from"]?.uint64Value == 3 && answer.json["to"]?.uint64Value == 6)
            let proof = try #require(answer.json["hashes"]?.arrayValue).compactMap {
                $0.stringValue.flatMap(Base64.decode)
            }
            #expect(!proof.isEmpty && proof.allSatisfy { $0.count == 32 })
            #expect(
                MerkleVerifier.verifyConsistency(
                    oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash, proof: proof))
            // Nor does it tie a different old root to the new one.
            #expect(
                !MerkleVerifier.verifyConsistency(
                    oldSize: old.size, newSize: new.size, oldRoot: new.rootHash, newRoot: new.rootHash, proof: proof))

            let same = try await api.send(.get, "/v1/log/consistency?to=6&from=6")
            #expect(same.status == .ok && same.json["hashes"] == [])

            // Every pair of sizes, each against the bundle checkpoints of those sizes (issued by the operator:
            // a public read serves issued checkpoints only).
            var roots: [UInt64: [UInt8]] = [:]
            for size in UInt64(1)...6 {
                _ = try await fixture.service.checkpoint(size: size)
                let bundle = try await api.send(.get, "/v1/receipts/0/bundle?size=\(size)")
                let note = try #require(bundle.json["checkpoint"]?.stringValue)
                roots[size] = try Checkpoint.open(note: note, verifier: verifier).rootHash
            }
            for from in UInt64(1)...6 {
                for to in from...6 {
                    let pair = try await api.send(.get, "/v1/log/consistency?from=\(from)&to=\(to)")
                    let hashes =
                        pair.json["hashes"]?.arrayValue?.compactMap { $0.stringValue.flatMap(Base64.decode) } ?? []
                    #expect(
                        MerkleVerifier.verifyConsistency(
                            oldSize: from, newSize: to, oldRoot: roots[from]!, newRoot: roots[to]!, proof: hashes),
                        "\(from) → \(to)")
                }
            }
        }
    }

    /// Refused reads: each with its status (400 `invalid_request` or 404 `not_found`).
    static let badReads: [(String, Int)] = [
        ("/v1/receipts/abc", 400), ("/v1/receipts/-1", 400), ("/v1/receipts/+1", 400), ("/v1/receipts/01", 400),
        ("/v1/receipts/1.0", 400), ("/v1/receipts/18446744073709551616", 400), ("/v1/receipts/%zz", 400),
        ("/v1/receipts/0?x=1", 400), ("/v1/receipts/6", 404), ("/v1/receipts/9223372036854775808", 404),
        ("/v1/receipts/18446744073709551615", 404),
        ("/v1/receipts?limit=0", 400), ("/v1/receipts?limit=1001", 400), ("/v1/receipts?limit=x", 400),
        ("/v1/receipts?party=bob", 400), ("/v1/receipts?kind=Escrow.locked", 400), ("/v1/receipts?kind=", 400),
        ("/v1/receipts?cursor=-1", 400), ("/v1/receipts?cursor=x", 400), ("/v1/receipts?limit=5&limit=6", 400),
        ("/v1/receipts?colour=red", 400),
        ("/v1/receipts/x/bundle", 400), ("/v1/receipts/0/bundle?size=x", 400), ("/v1/receipts/0/bundle?size=-1", 400),
        ("/v1/receipts/0/bundle?from=1", 400), ("/v1/receipts/6/bundle", 404), ("/v1/receipts/0/bundle?size=7", 404),
        ("/v1/receipts/3/bundle?size=3", 404), ("/v1/receipts/0/bundle?size=0", 404),
        ("/v1/log/consistency", 400), ("/v1/log/consistency?from=1", 400), ("/v1/log/consistency?to=2", 400),
        ("/v1/log/consistency?from=0&to=3", 400), ("/v1/log/consistency?from=4&to=3", 400),
        ("/v1/log/consistency?from=1&to=7", 400), ("/v1/log/consistency?from=a&to=3", 400),
        ("/v1/log/checkpoint?size=3", 400), ("/v1/log/key?x", 400),
    ]

    @Test("bad input is a problem: malformed numbers and parameters 400, unknown receipts and sizes 404")
    func badInput() async throws {
        let fixture = try await HTTPFixture(label: "receipts-bad")
        try await fixture.quietTest { api in
            _ = try await ReceiptFlow.full(api)
            for (uri, status) in Self.badReads {
                let answer = try await api.send(.get, uri)
                #expect(Int(answer.status.code) == status, "\(uri): \(answer)")
                #expect(answer.contentType == "application/problem+json", "\(uri)")
                #expect(answer.code == (status == 400 ? "invalid_request" : "not_found"), "\(uri): \(answer)")
            }
            // No refused read signed a checkpoint.
            #expect(try await fixture.service.latestCheckpoint() == nil)
        }
    }

    @Test("POST on a log route is 405; the public routes answer without credentials, every other route 401")
    func publicRoutes() async throws {
        #expect(
            KuraRoutes.publicRoutes.isSuperset(of: [
                KuraRoute("GET", "/healthz"), KuraRoute("GET", "/v1/receipts"),
                KuraRoute("GET", "/v1/receipts/{index}"),
                KuraRoute("GET", "/v1/receipts/{index}/bundle"), KuraRoute("GET", "/v1/log/checkpoint"),
                KuraRoute("GET", "/v1/log/consistency"), KuraRoute("GET", "/v1/log/key"),
            ]))
        #expect(KuraRoutes.publicRoutes.isSubset(of: KuraRoutes.all))
        let fixture = try await HTTPFixture(label: "receipts-public")
        try await fixture.quietTest { api in
            _ = try await ReceiptFlow.phaseOne(api)
            _ = try await fixture.service.checkpointIfGrown()
            for route in KuraRoutes.all {
                var uri = route.path
                    .replacingOccurrences(
                        of: "{id}", with: route.path.hasPrefix("/v1/parties") ? "pty_2p8fVYk6nZ1q" : "esc_2p8fVYk6nZ1q"
                    )
                    .replacingOccurrences(of: "{party}", with: "pty_2p8fVYk6nZ1q")
                    .replacingOccurrences(of: "{index}", with: "0")
                if route.path == "/v1/log/consistency" { uri += "?from=1&to=3" }
                if route.path == "/v1/reputation" { uri += "?ids=pty_2p8fVYk6nZ1q" }
                let answer = try await api.send(HTTPRequest.Method(route.method)!, uri)
                if route.path == "/v1/parties/{id}/passport" {
                    // Public, but this party does not exist.
                    #expect(answer.status == .notFound, "\(route): \(answer)")
                } else if KuraRoutes.publicRoutes.contains(route) {
                    #expect(answer.status == .ok, "\(route): \(answer)")
                } else {
                    #expect(answer.status == .unauthorized, "\(route): \(answer)")
                }
            }
            let post = try await api.send(.post, "/v1/log/checkpoint", json: [:])
            #expect(post.status == .methodNotAllowed && post.headers[.allow] == "GET")
            #expect(try await api.send(.delete, "/v1/receipts/0").status == .methodNotAllowed)
        }
    }

    /// Polls until `check` holds or five seconds pass.
    private func eventually(_ check: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("the server signs a checkpoint as the tree grows, once per interval at most; none at 0 ms")
    func backgroundCheckpoints() async throws {
        #expect(KuraServer.Configuration().checkpointIntervalMs == 1000)
        let fixture = try await HTTPFixture(label: "receipts-bg")
        try await fixture.server(checkpointIntervalMs: 20).makeApplication().test(.router) { client in
            let api = APIClient(client: client, fixture: fixture)
            // The empty tree is signed once at the start (so the public route answers from the start), and
            // nothing more while the log stays empty.
            let empty = try await eventually { try await fixture.service.latestCheckpoint()?.size == 0 }
            #expect(empty)
            try await Task.sleep(for: .milliseconds(60))
            #expect(try await fixture.service.latestCheckpoint()?.size == 0)

            var flow = try await ReceiptFlow.phaseOne(api)
            let first = try await eventually { try await fixture.service.latestCheckpoint()?.size == 3 }
            #expect(first)
            try await flow.phaseTwo(api)
            let second = try await eventually { try await fixture.service.latestCheckpoint()?.size == 6 }
            #expect(second)
            // The background checkpoints are the ones the routes serve: one per size, the same bytes.
            let stored = try #require(try await fixture.service.latestCheckpoint())
            #expect(try await api.send(.get, "/v1/log/checkpoint").text == stored.note)
        }

        let quiet = try await HTTPFixture(label: "receipts-quiet")
        try await quiet.server(checkpointIntervalMs: 0).makeApplication().test(.router) { client in
            _ = try await ReceiptFlow.phaseOne(APIClient(client: client, fixture: quiet))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await quiet.service.latestCheckpoint() == nil)
        }
    }
}

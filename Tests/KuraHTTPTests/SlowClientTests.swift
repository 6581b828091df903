import Foundation
import KuraCore
import KuraHTTP
import KuraTesting
import Logging
import Testing

/// Issue 14, finding 9: no idle or header timeout (slowloris), and up to 1 MiB of body read before
/// authentication.
@Suite("slow and unknown clients")
struct SlowClientTests {
    static func server(_ fixture: HTTPFixture, idleTimeoutMs: Int64) -> KuraServer {
        var configuration = KuraServer.Configuration(port: 0, sweepIntervalMs: 0, checkpointIntervalMs: 0)
        configuration.idleTimeoutMs = idleTimeoutMs
        return KuraServer(
            service: fixture.service, configuration: configuration,
            logger: Logger.quiet("test"))
    }

    @Test("a half-sent request head is cut off after the idle timeout, even when it trickles in")
    func slowloris() async throws {
        // A real `kura serve` in its own process: in this one, the rest of the suite can keep every thread busy
        // for long enough that an in-process server does not even accept the connection within the test's wait.
        let dir = try TemporaryDirectory("slowloris")
        defer { dir.remove() }
        let server = try await ServerProcess.start(
            database: dir.path("slow.sqlite"), in: dir, arguments: ["--idle-timeout-ms", "400"])
        defer { server.child.send(SIGKILL) }
        guard let port = URLComponents(string: server.url)?.port else { throw TestFailure("no port in \(server.url)") }
        do {
            // Half a head, then nothing.
            let held = try RawConnection(port: port)
            #expect(held.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
            // Generous: while the whole suite runs on two cores the server may be slow to even accept it.
            let heldResult = await held.read(timeout: .seconds(30))
            #expect(heldResult == .closed)

            // A byte every 100 ms for up to 30 s: each is activity on the socket, none completes the head.
            let trickle = try RawConnection(port: port)
            var cut = false
            for byte in "GET /healthz HTTP/1.1\r\nX-Slow: " + String(repeating: "a", count: 300) {
                if !trickle.send(String(byte)) { cut = true; break }
                if await trickle.read(timeout: .milliseconds(100)) == .closed {
                    cut = true
                    break
                }
            }
            #expect(cut, "the trickling client was still connected after 30 s")

            // A well-behaved client on another connection is served meanwhile and after.
            let fine = try RawConnection(port: port)
            #expect(fine.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
            let fineAnswer = await fine.readAll(timeout: .seconds(30))
            #expect(fineAnswer.text.hasPrefix("HTTP/1.1 200"))
        }
        #expect(try await server.terminate() == 0)
    }

    @Test("an unknown caller is refused from its headers, before the server waits for its body")
    func authenticatesBeforeTheBody() async throws {
        let fixture = try await HTTPFixture(label: "auth-first")
        let payer = try await fixture.db.register(name: "payer")
        try await withLiveServer(Self.server(fixture, idleTimeoutMs: 30_000)) { port in
            // 60,000 bytes announced, none sent: the answer must not wait for them.
            let headersOnly = { (auth: String) in
                "POST /v1/escrows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(auth)Content-Length: 60000\r\n\r\n"
            }
            for auth in [
                "", "Authorization: Bearer kura_wrong\r\n",
                "Kura-Party: pty_2p8fVYk6nZ1q\r\nKura-Timestamp: \(fixture.clock.now.milliseconds)\r\nKura-Nonce: nonce-0001\r\nKura-Signature: AAAA\r\n",
                "Kura-Party: \(payer.party.id)\r\nKura-Timestamp: 1\r\nKura-Nonce: nonce-0001\r\nKura-Signature: AAAA\r\n",
            ] {
                let connection = try RawConnection(port: port)
                #expect(connection.send(headersOnly(auth)))
                guard case .bytes(let answer) = await connection.read(timeout: .seconds(30)) else {
                    Issue.record("no answer before the body for \(auth)")
                    continue
                }
                #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 401"), "\(auth)")
            }
            // A known caller announcing more than the route reads (64 KiB) is refused before sending it too.
            let big = try RawConnection(port: port)
            #expect(
                big.send(
                    "POST /v1/escrows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(payer.apiKey)\r\nContent-Length: 70000\r\n\r\n"
                ))
            guard case .bytes(let answer) = await big.read(timeout: .seconds(30)) else {
                Issue.record("no answer to an oversized body")
                return
            }
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 413"))
        }
    }
}

import HTTPTypes
import KuraCore
import KuraCrypto
import KuraHTTP
import KuraProvider
import Testing

@Suite("routing")
struct RoutingTests {
    @Test("GET /healthz answers without credentials")
    func health() async throws {
        let fixture = try await HTTPFixture()
        let answer = try await fixture.test { api in try await api.send(.get, "/healthz") }
        #expect(answer.status == .ok)
        #expect(answer.json == ["status": "ok"])
        #expect(answer.contentType == "application/json")
    }

    @Test("every listed route is served: without credentials each non-public one answers 401, not 404 or 405")
    func everyRouteIsRegistered() async throws {
        let fixture = try await HTTPFixture()
        let answers = try await fixture.test { api in
            var answers: [(KuraRoute, Answer)] = []
            for route in KuraRoutes.all where !KuraRoutes.publicRoutes.contains(route) {
                let uri = route.path
                    .replacingOccurrences(
                        of: "{id}", with: route.path.hasPrefix("/v1/parties") ? "pty_2p8fVYk6nZ1q" : "esc_2p8fVYk6nZ1q"
                    )
                    .replacingOccurrences(of: "{party}", with: "pty_2p8fVYk6nZ1q")
                answers.append((route, try await api.send(HTTPRequest.Method(route.method)!, uri)))
            }
            return answers
        }
        #expect(answers.count == KuraRoutes.all.count - KuraRoutes.publicRoutes.count)
        for (route, answer) in answers {
            #expect(answer.status == .unauthorized, "\(route): \(answer)")
        }
    }

    @Test("an unknown path is a 404 problem; a known path with another method is a 405 problem with Allow")
    func notFoundAndMethodNotAllowed() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let missing = try await api.send(.get, "/v2/nothing", as: api.operatorCaller)
            #expect(missing.status == .notFound)
            #expect(missing.code == "not_found")
            #expect(missing.contentType == "application/problem+json")

            let put = try await api.send(.put, "/v1/escrows", as: api.operatorCaller, json: [:])
            #expect(put.status == .methodNotAllowed)
            #expect(put.code == "method_not_allowed")
            #expect(put.headers[.allow] == "GET, POST")

            let getAction = try await api.send(.get, "/v1/escrows/esc_2p8fVYk6nZ1q/confirm", as: api.operatorCaller)
            #expect(getAction.status == .methodNotAllowed)
            #expect(getAction.headers[.allow] == "POST")

            let head = try await api.send(.patch, "/healthz")
            #expect(head.status == .methodNotAllowed)
        }
    }

    @Test("route templates match paths segment by segment")
    func methodsForPath() {
        #expect(KuraRoutes.methods(forPath: "/v1/escrows") == ["GET", "POST"])
        #expect(KuraRoutes.methods(forPath: "/v1/escrows/") == ["GET", "POST"])
        #expect(KuraRoutes.methods(forPath: "/v1/escrows/x/refund") == ["POST"])
        #expect(KuraRoutes.methods(forPath: "/v1/escrows/x/y/z").isEmpty)
        #expect(KuraRoutes.methods(forPath: "/").isEmpty)
        #expect(Set(KuraRoutes.all).count == KuraRoutes.all.count, "a route is listed twice")
    }
}

@Suite("problem mapping")
struct ProblemMappingTests {
    @Test(
        "each code has one status",
        arguments: [
            (KuraError.Code.invalidRequest, 400), (.unauthenticated, 401), (.forbidden, 403), (.notFound, 404),
            (.methodNotAllowed, 405), (.invalidTransition, 409), (.idempotencyConflict, 409), (.versionConflict, 409),
            (.payloadTooLarge, 413), (.insufficientFunds, 422), (.storageFailure, 500), (.internalError, 500),
            (.chainBroken, 500), (.unknownEventType, 500),
        ])
    func status(code: KuraError.Code, status: Int) {
        #expect(Int(Problem.status(for: code).code) == status)
    }

    @Test("a problem body has type, title, status, detail and code; a 5xx hides its detail")
    func body() {
        let body = Problem.body(for: KuraError(.insufficientFunds, "payer has 3"))
        #expect(
            body == [
                "type": "https://kura.dev/problems/insufficient_funds", "title": "Insufficient funds", "status": 422,
                "detail": "payer has 3", "code": "insufficient_funds",
            ])
        let hidden = Problem.body(for: KuraError(.storageFailure, "disk I/O error at /var/lib/kura.sqlite"))
        #expect(hidden["code"] == "storage_failure")
        #expect(hidden["status"] == 500)
        #expect(hidden["detail"]?.stringValue?.contains("/var/lib") == false)
    }
}

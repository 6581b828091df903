import Foundation
import Hummingbird
import KuraCore
import KuraHTTP
import KuraProvider
import KuraService
import Testing

/// The operation catalog (``KuraAPI``) and `Schemas/openapi.yaml` describe the same operations: route,
/// `operationId`, credentials, `Idempotency-Key`, query parameters, 201 or 200, and a response for every
/// problem code the operation declares. Every catalog entry is bound to the service.
@Suite("Operation catalog")
struct OperationCatalogTests {
    /// What the spec says of one operation.
    struct SpecOperation {
        var route: KuraRoute
        var id: String?
        var summary = ""
        var isPublic = false
        var idempotencyKey = false
        var queryNames: Set<String> = []
        var statuses: Set<Int> = []
    }

    /// The operations under `paths:`, read line by line (the layout `Schemas/openapi.yaml` keeps: a path at two
    /// spaces, a method at four, its members at six, their items and response codes at eight).
    static func specOperations(_ text: String) -> [SpecOperation] {
        let queryRefs = queryParameterComponents(text)
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: [SpecOperation] = []
        var inPaths = false
        var path: String?
        var current: SpecOperation?
        var section = ""
        var lastName: String?
        var pathQueryNames: Set<String> = []
        func finish() {
            if let done = current { operations.append(done) }
            current = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.hasPrefix("#") && !line.isEmpty {
                finish()
                inPaths = line.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                finish()
                path = String(line.dropFirst(2).prefix { $0 != ":" })
                pathQueryNames = []
            } else if line.hasPrefix("    "), !line.hasPrefix("     ") {
                finish()
                let key = String(line.dropFirst(4).prefix { $0 != ":" })
                if let path, methods.contains(key) {
                    current = SpecOperation(route: KuraRoute(key.uppercased(), path), queryNames: pathQueryNames)
                }
            } else if current == nil, path != nil, line.hasPrefix(##"      - $ref: "#/components/parameters/"##) {
                // A parameter of every operation on the path.
                if let name = queryRefs[String(line.dropFirst(39).dropLast())] { pathQueryNames.insert(name) }
            } else if current != nil, line.hasPrefix("      "), !line.hasPrefix("       ") {
                let member = line.dropFirst(6)
                section = String(member.prefix { $0 != ":" })
                if member.hasPrefix("operationId: ") { current?.id = String(member.dropFirst(13)) }
                if member.hasPrefix("summary: ") { current?.summary = String(member.dropFirst(9)) }
                if member == "security: []" { current?.isPublic = true }
            } else if current != nil, line.hasPrefix("        "), !line.hasPrefix("           ") {
                let item = line.trimmingCharacters(in: .whitespaces)
                switch section {
                case "parameters":
                    if item == ##"- $ref: "#/components/parameters/IdempotencyKey""## { current?.idempotencyKey = true }
                    if item.hasPrefix(##"- $ref: "#/components/parameters/"##),
                        let name = queryRefs[String(item.dropFirst(33).dropLast())]
                    {
                        current?.queryNames.insert(name)
                    }
                    if item.hasPrefix("- name: ") { lastName = String(item.dropFirst(8)) }
                    if item == "in: query", let lastName { current?.queryNames.insert(lastName) }
                case "responses":
                    if item.hasPrefix("\""), let code = Int(item.dropFirst().prefix(3)) {
                        current?.statuses.insert(code)
                    }
                default: break
                }
            }
        }
        finish()
        return operations
    }

    /// The query parameters of `components: parameters:` by component name (`AsOf` → `asOf`), for operations
    /// that name theirs by `$ref`.
    static func queryParameterComponents(_ text: String) -> [String: String] {
        var names: [String: String] = [:]
        var inParameters = false
        var component: String?
        var name: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  "), !line.hasPrefix("   ") {
                inParameters = line == "  parameters:"
                component = nil
            } else if inParameters, line.hasPrefix("    "), !line.hasPrefix("     ") {
                component = String(line.dropFirst(4).prefix { $0 != ":" })
                name = nil
            } else if inParameters, let component, line.hasPrefix("      "), !line.hasPrefix("       ") {
                let member = line.dropFirst(6)
                if member.hasPrefix("name: ") { name = String(member.dropFirst(6)) }
                if member == "in: query", let name { names[component] = name }
            } else if !line.hasPrefix(" "), !line.isEmpty {
                inParameters = false
            }
        }
        return names
    }

    static func spec() throws -> [SpecOperation] {
        try specOperations(String(contentsOf: OpenAPIRouteTests.specURL, encoding: .utf8))
    }

    /// What is wrong between one catalog entry and the spec; empty when they agree.
    static func mismatches(_ operation: any KuraOperationDescription, in spec: [SpecOperation]) -> [String] {
        let route = KuraRoute(operation)
        guard let entry = spec.first(where: { $0.route == route }) else {
            return ["\(operation.id): \(route) is in the catalog but not in the spec"]
        }
        var problems: [String] = []
        if entry.id != operation.id { problems.append("\(route): operationId \(entry.id ?? "none") ≠ \(operation.id)") }
        if entry.isPublic != (operation.access == .public) {
            problems.append("\(operation.id): the spec says public \(entry.isPublic), the catalog \(operation.access)")
        }
        // The spec says who may call in the summary: "(operators)", "(operators only)", "(operators; …)".
        if entry.summary.contains("(operators") != (operation.access == .operator) {
            problems.append("\(operation.id): the summary says \"\(entry.summary)\", the catalog \(operation.access)")
        }
        if entry.idempotencyKey != operation.idempotent {
            problems.append(
                "\(operation.id): Idempotency-Key in the spec \(entry.idempotencyKey), catalog \(operation.idempotent)")
        }
        if entry.queryNames != Set(operation.queryNames) {
            problems.append("\(operation.id): query \(entry.queryNames.sorted()) ≠ \(operation.queryNames.sorted())")
        }
        let success = Set(operation.successStatuses)
        if entry.statuses.filter({ (200..<300).contains($0) }) != success {
            problems.append(
                "\(operation.id): success \(entry.statuses.filter { $0 < 300 }.sorted()) ≠ \(success.sorted())")
        }
        for code in OperationProblems.common(to: operation.access) + operation.problems {
            let status = Int(Problem.status(for: code).code)
            if !entry.statuses.contains(status) {
                problems.append("\(operation.id): \(code) answers \(status), which the spec does not list")
            }
        }
        return problems
    }

    @Test(
        "every catalog operation is in the spec as declared: route, id, credentials, Idempotency-Key, query, statuses")
    func catalogMatchesSpec() throws {
        let spec = try Self.spec()
        #expect(spec.count == Set(spec.map(\.route)).count, "the spec lists a route twice")
        let problems = KuraAPI.all.flatMap { Self.mismatches($0, in: spec) }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("every route of the spec is served: from the catalog or from a route list not yet in it, not both")
    func specRoutesServed() throws {
        let catalog = KuraAPI.all.map { KuraRoute($0) }
        let served = Set(KuraRoutes.all)
        let legacy = served.subtracting(catalog)
        #expect(Set(catalog).count == catalog.count, "the catalog lists a route twice")
        #expect(Set(KuraAPI.all.map(\.id)).count == KuraAPI.all.count, "the catalog repeats an operationId")
        #expect(Set(catalog).isSubset(of: served), "a catalog route is not registered")
        #expect(KuraRoutes.all.count == legacy.count + catalog.count, "a route is both in the catalog and in a list")
        let unserved = try Self.spec().map(\.route).filter { !served.contains($0) }
        #expect(unserved.isEmpty, "in the spec but neither in the catalog nor served: \(unserved.sorted())")
    }

    @Test("every catalog operation is bound to the service, once")
    func everyOperationBound() {
        let bound = KuraService.operations.map(\.described.id)
        #expect(Set(bound).count == bound.count, "an operation is bound twice")
        #expect(Set(bound) == Set(KuraAPI.all.map(\.id)))
    }

    @Test("the checks fail on a route in the catalog but not in the spec, and on a spec that disagrees")
    func mismatchesFound() throws {
        let spec = try Self.spec()
        let unlisted = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.post(
            "archiveEscrow", "/v1/escrows/{id}/archive", problems: [])
        #expect(
            Self.mismatches(unlisted, in: spec) == [
                "archiveEscrow: POST /v1/escrows/{id}/archive is in the catalog but not in the spec"
            ])
        let publicShow = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.get(
            "showEscrow", "/v1/escrows/{id}", access: .public, problems: [.insufficientFunds])
        // Public in the catalog and not in the spec; neither 409 (insufficient funds) nor 429 listed.
        #expect(Self.mismatches(publicShow, in: spec).count == 3)
        let created = KuraOperation<EscrowID, NoQuery, EmptyRequest, Escrow>.post(
            "confirmEscrow", "/v1/escrows/{id}/confirm", problems: [], location: { "/v1/escrows/\($0.id)" })
        #expect(Self.mismatches(created, in: spec).count == 1)
    }

    @Test("the spec reader reads ids, credentials, keys, query names and statuses")
    func reader() {
        let yaml = """
            paths:
              /a/{id}:
                parameters:
                  - $ref: "#/components/parameters/X"
                  - $ref: "#/components/parameters/Page"
                get:
                  operationId: showA
                  summary: An A (operators).
                  security: []
                  parameters:
                    - $ref: "#/components/parameters/AsOf"
                    - name: limit
                      in: query
                      schema:
                        type: integer
                  responses:
                    "200":
                      description: ok
                    "404":
                      $ref: "#/components/responses/NotFound"
                post:
                  operationId: changeA
                  parameters:
                    - $ref: "#/components/parameters/IdempotencyKey"
                  responses:
                    "201":
                      description: created
            components:
              parameters:
                AsOf:
                  name: asOf
                  in: query
                Page:
                  name: page
                  in: query
              schemas: {}
            """
        let operations = Self.specOperations(yaml)
        #expect(operations.count == 2)
        #expect(operations.first?.id == "showA" && operations.first?.isPublic == true)
        #expect(operations.first?.summary == "An A (operators).")
        #expect(operations.first?.queryNames == ["asOf", "limit", "page"] && operations.first?.statuses == [200, 404])
        #expect(operations.last?.idempotencyKey == true && operations.last?.isPublic == false)
        #expect(operations.last?.statuses == [201] && operations.last?.route == KuraRoute("POST", "/a/{id}"))
        #expect(operations.last?.queryNames == ["page"])
    }

    @Test("a catalog path is filled in from its values, percent-encoded")
    func pathFilledIn() throws {
        let id = try EscrowID(validating: "esc_fixture")
        #expect(KuraAPI.deliverEscrow.path(for: id) == "/v1/escrows/esc_fixture/deliver")
        #expect(KuraAPI.openEscrow.path(for: NoPath()) == "/v1/escrows")
        #expect(KuraAPI.deliverEscrow.pathParameterNames == ["id"])
        let query = EscrowListQuery(state: .delivered, cursor: "42", limit: 10)
        #expect(OperationQueryEncoding.queryString(query.queryItems) == "?limit=10&state=delivered&cursor=42")
        let parsed = Dictionary(uniqueKeysWithValues: query.queryItems.map { ($0.name, $0.value) })
        #expect(try EscrowListQuery(query: parsed) == query)
    }
}

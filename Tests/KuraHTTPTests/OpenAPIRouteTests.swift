import Foundation
import KuraCore
import KuraHTTP
import Testing

/// `Schemas/openapi.yaml` and the router list the same routes.
@Suite("OpenAPI")
struct OpenAPIRouteTests {
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas/openapi.yaml")

    /// The `(METHOD, path)` pairs under `paths:`: a path is a two-space-indented key starting with `/`,
    /// an operation a four-space-indented HTTP method key under it.
    static func specRoutes(_ text: String) -> [KuraRoute] {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var routes: [KuraRoute] = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.hasPrefix("#") && !line.isEmpty {
                inPaths = line.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).prefix { $0 != ":" })
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if methods.contains(String(key)) { routes.append(KuraRoute(key.uppercased(), path)) }
            }
        }
        return routes
    }

    @Test("every route in the router is in the spec, and every route in the spec is in the router")
    func sameRoutes() throws {
        let text = try String(contentsOf: Self.specURL, encoding: .utf8)
        let spec = Self.specRoutes(text)
        #expect(spec.count == Set(spec).count, "the spec lists a route twice")
        let inSpecOnly = Set(spec).subtracting(KuraRoutes.all).sorted()
        let inRouterOnly = Set(KuraRoutes.all).subtracting(spec).sorted()
        #expect(inSpecOnly.isEmpty, "in the spec but not served: \(inSpecOnly)")
        #expect(inRouterOnly.isEmpty, "served but not in the spec: \(inRouterOnly)")
        #expect(spec.count == KuraRoutes.all.count)
    }

    @Test("the spec declares OpenAPI 3.1, both security schemes and the problem schema")
    func specBasics() throws {
        let text = try String(contentsOf: Self.specURL, encoding: .utf8)
        #expect(text.hasPrefix("openapi: 3.1") || text.contains("\nopenapi: 3.1"))
        for needle in [
            "bearerAuth:", "kuraParty:", "kuraTimestamp:", "kuraNonce:", "kuraSignature:", "Problem:",
            "application/problem+json",
        ] {
            #expect(text.contains(needle), "missing \(needle)")
        }
    }

    /// The problem codes of the `Problem` schema's `code` enum.
    static func specCodes(_ text: String) -> Set<String> {
        guard let start = text.range(of: "        code:\n          type: string\n          enum:\n") else { return [] }
        var codes: Set<String> = []
        for line in text[start.upperBound...].split(separator: "\n") {
            guard line.hasPrefix("            - ") else { break }
            codes.insert(String(line.dropFirst(14)))
        }
        return codes
    }

    /// Every code a server can answer with: the closed set of ``KuraError/Code``, less the client's own.
    static func sourceCodes() -> Set<String> {
        Set(KuraError.Code.allCases.filter { !KuraError.Code.clientSide.contains($0) }.map(\.rawValue))
    }

    @Test("the Problem schema's code enum is exactly the codes the server defines (schemathesis found two missing)")
    func problemCodes() throws {
        let text = try String(contentsOf: Self.specURL, encoding: .utf8)
        let spec = Self.specCodes(text)
        let defined = Self.sourceCodes()
        #expect(defined.isSuperset(of: ["invalid_request", "voucher_invalid", "invalid_signature", "rate_limited"]))
        #expect(defined.subtracting(spec).isEmpty, "codes missing from the spec: \(defined.subtracting(spec).sorted())")
        #expect(
            spec.subtracting(defined).isEmpty,
            "codes in the spec the server never uses: \(spec.subtracting(defined).sorted())")
    }

    @Test("the line parser reads paths and methods, and nothing outside paths:")
    func parser() {
        let yaml = """
            openapi: 3.1.0
            info:
              title: x
            paths:
              /a:
                get:
                  summary: get: a
                parameters: []
                post:
                  responses: {}
              /b/{id}:
                delete:
                  responses: {}
            components:
              schemas:
                get:
                  type: object
            """
        #expect(
            Self.specRoutes(yaml) == [KuraRoute("GET", "/a"), KuraRoute("POST", "/a"), KuraRoute("DELETE", "/b/{id}")])
    }
}

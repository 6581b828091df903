import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Schemas/receipt.schema.json and Schemas/bundle.schema.json hold for what Kura really produces: every
/// receipt of every golden scenario, and real bundles. A small hand-written check (required members, no
/// unknown members, types, const, enum, patterns, bounds, local and URN `$ref`s), no schema library;
/// `scripts/check-schemas.sh` runs the full draft 2020-12 validation with Python's `jsonschema`.
@Suite("receipt and bundle schemas")
struct ReceiptSchemaTests {
    static func schema(_ name: String) throws -> JSONValue {
        let url = GoldenFixtures.root.appendingPathComponent("Schemas/\(name)")
        return try JSONValue.parse([UInt8](try Data(contentsOf: url)))
    }

    @Test(
        "every golden receipt has the schema's required members and types, and nothing else",
        arguments: GoldenFixtures.names)
    func goldenReceipts(name: String) throws {
        let checker = try SchemaChecker(root: try Self.schema("receipt.schema.json"))
        let golden = try ScenarioGolden.load(GoldenFixtures.expected(name))
        #expect(!golden.receipts.isEmpty)
        for receipt in golden.receipts {
            let problems = checker.problems(try JSONValue(encoding: receipt))
            #expect(problems == [], "receipt \(receipt.index)")
        }
    }

    @Test("the hand check is not vacuous: broken receipts are refused")
    func brokenReceipts() throws {
        let checker = try SchemaChecker(root: try Self.schema("receipt.schema.json"))
        let golden = try ScenarioGolden.load(GoldenFixtures.expected("happy-path"))
        let receipt = try JSONValue(encoding: golden.receipts[0])
        #expect(checker.problems(receipt) == [])
        #expect(checker.problems(receipt.setting(["memo"], "hi")) != [])
        #expect(checker.problems(receipt.setting(["payer"], nil)) != [])
        #expect(checker.problems(receipt.setting(["amount"], "250000")) != [])
        #expect(checker.problems(receipt.setting(["v"], 2)) != [])
        #expect(checker.problems(receipt.setting(["eventHash"], "ABC")) != [])
        #expect(checker.problems(receipt.setting(["amount"], -1)) != [])
        #expect(checker.problems(receipt.setting(["disputed"], "no")) != [])
    }

    @Test("real bundles of every scenario match the bundle schema")
    func realBundles() async throws {
        let checker = try SchemaChecker(
            root: try Self.schema("bundle.schema.json"),
            external: ["urn:kura:schema:receipt:v1": try Self.schema("receipt.schema.json")])
        for name in GoldenFixtures.names {
            let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
            defer { session.close() }
            for index in 0..<session.result.finalCheckpoint.size {
                let bundle = try await session.service.bundle(index)
                #expect(checker.problems(bundle) == [], "\(name) bundle \(index)")
            }
            let bundle = try await session.service.bundle(0)
            #expect(checker.problems(bundle.setting(["extra"], 1)) != [])
            #expect(checker.problems(bundle.setting(["proof", "hashes"], ["AAAA"])) != [])
            #expect(checker.problems(bundle.setting(["checkpoint"], "no note\n")) != [])
        }
    }
}

/// Checks a JSON value against the subset of JSON Schema 2020-12 Kura's schemas use for shapes: `type`,
/// `const`, `enum`, `pattern`, `minimum`, `maximum`, `minLength`, `maxLength`, `required`, `properties`,
/// `additionalProperties: false`, `items`, `maxItems` and `$ref` (to `#/$defs/…` or a known `$id`).
/// `allOf`, `if`/`then`/`else` and `dependentRequired` are left to scripts/check-schemas.sh.
struct SchemaChecker {
    let root: JSONValue
    let external: [String: JSONValue]

    init(root: JSONValue, external: [String: JSONValue] = [:]) throws {
        self.root = root
        self.external = external
    }

    /// Every problem found, as `path: what`; empty when the value fits.
    func problems(_ value: JSONValue) -> [String] {
        var out: [String] = []
        check(value, against: root, document: root, at: "$", into: &out)
        return out
    }

    private func check(
        _ value: JSONValue, against schema: JSONValue, document: JSONValue, at path: String, into out: inout [String]
    ) {
        if let ref = schema["$ref"]?.stringValue {
            if ref.hasPrefix("#/$defs/"), let target = document["$defs"]?[String(ref.dropFirst("#/$defs/".count))] {
                check(value, against: target, document: document, at: path, into: &out)
            } else if let target = external[ref] {
                check(value, against: target, document: target, at: path, into: &out)
            } else {
                out.append("\(path): unresolved $ref \(ref)")
            }
        }
        if let type = schema["type"]?.stringValue, !Self.has(type: type, value) {
            out.append("\(path): not of type \(type)")
            return
        }
        if let constant = schema["const"], constant != value { out.append("\(path): not \(constant)") }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            out.append("\(path): not one of the enum")
        }
        if let text = value.stringValue {
            if let pattern = schema["pattern"]?.stringValue {
                if let regex = try? Regex(pattern) {
                    if (try? regex.firstMatch(in: text)) == nil { out.append("\(path): does not match \(pattern)") }
                } else {
                    out.append("\(path): pattern \(pattern) does not compile")
                }
            }
            let length = text.unicodeScalars.count
            if let min = schema["minLength"]?.int64Value, length < min { out.append("\(path): shorter than \(min)") }
            if let max = schema["maxLength"]?.int64Value, length > max { out.append("\(path): longer than \(max)") }
        }
        if case .number(let number) = value {
            if let min = schema["minimum"]?.doubleValue, number < min { out.append("\(path): below \(min)") }
            if let max = schema["maximum"]?.doubleValue, number > max { out.append("\(path): above \(max)") }
        }
        if let members = value.objectValue {
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                out.append("\(path): missing \(name)")
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (name, member) in members {
                if let propertySchema = properties[name] {
                    check(member, against: propertySchema, document: document, at: "\(path).\(name)", into: &out)
                } else if schema["additionalProperties"] == .bool(false) {
                    out.append("\(path): unknown member \(name)")
                }
            }
        }
        if let items = value.arrayValue {
            if let max = schema["maxItems"]?.int64Value, items.count > max {
                out.append("\(path): more than \(max) items")
            }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() {
                    check(item, against: itemSchema, document: document, at: "\(path)[\(i)]", into: &out)
                }
            }
        }
    }

    private static func has(type: String, _ value: JSONValue) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): true
        case ("number", .number): true
        case ("integer", .number(let n)): n == n.rounded(.towardZero)
        default: false
        }
    }
}

import Foundation
import KuraCore
import KuraCrypto

/// A golden scenario: a script of commands with the time and the caller of each, read from
/// `Fixtures/scenarios/<name>.json`.
///
/// ```json
/// { "description": "lock, deliver, confirm",
///   "steps": [
///     {"at": 1748736000000, "as": "operator", "do": "register", "name": "alice", "roles": ["agent"]},
///     {"at": 1748736060000, "as": "operator", "do": "deposit", "party": "alice", "asset": "USDC", "amount": 1000000},
///     {"at": 1748736120000, "as": "alice", "do": "open", "label": "e1", "payee": "bob", "amount": 250000,
///      "asset": "USDC", "deliverBy": 1748739720000},
///     {"at": 1748736300000, "as": "bob", "do": "deliver", "escrow": "e1", "evidence": "weather report #1"},
///     {"at": 1748736400000, "as": "bob", "do": "confirm", "escrow": "e1", "expect": "forbidden"} ] }
/// ```
///
/// Operations and their members (besides `at`, `as`, `do`, and the optional `expect` and `note`):
/// - `register`: `name`, `roles` (operator only). The party's key is ``TestKeys/publicKey(_:)`` of `name`.
/// - `deposit`: `party`, `asset`, `amount` (operator only).
/// - `open`: `label`, `payee`, `amount`, `asset`, `deliverBy` (epoch ms), optional `confirmWindowMs`,
///   `disputeWindowMs`; `as` is the payer. `label` names the escrow for later steps.
/// - `deliver`: `escrow` (a label), `evidence` (text; its SHA-256 is the evidence digest).
/// - `confirm`, `cancel`, `refund`: `escrow`.
/// - `dispute`: `escrow`, `reason`, optional `evidence` (texts, each hashed like `deliver`'s).
/// - `sweep`: optional `released` and `expired` (labels): when given, exactly those escrows must be
///   released / expired by this sweep. `as` may be left out (the sweeper acts as the system).
/// - `checkpoint`: issues a signed checkpoint at the current size. `as` may be left out.
///
/// `expect` names the error code (e.g. `forbidden`) with which the step must be refused. Unknown
/// members, unknown operations and time going backwards are errors, so a typo never passes silently.
public struct Scenario: Sendable, Equatable {
    /// The file name without `.json`.
    public var name: String
    /// What the scenario shows, for people.
    public var description: String
    /// The steps, in order.
    public var steps: [ScenarioStep]

    /// Reads and checks a scenario file; its name is the file name without `.json`.
    public static func load(_ url: URL) throws -> Scenario {
        let data = try Data(contentsOf: url)
        let json: JSONValue
        do { json = try JSONValue.parse([UInt8](data)) } catch {
            throw ScenarioError("\(url.lastPathComponent): not JSON: \(error.reason)")
        }
        return try Scenario(name: url.deletingPathExtension().lastPathComponent, json: json)
    }

    /// Reads a scenario from its JSON.
    public init(name: String, json: JSONValue) throws(ScenarioError) {
        let top = try Members(json, at: name)
        try top.allow(["description", "steps"])
        self.name = name
        description = try top.string("description")
        guard let steps = top["steps"]?.arrayValue, !steps.isEmpty else {
            throw ScenarioError("\(name): 'steps' must be a non-empty array")
        }
        var parsed: [ScenarioStep] = []
        for (i, step) in steps.enumerated() {
            let parsedStep = try ScenarioStep(number: i + 1, json: step, scenario: name)
            if let previous = parsed.last, parsedStep.at < previous.at {
                throw ScenarioError(
                    "\(name) step \(i + 1): 'at' \(parsedStep.at) is before the previous step's \(previous.at)")
            }
            parsed.append(parsedStep)
        }
        self.steps = parsed
    }
}

/// One step of a ``Scenario``.
public struct ScenarioStep: Sendable, Equatable, CustomStringConvertible {
    /// What the step does.
    public enum Operation: Sendable, Equatable {
        case register(name: String, roles: [Party.Role])
        case deposit(party: String, asset: Asset, amount: Amount)
        case open(
            label: String?, payee: String, amount: Amount, asset: Asset, deliverBy: Timestamp, confirmWindowMs: Int64?,
            disputeWindowMs: Int64?)
        case deliver(escrow: String, evidence: String)
        case confirm(escrow: String)
        case dispute(escrow: String, reason: String, evidence: [String], statement: String?)
        case cancel(escrow: String)
        case refund(escrow: String)
        case sweep(released: [String]?, expired: [String]?, disputes: [String]?)
        /// Evidence for the dispute of an escrow (by label); texts are hashed like delivery evidence.
        case evidence(escrow: String, evidence: [String], statement: String?)
        /// A ruling on the dispute of an escrow, signed with the actor's test key (or `signedBy`'s, to forge one).
        case rule(escrow: String, refundBps: Int?, quality: Int?, reason: String, signedBy: String?)
        case recuse(escrow: String)
        case appeal(escrow: String, reason: String?)
        case checkpoint
    }

    /// The step's position in the file, from 1.
    public var number: Int
    /// When it happens: the test clock is set to this before the step runs.
    public var at: Timestamp
    /// Who acts: a registered party's name, or `operator`.
    public var actor: String
    /// The operation's name as written (`do`).
    public var name: String
    /// The operation.
    public var operation: Operation
    /// The error code the step must be refused with, if it must be refused.
    public var expect: KuraError.Code?

    /// The actor name of the bootstrapped operator.
    public static let operatorName = "operator"

    public var description: String { "step \(number) (\(name) as \(actor) at \(at))" }

    init(number: Int, json: JSONValue, scenario: String) throws(ScenarioError) {
        let where_ = "\(scenario) step \(number)"
        let m = try Members(json, at: where_)
        self.number = number
        at = Timestamp(milliseconds: try m.int64("at"))
        name = try m.string("do")
        if let code = try m.optionalString("expect") {
            guard let known = KuraError.Code(rawValue: code) else {
                throw ScenarioError("\(where_): 'expect' names no problem code: \(code.prefix(60))")
            }
            expect = known
        } else {
            expect = nil
        }
        let common: Set<String> = ["at", "as", "do", "expect", "note"]
        let systemOps: Set<String> = ["sweep", "checkpoint"]
        if systemOps.contains(name) {
            actor = try m.optionalString("as") ?? Self.operatorName
            guard actor == Self.operatorName else {
                throw ScenarioError("\(where_): '\(name)' runs as the operator, not '\(actor)'")
            }
        } else {
            actor = try m.string("as")
        }
        switch name {
        case "register":
            try m.allow(common.union(["name", "roles"]))
            guard let roles = m["roles"]?.arrayValue, !roles.isEmpty else {
                throw ScenarioError("\(where_): 'roles' must be a non-empty array")
            }
            var parsedRoles: [Party.Role] = []
            for role in roles {
                guard let text = role.stringValue, let parsed = Party.Role(rawValue: text) else {
                    throw ScenarioError("\(where_): unknown role \(role)")
                }
                parsedRoles.append(parsed)
            }
            operation = .register(name: try m.string("name"), roles: parsedRoles)
        case "deposit":
            try m.allow(common.union(["party", "asset", "amount"]))
            operation = .deposit(
                party: try m.string("party"), asset: try m.asset("asset"), amount: try m.amount("amount"))
        case "open":
            try m.allow(
                common.union(["label", "payee", "amount", "asset", "deliverBy", "confirmWindowMs", "disputeWindowMs"]))
            let label = try m.optionalString("label")
            guard label != nil || expect != nil else {
                throw ScenarioError("\(where_): an 'open' that must succeed needs a 'label'")
            }
            operation = .open(
                label: label, payee: try m.string("payee"), amount: try m.amount("amount"), asset: try m.asset("asset"),
                deliverBy: Timestamp(milliseconds: try m.int64("deliverBy")),
                confirmWindowMs: try m.optionalInt64("confirmWindowMs"),
                disputeWindowMs: try m.optionalInt64("disputeWindowMs"))
        case "deliver":
            try m.allow(common.union(["escrow", "evidence"]))
            operation = .deliver(escrow: try m.string("escrow"), evidence: try m.string("evidence"))
        case "confirm", "cancel", "refund":
            try m.allow(common.union(["escrow"]))
            let escrow = try m.string("escrow")
            operation =
                name == "confirm"
                ? .confirm(escrow: escrow) : name == "cancel" ? .cancel(escrow: escrow) : .refund(escrow: escrow)
        case "dispute":
            try m.allow(common.union(["escrow", "reason", "evidence", "statement"]))
            operation = .dispute(
                escrow: try m.string("escrow"), reason: try m.string("reason"),
                evidence: try m.optionalStrings("evidence") ?? [], statement: try m.optionalString("statement"))
        case "sweep":
            try m.allow(common.union(["released", "expired", "disputes"]))
            operation = .sweep(
                released: try m.optionalStrings("released"), expired: try m.optionalStrings("expired"),
                disputes: try m.optionalStrings("disputes"))
        case "evidence":
            try m.allow(common.union(["escrow", "evidence", "statement"]))
            operation = .evidence(
                escrow: try m.string("escrow"), evidence: try m.optionalStrings("evidence") ?? [],
                statement: try m.optionalString("statement"))
        case "rule":
            try m.allow(common.union(["escrow", "refundBps", "quality", "reason", "signedBy"]))
            operation = .rule(
                escrow: try m.string("escrow"), refundBps: try m.optionalInt64("refundBps").map { Int($0) },
                quality: try m.optionalInt64("quality").map { Int($0) }, reason: try m.string("reason"),
                signedBy: try m.optionalString("signedBy"))
        case "recuse":
            try m.allow(common.union(["escrow"]))
            operation = .recuse(escrow: try m.string("escrow"))
        case "appeal":
            try m.allow(common.union(["escrow", "reason"]))
            operation = .appeal(escrow: try m.string("escrow"), reason: try m.optionalString("reason"))
        case "checkpoint":
            try m.allow(common)
            operation = .checkpoint
        default:
            throw ScenarioError("\(where_): unknown operation '\(name)'")
        }
    }

    /// The evidence digest a scenario's evidence text stands for: lowercase hex SHA-256 of its UTF-8.
    public static func digest(_ text: String) -> String { Hex.encode(SHA256.hash(Array(text.utf8))) }
}

/// A scenario file that cannot be read, or a step that did not go as the scenario says.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong and where, for people.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A JSON object's members with typed, located accessors.
private struct Members {
    let members: [String: JSONValue]
    let location: String

    init(_ json: JSONValue, at location: String) throws(ScenarioError) {
        guard let members = json.objectValue else { throw ScenarioError("\(location): not a JSON object") }
        self.members = members
        self.location = location
    }

    subscript(key: String) -> JSONValue? { members[key] }

    func allow(_ allowed: Set<String>) throws(ScenarioError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ScenarioError("\(location): unknown member '\(unknown)'")
        }
    }

    func string(_ key: String) throws(ScenarioError) -> String {
        guard let value = try optionalString(key) else { throw ScenarioError("\(location): '\(key)' is missing") }
        return value
    }

    func optionalString(_ key: String) throws(ScenarioError) -> String? {
        guard let value = members[key] else { return nil }
        guard let text = value.stringValue else { throw ScenarioError("\(location): '\(key)' must be a string") }
        return text
    }

    func optionalStrings(_ key: String) throws(ScenarioError) -> [String]? {
        guard let value = members[key] else { return nil }
        guard let items = value.arrayValue?.compactMap(\.stringValue), items.count == value.arrayValue?.count else {
            throw ScenarioError("\(location): '\(key)' must be an array of strings")
        }
        return items
    }

    func int64(_ key: String) throws(ScenarioError) -> Int64 {
        guard let value = try optionalInt64(key) else { throw ScenarioError("\(location): '\(key)' is missing") }
        return value
    }

    func optionalInt64(_ key: String) throws(ScenarioError) -> Int64? {
        guard let value = members[key] else { return nil }
        guard let number = value.int64Value else { throw ScenarioError("\(location): '\(key)' must be an integer") }
        return number
    }

    func amount(_ key: String) throws(ScenarioError) -> Amount {
        guard let units = members[key]?.uint64Value else {
            throw ScenarioError("\(location): '\(key)' must be a non-negative integer")
        }
        do { return try Amount(units: units) } catch { throw ScenarioError("\(location): '\(key)': \(error.detail)") }
    }

    func asset(_ key: String) throws(ScenarioError) -> Asset {
        let name = try string(key)
        do { return try Asset(name) } catch { throw ScenarioError("\(location): '\(key)': \(error.detail)") }
    }
}

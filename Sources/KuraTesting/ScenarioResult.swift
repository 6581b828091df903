import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// What running a ``Scenario`` produced: the facts a golden file pins down, plus the replay digests and
/// any ledger invariant broken along the way (which are checked, not stored).
public struct ScenarioResult: Sendable, Equatable {
    /// The event log's head after the last step.
    public struct LogHead: Sendable, Equatable, Codable {
        /// The last event's sequence number.
        public var seq: UInt64
        /// Its hash, lowercase hex: it commits to the whole history.
        public var hash: String

        public init(seq: UInt64, hash: String) {
            self.seq = seq
            self.hash = hash
        }
    }

    /// A party's balance in one asset, as `account` reports it.
    public struct Balance: Sendable, Equatable, Codable {
        public var available: UInt64
        public var held: UInt64

        public init(available: UInt64, held: UInt64) {
            self.available = available
            self.held = held
        }
    }

    /// The projection digests `replay()` reported: equal when the read models match the log.
    public struct ReplayDigests: Sendable, Equatable, Codable {
        public var before: String
        public var after: String

        public init(before: String, after: String) {
            self.before = before
            self.after = after
        }
    }

    /// The scenario's name (its file name without `.json`).
    public var scenario: String
    /// The scenario's description.
    public var description: String
    /// The log head after the last step.
    public var logHead: LogHead
    /// Each registered party's ID, by scenario name (`operator` included).
    public var parties: [String: PartyID]
    /// Each opened escrow's ID, by scenario label.
    public var escrows: [String: EscrowID]
    /// Every receipt, in index order.
    public var receipts: [Receipt]
    /// Every receipt's RFC 6962 leaf hash, `SHA-256(0x00 || canonical JSON)`, lowercase hex, in index order.
    public var leafHashes: [String]
    /// Every checkpoint a `checkpoint` step issued, in order.
    public var checkpoints: [CheckpointRecord]
    /// The checkpoint at the final tree size.
    public var finalCheckpoint: CheckpointRecord
    /// Each party's balances, by scenario name, then by asset.
    public var balances: [String: [String: Balance]]
    /// The `fees` ledger account, by asset.
    public var fees: [String: UInt64]
    /// `replay()`'s digests, after the last step.
    public var replay: ReplayDigests
    /// Ledger invariants broken after some step (`step N (…): …`); empty when all held throughout.
    public var ledgerViolations: [String]

    /// The part of the result a golden file holds.
    public var golden: ScenarioGolden {
        ScenarioGolden(
            scenario: scenario, description: description, logHead: logHead, parties: parties, escrows: escrows,
            receipts: receipts, leafHashes: leafHashes, checkpoints: checkpoints, finalCheckpoint: finalCheckpoint,
            balances: balances, fees: fees)
    }

    /// The whole result (golden part, replay digests, violations) as canonical JSON bytes: two runs of
    /// one scenario must give the same bytes.
    public func canonicalBytes() throws -> [UInt8] {
        var json = try golden.json()
        if case .object(var members) = json {
            members["replay"] = try JSONValue(encoding: replay)
            members["ledgerViolations"] = .array(ledgerViolations.map { .string($0) })
            json = .object(members)
        }
        return try json.canonicalBytes()
    }
}

/// The contents of `Fixtures/expected/<scenario>.json`: everything in a ``ScenarioResult`` but the
/// replay digests and the violations.
///
/// Regenerating these files is a deliberate, reviewed act (`KURA_REGENERATE_GOLDEN=1`): a changed
/// golden file means a changed log, receipt or root, which every verifier holding an old checkpoint sees.
public struct ScenarioGolden: Sendable, Equatable, Codable {
    public var scenario: String
    public var description: String
    public var logHead: ScenarioResult.LogHead
    public var parties: [String: PartyID]
    public var escrows: [String: EscrowID]
    public var receipts: [Receipt]
    public var leafHashes: [String]
    public var checkpoints: [CheckpointRecord]
    public var finalCheckpoint: CheckpointRecord
    public var balances: [String: [String: ScenarioResult.Balance]]
    public var fees: [String: UInt64]

    /// As a JSON value.
    public func json() throws -> JSONValue { try JSONValue(encoding: self) }

    /// The file text: indented JSON, members in RFC 8785 order, a final newline. Parsing it back and
    /// canonicalizing gives the canonical JSON of ``json()``.
    public func fileText() throws -> String { PrettyJSON.text(try json()) + "\n" }

    /// Reads a golden file.
    public static func load(_ url: URL) throws -> ScenarioGolden {
        let data = try Data(contentsOf: url)
        do { return try JSONValue.parse([UInt8](data)).decode(ScenarioGolden.self) } catch {
            throw ScenarioError("\(url.lastPathComponent): \(error.reason)")
        }
    }

    /// Writes the golden file.
    public func write(to url: URL) throws {
        try Data(try fileText().utf8).write(to: url, options: .atomic)
    }
}

/// Indented JSON for files people review: two spaces, members in RFC 8785 order (UTF-16 code units),
/// scalars exactly as RFC 8785 writes them.
public enum PrettyJSON {
    public static func text(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let members):
            if members.isEmpty { return "{}" }
            let keys = members.keys.sorted { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) }
            let lines = keys.map { key in
                inner + scalar(.string(key)) + ": " + text(members[key]!, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + text($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return scalar(value)
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        (try? value.canonicalString()) ?? "null"
    }
}

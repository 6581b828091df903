import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Every part of a receipt bundle is covered by some check: changing any receipt member, any proof hash,
/// the index, the size, the note text, the signature or the key name is refused, and by the right check.
@Suite("receipt bundle tampering")
struct ReceiptBundleTamperTests {
    static let verifier = TestKeys.serviceSigner.verifier

    /// A happy-path bundle for a receipt in the middle of the tree, so that its proof has several hashes.
    static func bundle() async throws -> (bundle: JSONValue, session: ScenarioSession) {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        let size = session.result.finalCheckpoint.size
        let bundle = try await session.service.bundle(size / 2)
        return (bundle, session)
    }

    @Test("the untouched bundle verifies")
    func untouched() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: Self.verifier).isValid)
        #expect((bundle["proof"]?["hashes"]?.arrayValue?.count ?? 0) >= 3)
    }

    @Test("changing, adding or removing any receipt member is caught (by the proof, or by the leaf check for index)")
    func receiptMembers() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        let receipt = try #require(bundle["receipt"]?.objectValue)
        #expect(receipt.count >= 13)
        for (key, value) in receipt {
            let changed = bundle.setting(["receipt", key], Self.altered(value))
            let check = ReceiptBundle.verify(bundleJSON: changed, key: Self.verifier).failedCheck
            #expect(check == (key == "index" ? .leaf : .proof), "changed \(key)")
            let removed = bundle.setting(["receipt", key], nil)
            #expect(
                ReceiptBundle.verify(bundleJSON: removed, key: Self.verifier).failedCheck == .proof, "removed \(key)")
        }
        for (key, value) in [("fee", JSONValue.number(0)), ("memo", "x"), ("onTime", true)] where receipt[key] == nil {
            let added = bundle.setting(["receipt", key], value)
            #expect(ReceiptBundle.verify(bundleJSON: added, key: Self.verifier).failedCheck == .proof, "added \(key)")
        }
    }

    @Test("changing, dropping, adding or reordering proof hashes is caught by the proof check")
    func proofHashes() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        let hashes = try #require(bundle["proof"]?["hashes"]?.arrayValue)
        for i in hashes.indices {
            var bytes = try #require(hashes[i].stringValue.flatMap(Base64.decode))
            bytes[31] ^= 0x01
            var changed = hashes
            changed[i] = .string(Base64.encode(bytes))
            #expect(Self.check(bundle.setting(["proof", "hashes"], .array(changed))) == .proof, "hash \(i)")
        }
        #expect(Self.check(bundle.setting(["proof", "hashes"], .array(Array(hashes.dropLast())))) == .proof)
        #expect(Self.check(bundle.setting(["proof", "hashes"], .array(hashes + [hashes[0]]))) == .proof)
        #expect(
            Self.check(bundle.setting(["proof", "hashes"], .array([hashes[1], hashes[0]] + hashes.dropFirst(2))))
                == .proof)
        #expect(Self.check(bundle.setting(["proof", "hashes"], .array(hashes + ["not base64"]))) == .malformed)
    }

    @Test("a changed leafIndex or treeSize is caught by the leaf or size check")
    func indexAndSize() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        let index = try #require(bundle["proof"]?["leafIndex"]?.uint64Value)
        let size = try #require(bundle["proof"]?["treeSize"]?.uint64Value)
        #expect(Self.check(bundle.setting(["proof", "leafIndex"], .number(Double(index + 1)))) == .leaf)
        #expect(Self.check(bundle.setting(["proof", "leafIndex"], .number(Double(index - 1)))) == .leaf)
        #expect(Self.check(bundle.setting(["proof", "leafIndex"], .number(Double(size)))) == .size)
        #expect(Self.check(bundle.setting(["proof", "treeSize"], .number(Double(size + 1)))) == .size)
        #expect(Self.check(bundle.setting(["proof", "treeSize"], .number(Double(size - 1)))) == .size)
        // Index and receipt index moved together: the proof no longer leads to the root.
        let both = bundle.setting(["proof", "leafIndex"], .number(Double(index + 1)))
            .setting(["receipt", "index"], .number(Double(index + 1)))
        #expect(Self.check(both) == .proof)
    }

    @Test("a changed note text, signature, key name or key ID is caught by the signature or key name check")
    func checkpointNote() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        let note = try #require(bundle["checkpoint"]?.stringValue)
        var lines = note.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 6)  // origin, size, root, blank, signature, "" after the final newline
        func with(_ index: Int, _ text: String) -> JSONValue {
            var copy = lines
            copy[index] = text
            return bundle.setting(["checkpoint"], .string(copy.joined(separator: "\n")))
        }
        #expect(Self.check(with(0, lines[0] + "x")) == .signature, "origin")
        #expect(Self.check(with(1, String(UInt64(lines[1])! + 1))) == .signature, "size")
        #expect(Self.check(with(2, Base64.encode(MerkleHash.leaf([1])))) == .signature, "root")
        // The signature line: "— <name> <base64(key ID || signature)>".
        let parts = lines[4].split(separator: " ").map(String.init)
        var raw = try #require(Base64.decode(parts[2]))
        raw[10] ^= 0x80
        #expect(Self.check(with(4, "\(parts[0]) \(parts[1]) \(Base64.encode(raw))")) == .signature, "signature bytes")
        raw = try #require(Base64.decode(parts[2]))
        raw[0] ^= 0x01
        #expect(Self.check(with(4, "\(parts[0]) \(parts[1]) \(Base64.encode(raw))")) == .keyName, "key ID")
        #expect(Self.check(with(4, "\(parts[0]) other.kura/log \(parts[2])")) == .keyName, "key name")
        lines[4] = "\(parts[0]) \(parts[1])"
        #expect(Self.check(bundle.setting(["checkpoint"], .string(lines.joined(separator: "\n")))) == .malformed)
        #expect(Self.check(bundle.setting(["checkpoint"], .string("not a note\n"))) == .malformed)
    }

    @Test("a key with another name, or another key under the same name, is refused by the key name check")
    func wrongKey() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        let renamed = NoteVerifier(name: "other.kura/log", publicKey: Self.verifier.publicKey)
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: renamed).failedCheck == .keyName)
        let impostor = NoteVerifier(name: Self.verifier.name, publicKey: TestKeys.publicKey("impostor"))
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: impostor).failedCheck == .keyName)
    }

    @Test("members outside the layout of DESIGN section 6 make the bundle malformed")
    func extraMembers() async throws {
        let (bundle, session) = try await Self.bundle()
        defer { session.close() }
        #expect(Self.check(bundle.setting(["comment"], "trust me")) == .malformed)
        #expect(Self.check(bundle.setting(["proof", "root"], "AAAA")) == .malformed)
        #expect(Self.check(bundle.setting(["receipt"], "{}")) == .malformed)
    }

    static func check(_ bundle: JSONValue) -> BundleCheck? {
        ReceiptBundle.verify(bundleJSON: bundle, key: verifier).failedCheck
    }

    /// Another value of the same JSON type.
    static func altered(_ value: JSONValue) -> JSONValue {
        switch value {
        case .number(let n): return .number(n + 1)
        case .string(let s): return .string(s.isEmpty ? "x" : String(s.dropLast()) + (s.last == "a" ? "b" : "a"))
        case .bool(let b): return .bool(!b)
        case .null: return .number(0)
        case .array(let items): return .array(items + [.null])
        case .object(var members):
            members["x"] = .null
            return .object(members)
        }
    }
}

extension JSONValue {
    /// A copy with the member at `path` set to `value` (removed when nil).
    func setting(_ path: [String], _ value: JSONValue?) -> JSONValue {
        guard let key = path.first, case .object(var members) = self else { return value ?? self }
        if path.count == 1 {
            members[key] = value
        } else {
            members[key] = (members[key] ?? .object([:])).setting(Array(path.dropFirst()), value)
        }
        return .object(members)
    }
}

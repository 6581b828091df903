import Foundation
import KuraCrypto
import KuraTesting
import Testing

/// One way of tampering with a signed checkpoint note, and the reason opening it must give.
struct CheckpointTamper: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: CheckpointError.Reason
    let apply: @Sendable (String) -> String
    var testDescription: String { name }

    static let all: [CheckpointTamper] = [
        CheckpointTamper(
            name: "tree size changed", expected: .signature, apply: editBody { $0[1] = String(UInt64($0[1])! + 1) }),
        CheckpointTamper(
            name: "root hash changed", expected: .signature,
            apply: editBody { lines in
                var root = Base64.decode(lines[2])!
                root[31] ^= 0x01
                lines[2] = Base64.encode(root)
            }),
        CheckpointTamper(name: "origin changed", expected: .signature, apply: editBody { $0[0] += "x" }),
        CheckpointTamper(name: "extension line added", expected: .signature, apply: editBody { $0.append("extra") }),
        CheckpointTamper(
            name: "signature byte flipped", expected: .signature,
            apply: editSignature {
                $0 = SignedNote.Signature(name: $0.name, keyID: $0.keyID, signature: flipped($0.signature, at: 17))
            }),
        CheckpointTamper(
            name: "key name on the signature line changed", expected: .keyName,
            apply: editSignature {
                $0 = SignedNote.Signature(name: $0.name + "-other", keyID: $0.keyID, signature: $0.signature)
            }),
        CheckpointTamper(
            name: "key ID on the signature line changed", expected: .keyName,
            apply: editSignature {
                $0 = SignedNote.Signature(name: $0.name, keyID: flipped($0.keyID, at: 0), signature: $0.signature)
            }),
        CheckpointTamper(
            name: "signature line removed", expected: .malformed,
            apply: { note in String(note[..<note.range(of: "\n\n")!.upperBound]) }),
        CheckpointTamper(name: "final newline removed", expected: .malformed, apply: { String($0.dropLast()) }),
        CheckpointTamper(
            name: "em dash replaced by a hyphen", expected: .malformed,
            apply: { $0.replacingOccurrences(of: "\u{2014} ", with: "- ") }),
    ]

    private static func flipped(_ bytes: [UInt8], at i: Int) -> [UInt8] {
        var out = bytes
        out[i] ^= 0x01
        return out
    }

    /// Changes the checkpoint body's lines, keeping the signature lines as they were.
    private static func editBody(_ edit: @escaping @Sendable (inout [String]) -> Void) -> @Sendable (String) -> String {
        { note in
            let parsed = try! SignedNote(parsing: note)
            var lines = parsed.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            edit(&lines)
            return lines.map { $0 + "\n" }.joined() + "\n" + parsed.signatures.map { $0.line + "\n" }.joined()
        }
    }

    /// Changes the first signature line, keeping the text.
    private static func editSignature(_ edit: @escaping @Sendable (inout SignedNote.Signature) -> Void)
        -> @Sendable (String) -> String
    {
        { note in
            let parsed = try! SignedNote(parsing: note)
            var signatures = parsed.signatures
            edit(&signatures[0])
            return parsed.text + "\n" + signatures.map { $0.line + "\n" }.joined()
        }
    }

    /// Flips one bit of the Ed25519 signature (after the key ID).
    static let flipSignatureByte = all.first { $0.name == "signature byte flipped" }!.apply
}

@Suite struct CheckpointTests {
    private var vector: NoteVectors.DerivedCheckpoint {
        get throws { try #require(NoteVectors.shared?.derived_checkpoint) }
    }

    @Test("the derived checkpoint opens with its key: origin, size 8, and the 8-leaf RFC 6962 root")
    func derivedCheckpointOpens() throws {
        let vector = try vector
        let verifier = try NoteVerifier(parsing: vector.verifier_key)
        let checkpoint = try Checkpoint.open(note: vector.checkpoint, verifier: verifier)
        #expect(checkpoint.origin == vector.origin)
        #expect(checkpoint.size == vector.tree_size)
        #expect(Hex.encode(checkpoint.rootHash) == vector.root_hex)
        #expect(checkpoint.extensions.isEmpty)
        #expect(checkpoint.body == vector.signed_text)
        // The same root as the 8-leaf tree of merkle-rfc6962.json, rebuilt from its leaves.
        let eight = try #require(MerkleVectors.shared.roots.first { $0.tree_size == 8 })
        #expect(Hex.encode(checkpoint.rootHash) == eight.root)
        #expect(checkpoint.rootHash == MerkleVectors.testTree.root)
    }

    @Test("a checkpoint signs to the derived note byte for byte, and parses back from its body")
    func roundTrip() throws {
        let vector = try vector
        let signer = try NoteVectors.checkpointSigner()
        let checkpoint = try Checkpoint(origin: vector.origin, size: 8, rootHash: MerkleVectors.testTree.root)
        #expect(checkpoint.signed(by: signer) == vector.checkpoint)
        #expect(try Checkpoint.parse(checkpoint.body) == checkpoint)
        #expect(try Checkpoint.open(note: checkpoint.signed(by: signer), verifier: signer.verifier) == checkpoint)
    }

    @Test("extension lines are kept through signing and opening")
    func extensionLines() throws {
        let signer = try NoteVectors.checkpointSigner()
        let checkpoint = try Checkpoint(
            origin: signer.name, size: 20_852_163, rootHash: [UInt8](repeating: 0xAB, count: 32),
            extensions: ["ext one", "— ext two"])
        #expect(checkpoint.body.hasSuffix("\next one\n— ext two\n"))
        #expect(try Checkpoint.open(note: checkpoint.signed(by: signer), verifier: signer.verifier) == checkpoint)
    }

    @Test("the C2SP tlog-checkpoint example body parses")
    func specExample() throws {
        let example = try #require(NoteVectors.parseOnly.first { $0.name == "c2sp-tlog-checkpoint" })
        let checkpoint = try Checkpoint.parse(example.signed_text)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(Base64.encode(checkpoint.rootHash) == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    }

    @Test("each tampering is detected with the right reason", arguments: CheckpointTamper.all)
    func tampering(_ tamper: CheckpointTamper) throws {
        let vector = try vector
        let verifier = try NoteVerifier(parsing: vector.verifier_key)
        let tampered = tamper.apply(vector.checkpoint)
        #expect(tampered != vector.checkpoint)
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.open(note: tampered, verifier: verifier) }
        #expect(error?.reason == tamper.expected, "\(error?.description ?? "no error")")
    }

    @Test("another key with the same name is a key-name failure; an extra unknown co-signature is ignored")
    func otherKeys() throws {
        let vector = try vector
        let signer = try NoteVectors.checkpointSigner()
        let impostor = try NoteSigner(name: signer.name, key: Ed25519.SecretKey(seed: [UInt8](repeating: 5, count: 32)))
        let checkpoint = try Checkpoint.parse(vector.signed_text)
        let error = #expect(throws: CheckpointError.self) {
            try Checkpoint.open(note: checkpoint.signed(by: impostor), verifier: signer.verifier)
        }
        #expect(error?.reason == .keyName)
        let witness = try NoteSigner(
            name: "witness.example", key: Ed25519.SecretKey(seed: [UInt8](repeating: 6, count: 32)))
        let cosigned =
            vector.checkpoint + (try SignedNote.signatureLine(text: vector.signed_text, signer: witness)) + "\n"
        #expect(try Checkpoint.open(note: cosigned, verifier: signer.verifier) == checkpoint)
        // Rotation: an old checkpoint still opens with the old key and not with a new one.
        let rotated = try NoteSigner(
            name: signer.name + "-2", key: Ed25519.SecretKey(seed: [UInt8](repeating: 8, count: 32)))
        #expect(throws: CheckpointError.self) {
            try Checkpoint.open(note: vector.checkpoint, verifier: rotated.verifier)
        }
    }

    @Test(
        "validly signed text that is not a checkpoint is malformed",
        arguments: [
            "origin\n8\n",  // no root line
            "origin\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",  // leading zero
            "origin\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "origin\n 8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "origin\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",  // 2^64
            "origin\n8\nXcnaeacGWamtVZy3Ad7Zoqud\n",  // 18-byte root
            "origin\n8\nnot base64\n",
            "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",  // empty origin
        ])
    func notACheckpoint(_ body: String) throws {
        let signer = try NoteVectors.checkpointSigner()
        let note = try SignedNote.sign(text: body, signer: signer)
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.open(note: note, verifier: signer.verifier) }
        #expect(error?.reason == .malformed)
    }

    @Test("sizes 0 and 2^64−1 and their decimal forms")
    func sizeBounds() throws {
        let root = [UInt8](repeating: 1, count: 32)
        for size in [UInt64(0), 1, 10, UInt64.max] {
            let checkpoint = try Checkpoint(origin: "o", size: size, rootHash: root)
            #expect(checkpoint.body.contains("\n\(size)\n"))
            #expect(try Checkpoint.parse(checkpoint.body).size == size)
        }
    }

    @Test("a checkpoint with an empty origin, a short root or a bad extension line cannot be made")
    func invalidFields() {
        let root = [UInt8](repeating: 1, count: 32)
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "", size: 1, rootHash: root) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "a\nb", size: 1, rootHash: root) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "o", size: 1, rootHash: Array(root.dropLast())) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "o", size: 1, rootHash: root, extensions: [""]) }
    }
}

// MARK: Receipt bundles (DESIGN section 6)

/// A small log of receipts, its signed checkpoint, and bundles cut from it.
struct ReceiptLog {
    static let size = 13
    let signer: NoteSigner
    let receipts: [JSONValue]
    let tree: InMemoryMerkleNodes
    let note: String

    init() throws {
        signer = try NoteVectors.checkpointSigner()
        receipts = (0..<Self.size).map { ReceiptLog.receipt($0) }
        var tree = InMemoryMerkleNodes()
        for receipt in receipts { tree.append(leaf: try receipt.canonicalBytes()) }
        self.tree = tree
        note = try Checkpoint(origin: signer.name, size: UInt64(Self.size), rootHash: tree.root).signed(by: signer)
    }

    /// A receipt shaped like DESIGN section 6's.
    static func receipt(_ i: Int) -> JSONValue {
        [
            "v": 1, "index": .number(Double(i)), "eventSeq": .number(Double(3 * i + 2)),
            "eventHash": .string(Hex.encode(SHA256.hash("event \(i)"))), "kind": "escrow.released",
            "escrow": .string("esc_\(i)"), "payer": "pty_alice", "payee": "pty_bob",
            "amount": .number(Double(1000 + i)),
            "asset": "USD", "outcome": "released", "deliveryLatencyMs": .number(Double(60_000 * i)), "disputed": false,
            "at": "2026-01-02T03:04:05.678Z",
        ]
    }

    func bundle(_ i: Int, receipt: JSONValue? = nil) throws -> JSONValue {
        ReceiptBundle.make(
            receipt: receipt ?? receipts[i], leafIndex: UInt64(i), treeSize: UInt64(Self.size),
            proof: try tree.tree.inclusionProof(index: UInt64(i), size: UInt64(Self.size)), checkpointNote: note)
    }
}

/// Rebuilds a JSON object with one member changed (nil removes it).
private func setting(_ value: JSONValue?, at path: [String], in json: JSONValue) -> JSONValue {
    guard var members = json.objectValue, let key = path.first else { return value ?? .null }
    if path.count == 1 {
        members[key] = value
    } else {
        members[key] = setting(value, at: Array(path.dropFirst()), in: members[key] ?? .object([:]))
    }
    return .object(members)
}

/// A different value of the same kind.
private func altered(_ value: JSONValue) -> JSONValue {
    switch value {
    case .number(let n): .number(n + 1)
    case .string(let s): .string(s + "x")
    case .bool(let b): .bool(!b)
    default: .null
    }
}

@Suite struct ReceiptBundleTests {
    @Test("every receipt's bundle verifies with the key alone, also after a trip through JSON text")
    func validBundles() throws {
        let log = try ReceiptLog()
        for i in 0..<ReceiptLog.size {
            let bundle = try log.bundle(i)
            let expected = BundleVerdict.valid(index: UInt64(i), size: UInt64(ReceiptLog.size), root: log.tree.root)
            #expect(ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier) == expected)
            let reparsed = try JSONValue.parse(try bundle.canonicalString())
            #expect(ReceiptBundle.verify(bundleJSON: reparsed, key: log.signer.verifier) == expected)
        }
        #expect(try ReceiptBundle.leafHash(receipt: log.receipts[3]) == log.tree.hash(level: 0, index: 3))
    }

    @Test("changing any receipt field breaks the proof; changing its index is a leaf mismatch")
    func receiptFieldTampering() throws {
        let log = try ReceiptLog()
        let i = 6
        let bundle = try log.bundle(i)
        let receipt = try #require(log.receipts[i].objectValue)
        #expect(receipt.count == 14)
        for (key, value) in receipt {
            let tampered = setting(altered(value), at: ["receipt", key], in: bundle)
            let expected: BundleCheck = key == "index" ? .leaf : .proof
            #expect(
                ReceiptBundle.verify(bundleJSON: tampered, key: log.signer.verifier).failedCheck == expected, "\(key)")
            // Removing a field changes the leaf bytes too.
            let removed = setting(nil, at: ["receipt", key], in: bundle)
            #expect(ReceiptBundle.verify(bundleJSON: removed, key: log.signer.verifier).failedCheck == .proof, "\(key)")
        }
        let added = setting("surprise", at: ["receipt", "extra"], in: bundle)
        #expect(ReceiptBundle.verify(bundleJSON: added, key: log.signer.verifier).failedCheck == .proof)
    }

    @Test("changing any bit of any proof hash, or adding or dropping one, breaks the proof")
    func proofHashTampering() throws {
        let log = try ReceiptLog()
        for i in [0, 7, 12] {
            let proof = try log.tree.tree.inclusionProof(index: UInt64(i), size: UInt64(ReceiptLog.size))
            #expect(!proof.isEmpty)
            func verdict(_ hashes: [[UInt8]]) -> BundleCheck? {
                let bundle = ReceiptBundle.make(
                    receipt: log.receipts[i], leafIndex: UInt64(i), treeSize: UInt64(ReceiptLog.size), proof: hashes,
                    checkpointNote: log.note)
                return ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier).failedCheck
            }
            #expect(verdict(proof) == nil)
            for h in proof.indices {
                for bit in [0, 100, 255] {
                    var bad = proof
                    bad[h][bit / 8] ^= 1 << UInt8(bit % 8)
                    #expect(verdict(bad) == .proof, "leaf \(i), hash \(h), bit \(bit)")
                }
            }
            #expect(verdict(Array(proof.dropLast())) == .proof)
            #expect(verdict(proof + [log.tree.root]) == .proof)
            #expect(verdict(proof.reversed()) == .proof)
        }
    }

    @Test("the index: another leaf's position is a leaf mismatch, or a proof failure for a receipt without an index")
    func indexTampering() throws {
        let log = try ReceiptLog()
        let bundle = try log.bundle(4)
        let moved = setting(5, at: ["proof", "leafIndex"], in: bundle)
        #expect(ReceiptBundle.verify(bundleJSON: moved, key: log.signer.verifier).failedCheck == .leaf)
        let bothMoved = setting(5, at: ["receipt", "index"], in: moved)
        #expect(ReceiptBundle.verify(bundleJSON: bothMoved, key: log.signer.verifier).failedCheck == .proof)
        // A receipt with no index member: only the proof can tell.
        var withoutIndex = InMemoryMerkleNodes()
        let receipts = log.receipts.map { setting(nil, at: ["index"], in: $0) }
        for receipt in receipts { withoutIndex.append(leaf: try receipt.canonicalBytes()) }
        let note = try Checkpoint(origin: log.signer.name, size: 13, rootHash: withoutIndex.root).signed(by: log.signer)
        let plain = ReceiptBundle.make(
            receipt: receipts[4], leafIndex: 4, treeSize: 13,
            proof: try withoutIndex.tree.inclusionProof(index: 4, size: 13),
            checkpointNote: note)
        #expect(ReceiptBundle.verify(bundleJSON: plain, key: log.signer.verifier).isValid)
        let plainMoved = setting(5, at: ["proof", "leafIndex"], in: plain)
        #expect(ReceiptBundle.verify(bundleJSON: plainMoved, key: log.signer.verifier).failedCheck == .proof)
        let nonInteger = setting("4", at: ["receipt", "index"], in: bundle)
        #expect(ReceiptBundle.verify(bundleJSON: nonInteger, key: log.signer.verifier).failedCheck == .leaf)
    }

    @Test(
        "the size: a tree size other than the checkpoint's, or a leaf index at or beyond it",
        arguments: [
            (4, 12), (4, 14), (4, 1000), (13, 13), (20, 13),
        ])
    func sizeTampering(leafIndex: Int, treeSize: Int) throws {
        let log = try ReceiptLog()
        var bundle = try log.bundle(4)
        bundle = setting(.number(Double(leafIndex)), at: ["proof", "leafIndex"], in: bundle)
        bundle = setting(.number(Double(treeSize)), at: ["proof", "treeSize"], in: bundle)
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier).failedCheck == .size)
    }

    @Test(
        "the note text and signature: any tampering fails the signature check, another key name the key-name check",
        arguments: CheckpointTamper.all)
    func checkpointTampering(_ tamper: CheckpointTamper) throws {
        let log = try ReceiptLog()
        let note = tamper.apply(log.note)
        #expect(note != log.note)
        let bundle = setting(.string(note), at: ["checkpoint"], in: try log.bundle(2))
        let expected: BundleCheck =
            switch tamper.expected {
            case .signature: .signature
            case .keyName: .keyName
            case .malformed: .malformed
            }
        let verdict = ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier)
        #expect(verdict.failedCheck == expected, "\(verdict)")
    }

    @Test("a checkpoint that is validly signed but for another tree fails the proof")
    func otherTree() throws {
        let log = try ReceiptLog()
        let other = try Checkpoint(origin: log.signer.name, size: 13, rootHash: [UInt8](repeating: 0, count: 32))
            .signed(by: log.signer)
        let bundle = setting(.string(other), at: ["checkpoint"], in: try log.bundle(1))
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier).failedCheck == .proof)
    }

    @Test(
        "a bundle not in the expected form is malformed",
        arguments: [
            (["receipt"], JSONValue.string("not an object")),
            (["proof"], nil), (["checkpoint"], nil), (["checkpoint"], 42), (["receipt"], nil),
            (["proof", "hashes"], "AAAA"), (["proof", "hashes"], ["not base64!"]), (["proof", "hashes"], ["AAAA"]),
            (["proof", "leafIndex"], -1), (["proof", "leafIndex"], 1.5), (["proof", "treeSize"], "13"),
            (["proof", "treeSize"], nil),
            (["extra"], true), (["proof", "extra"], 1),
        ] as [([String], JSONValue?)])
    func malformed(path: [String], value: JSONValue?) throws {
        let log = try ReceiptLog()
        let bundle = setting(value, at: path, in: try log.bundle(3))
        #expect(ReceiptBundle.verify(bundleJSON: bundle, key: log.signer.verifier).failedCheck == .malformed)
        #expect(ReceiptBundle.verify(bundleJSON: .array([]), key: log.signer.verifier).failedCheck == .malformed)
    }

    @Test("proof hashes must be canonical padded base64 of exactly 32 bytes")
    func proofHashEncoding() throws {
        let log = try ReceiptLog()
        let bundle = try log.bundle(9)
        let encoded = try #require(bundle["proof"]?["hashes"]?.arrayValue)
        let hashes = encoded.compactMap { $0.stringValue }
        let first = hashes[0]
        #expect(first.utf8.count == 44 && first.hasSuffix("=") && !first.hasSuffix("=="))
        // The character before the padding carries 2 spare bits; a canonical encoding leaves them zero.
        let last = first.dropLast().last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let spareBitsSet = String(alphabet[alphabet.firstIndex(of: last)! | 1])
        let variants = [
            String(first.dropLast(2)) + spareBitsSet + "=",  // non-canonical
            String(first.dropLast()),  // padding missing
            first + "AAAA",  // 35 bytes
            String(first.dropLast(4)) + "AA==",  // 31 bytes
            first.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "A", with: "-"),
            " " + first.dropLast(),
            String(first.dropLast()) + "\n",
            "",
        ]
        for variant in variants {
            var changed = hashes
            changed[0] = variant
            let tampered = setting(.array(changed.map { .string($0) }), at: ["proof", "hashes"], in: bundle)
            #expect(
                ReceiptBundle.verify(bundleJSON: tampered, key: log.signer.verifier).failedCheck == .malformed,
                "\(variant)")
        }
        // Any 32 bytes in canonical form are read as exactly those bytes (seeded random hashes).
        var rng = SplitMix64(seed: 32)
        for _ in 0..<500 {
            let random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let made = ReceiptBundle.make(
                receipt: log.receipts[9], leafIndex: 9, treeSize: 13, proof: [random], checkpointNote: log.note)
            #expect(ReceiptBundle.verify(bundleJSON: made, key: log.signer.verifier).failedCheck == .proof)
        }
    }

    @Test("many bundles sharing a checkpoint check its signature once; each distinct checkpoint once")
    func cacheChecksEachCheckpointOnce() throws {
        let log = try ReceiptLog()
        var cache = CheckpointCache(verifier: log.signer.verifier)
        for round in 0..<4 {
            for i in 0..<ReceiptLog.size {
                #expect(
                    ReceiptBundle.verify(bundleJSON: try log.bundle(i), cache: &cache).isValid,
                    "round \(round), leaf \(i)")
            }
        }
        #expect(cache.signatureChecks == 1)
        let forged = CheckpointTamper.flipSignatureByte(log.note)
        let bad = setting(.string(forged), at: ["checkpoint"], in: try log.bundle(0))
        for _ in 0..<3 {
            #expect(ReceiptBundle.verify(bundleJSON: bad, cache: &cache).failedCheck == .signature)
        }
        #expect(cache.signatureChecks == 2)
        // A tiny cache forgets, and still gives the same answers.
        var tiny = CheckpointCache(verifier: log.signer.verifier, capacity: 1)
        for bundle in [try log.bundle(0), bad, try log.bundle(1), bad] {
            _ = ReceiptBundle.verify(bundleJSON: bundle, cache: &tiny)
        }
        #expect(tiny.signatureChecks == 4)
        #expect(ReceiptBundle.verify(bundleJSON: try log.bundle(5), cache: &tiny).isValid)
    }

    @Test("check names for people and programs")
    func checkNames() {
        #expect(
            BundleCheck.allCases.map(\.rawValue) == ["malformed", "key_name", "signature", "size", "leaf", "proof"])
        #expect(BundleCheck.keyName.description == "key name")
    }
}

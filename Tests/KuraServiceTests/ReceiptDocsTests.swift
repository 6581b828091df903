import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// Docs/receipts.md stays true: its worked example holds the real bytes of the happy-path scenario, and
/// its Python verifier, extracted from the page and run as it is, accepts real bundles and names the
/// same failed checks as `kura receipts verify`.
@Suite("Docs/receipts.md")
struct ReceiptDocsTests {
    static let page = GoldenFixtures.root.appendingPathComponent("Docs/receipts.md")
    /// The receipt the worked example proves.
    static let exampleIndex: UInt64 = 4

    static func text() throws -> String { try String(contentsOf: page, encoding: .utf8) }

    /// The Python code between the page's `verify_bundle.py begin/end` markers, without the fence.
    static func pythonVerifier() throws -> String {
        let text = try text()
        let begin = try #require(text.range(of: "<!-- verify_bundle.py begin -->"))
        let end = try #require(text.range(of: "<!-- verify_bundle.py end -->"))
        let block = text[begin.upperBound..<end.lowerBound]
        let open = try #require(block.range(of: "```python\n"))
        let close = try #require(block.range(of: "```", options: .backwards))
        return String(block[open.upperBound..<close.lowerBound])
    }

    /// python3 with the `cryptography` package, or nil.
    static let python: URL? = {
        guard let python = executableOnPath("python3") else { return nil }
        guard
            let child = try? ChildProcess.spawn(
                python.path, ["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"], in: "/",
                stdoutPath: "/dev/null", stderrPath: "/dev/null")
        else { return nil }
        var status: Int32 = -1
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        return status == 0 ? python : nil
    }()

    @Test("the worked example's bytes are the real ones, and match the golden file")
    func workedExample() async throws {
        let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
        defer { session.close() }
        let doc = try Self.text()
        let bundle = try await session.service.bundle(Self.exampleIndex)
        let receipt = try #require(bundle["receipt"])
        let leafBytes = try receipt.canonicalBytes()
        let leaf = MerkleHash.leaf(leafBytes)
        let hashes = try #require(bundle["proof"]?["hashes"]?.arrayValue?.compactMap { $0.stringValue })
        let note = try #require(bundle["checkpoint"]?.stringValue)
        let signer = TestKeys.serviceSigner

        var needles: [(text: String, what: String)] = []
        needles.append((String(decoding: leafBytes, as: UTF8.self), "the receipt's canonical JSON"))
        needles.append(("(\(leafBytes.count) bytes, the leaf)", "the leaf's length"))
        needles.append((Hex.encode(leaf), "the leaf hash"))
        needles.append(
            (
                "(`leafIndex` \(Self.exampleIndex), `treeSize` \(session.result.finalCheckpoint.size))",
                "the proof's index and size"
            ))
        var r = leaf
        var steps: [[UInt8]] = []
        for (i, hash) in hashes.enumerated() {
            let bytes = try #require(Base64.decode(hash))
            needles.append(("`\(hash)` | `\(Hex.encode(bytes))`", "proof hash \(i)"))
            // The path of leaf 4 in a tree of 9: right, right, left, right (see the page's table).
            r = i == 2 ? MerkleHash.node(bytes, r) : MerkleHash.node(r, bytes)
            steps.append(r)
        }
        for (i, step) in steps.enumerated() { needles.append(("`\(Hex.encode(step))`", "step \(i)")) }
        let root = try #require(Base64.decode(session.result.finalCheckpoint.rootHash))
        #expect(steps.last == root)
        needles.append(("base64 `\(session.result.finalCheckpoint.rootHash)`", "the root"))
        for line in note.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            needles.append(("\(line)⏎", "note line \(line)"))
        }
        let signatureLine = try #require(note.split(separator: "\n").last)
        let encodedSignature = try #require(signatureLine.split(separator: " ").last)
        let raw = try #require(Base64.decode(String(encodedSignature)))
        needles.append(("key ID `\(Hex.encode(raw.prefix(4)))`", "the key ID"))
        needles.append(("`\(Hex.encode(raw.dropFirst(4)))`", "the Ed25519 signature"))
        needles.append((signer.verifier.text, "the verifier key"))
        needles.append((Hex.encode(signer.verifier.publicKey.bytes), "the public key"))
        let signedText = try SignedNote(parsing: note).text
        needles.append(("(\(signedText.utf8.count) bytes, final newline included)", "the signed text's length"))

        let missing = needles.filter { !doc.contains($0.text) }.map { "\($0.what): \($0.text)" }
        #expect(missing == [], "values the page should show")

        // And the same values are in the golden file.
        let golden = try ScenarioGolden.load(GoldenFixtures.expected("happy-path"))
        #expect(golden.leafHashes[Int(Self.exampleIndex)] == Hex.encode(leaf))
        #expect(golden.finalCheckpoint.note == note)
        #expect(try JSONValue(encoding: golden.receipts[Int(Self.exampleIndex)]) == receipt)
    }

    @Test("the page's Python verifier accepts real bundles and names each failed check", .enabled(if: python != nil))
    func pythonVerifierRuns() async throws {
        let python = try #require(Self.python)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("verify_bundle.py", try Self.pythonVerifier())
        try dir.write("kura.vkey", TestKeys.serviceSigner.verifier.text + "\n")

        var cases: [(file: String, expect: String)] = []
        for name in GoldenFixtures.names {
            let session = try await ScenarioRunner.start(GoldenFixtures.scenario(name))
            defer { session.close() }
            let size = session.result.finalCheckpoint.size
            for index in [0, size / 2, size - 1] {
                let file = "\(name)-\(index).json"
                try dir.write(file, json: try await session.service.bundle(index))
                cases.append(
                    (
                        file,
                        "ok: leaf \(index) of \(size) in test.kura/log, root \(session.result.finalCheckpoint.rootHash)"
                    ))
            }
            if name == "happy-path" {
                let bundle = try await session.service.bundle(Self.exampleIndex)
                let tampered: [(String, JSONValue, String)] = [
                    ("amount", bundle.setting(["receipt", "amount"], 250_001), "FAILED proof: "),
                    ("index", bundle.setting(["receipt", "index"], 5), "FAILED leaf: "),
                    ("tree-size", bundle.setting(["proof", "treeSize"], 10), "FAILED size: "),
                    ("note", try Self.replacingInNote(bundle, "\n9\n", "\n10\n"), "FAILED signature: "),
                    (
                        "key-name", try Self.replacingInNote(bundle, "— test.kura/log ", "— other.kura/log "),
                        "FAILED key_name: "
                    ),
                    ("extra", bundle.setting(["extra"], 1), "FAILED malformed: "),
                ]
                for (label, json, expect) in tampered {
                    try dir.write("tampered-\(label).json", json: json)
                    cases.append(("tampered-\(label).json", expect))
                }
            }
        }
        for (file, expect) in cases {
            let result = try await runProgram(python, ["verify_bundle.py", file, "kura.vkey"], in: dir)
            #expect(result.stdout.hasPrefix(expect), "\(file): \(result)")
            #expect(result.status == (expect.hasPrefix("ok:") ? 0 : 1), "\(file): \(result)")
        }
    }

    static func replacingInNote(_ bundle: JSONValue, _ old: String, _ new: String) throws -> JSONValue {
        let note = try #require(bundle["checkpoint"]?.stringValue)
        #expect(note.contains(old))
        return bundle.setting(["checkpoint"], .string(note.replacingOccurrences(of: old, with: new)))
    }
}

/// A receipt bundle (DESIGN section 6): everything needed to prove, offline and with the log's
/// public key alone, that a receipt is leaf `leafIndex` of the signed tree.
///
/// ```json
/// { "receipt":    { …the receipt object… },
///   "proof":      { "leafIndex": 41, "treeSize": 1000, "hashes": ["<base64 32 bytes>", …] },
///   "checkpoint": "<the signed note text, newline-terminated>" }
/// ```
///
/// The leaf is the RFC 8785 canonical JSON of the receipt object, hashed as an RFC 6962 leaf;
/// `hashes` is its RFC 6962 audit path, leaf side first; the checkpoint is a C2SP signed note.
/// Members other than these are refused as malformed, so nothing unverified rides along.
public enum ReceiptBundle {
    /// Builds a bundle.
    public static func make(
        receipt: JSONValue, leafIndex: UInt64, treeSize: UInt64, proof: [[UInt8]], checkpointNote: String
    ) -> JSONValue {
        .object([
            "receipt": receipt,
            "proof": .object([
                "leafIndex": .number(Double(leafIndex)),
                "treeSize": .number(Double(treeSize)),
                "hashes": .array(proof.map { .string(Base64.encode($0)) }),
            ]),
            "checkpoint": .string(checkpointNote),
        ])
    }

    /// The RFC 6962 leaf hash of a receipt: `SHA-256(0x00 || canonical JSON of the receipt)`.
    public static func leafHash(receipt: JSONValue) throws(JSONError) -> [UInt8] {
        MerkleHash.leaf(try receipt.canonicalBytes())
    }

    /// Verifies one bundle with the log's verifier key.
    public static func verify(bundleJSON: JSONValue, key: NoteVerifier) -> BundleVerdict {
        var cache = CheckpointCache(verifier: key, capacity: 1)
        return verify(bundleJSON: bundleJSON, cache: &cache)
    }

    /// Verifies one bundle, checking each distinct checkpoint's signature only once across calls
    /// that share `cache`.
    ///
    /// The checks run in this order, and the first that fails is the verdict: the bundle's shape
    /// (`malformed`), the checkpoint's key name and signature (`keyName`, `signature`, or `malformed`
    /// for a checkpoint that does not parse), the sizes (`size`: leafIndex ≥ treeSize, or treeSize ≠
    /// the checkpoint's size), the receipt's own `index` member if it has one (`leaf`), and the
    /// inclusion proof against the checkpoint's root (`proof`).
    public static func verify(bundleJSON: JSONValue, cache: inout CheckpointCache) -> BundleVerdict {
        let parts: Parts
        do { parts = try Parts(bundleJSON) } catch { return .invalid(check: .malformed, reason: error.reason) }
        let checkpoint: Checkpoint
        do {
            checkpoint = try cache.open(parts.checkpoint)
        } catch {
            let check: BundleCheck =
                switch error.reason {
                case .malformed: .malformed
                case .keyName: .keyName
                case .signature: .signature
                }
            return .invalid(check: check, reason: error.description)
        }
        guard parts.leafIndex < parts.treeSize else {
            return .invalid(
                check: .size, reason: "leafIndex \(parts.leafIndex) is not below treeSize \(parts.treeSize)")
        }
        guard parts.treeSize == checkpoint.size else {
            return .invalid(
                check: .size,
                reason: "the proof is for a tree of \(parts.treeSize) leaves, the checkpoint's has \(checkpoint.size)")
        }
        if let index = parts.receipt["index"] {
            guard index.uint64Value == parts.leafIndex else {
                return .invalid(
                    check: .leaf,
                    reason:
                        "the receipt's index is \((try? index.canonicalString()) ?? "?"), the proof's leafIndex is \(parts.leafIndex)"
                )
            }
        }
        let leaf: [UInt8]
        do { leaf = try leafHash(receipt: parts.receipt) } catch {
            return .invalid(check: .malformed, reason: "the receipt has no canonical JSON form: \(error.reason)")
        }
        guard
            MerkleVerifier.verifyInclusion(
                leafHash: leaf, index: parts.leafIndex, size: parts.treeSize, proof: parts.hashes,
                root: checkpoint.rootHash)
        else {
            return .invalid(
                check: .proof,
                reason: "the receipt and its \(parts.hashes.count) proof hashes do not lead to the checkpoint's root")
        }
        return .valid(index: parts.leafIndex, size: parts.treeSize, root: checkpoint.rootHash)
    }

    /// The members of a well-shaped bundle.
    private struct Parts {
        let receipt: JSONValue
        let leafIndex: UInt64
        let treeSize: UInt64
        let hashes: [[UInt8]]
        let checkpoint: String

        init(_ json: JSONValue) throws(ShapeError) {
            guard let top = json.objectValue else { throw ShapeError("the bundle is not a JSON object") }
            if let extra = top.keys.first(where: { !["receipt", "proof", "checkpoint"].contains($0) }) {
                throw ShapeError("unexpected member '\(extra)' in the bundle")
            }
            guard let receipt = top["receipt"], receipt.objectValue != nil else {
                throw ShapeError("'receipt' is missing or not an object")
            }
            guard let proof = top["proof"]?.objectValue else { throw ShapeError("'proof' is missing or not an object") }
            if let extra = proof.keys.first(where: { !["leafIndex", "treeSize", "hashes"].contains($0) }) {
                throw ShapeError("unexpected member '\(extra)' in 'proof'")
            }
            guard let leafIndex = proof["leafIndex"]?.uint64Value else {
                throw ShapeError("'proof.leafIndex' is missing or not a non-negative integer")
            }
            guard let treeSize = proof["treeSize"]?.uint64Value else {
                throw ShapeError("'proof.treeSize' is missing or not a non-negative integer")
            }
            guard let encoded = proof["hashes"]?.arrayValue else {
                throw ShapeError("'proof.hashes' is missing or not an array")
            }
            var hashes: [[UInt8]] = []
            hashes.reserveCapacity(encoded.count)
            for (i, item) in encoded.enumerated() {
                guard let text = item.stringValue, let hash = HashBase64.decode32(text) else {
                    throw ShapeError("'proof.hashes[\(i)]' is not base64 of 32 bytes")
                }
                hashes.append(hash)
            }
            guard let checkpoint = top["checkpoint"]?.stringValue else {
                throw ShapeError("'checkpoint' is missing or not a string")
            }
            self.receipt = receipt
            self.leafIndex = leafIndex
            self.treeSize = treeSize
            self.hashes = hashes
            self.checkpoint = checkpoint
        }
    }

    private struct ShapeError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

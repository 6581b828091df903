/// Which check of a receipt bundle failed. The raw values are stable names for programs and exit codes.
public enum BundleCheck: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The bundle, its proof or its checkpoint is not in the expected form.
    case malformed
    /// The checkpoint has no signature line for the key's name and key ID.
    case keyName = "key_name"
    /// The key's signature over the checkpoint does not verify.
    case signature
    /// leafIndex ≥ treeSize, or treeSize differs from the checkpoint's tree size.
    case size
    /// The receipt's `index` member differs from the proof's leafIndex.
    case leaf
    /// The inclusion proof does not lead from the receipt to the checkpoint's root.
    case proof

    /// The check's name for people: `key name` rather than `key_name`.
    public var description: String { self == .keyName ? "key name" : rawValue }
}

/// The outcome of verifying a receipt bundle.
public enum BundleVerdict: Sendable, Hashable {
    /// The receipt is leaf `index` of the signed tree of `size` leaves with root `root`.
    case valid(index: UInt64, size: UInt64, root: [UInt8])
    /// `check` failed; `reason` says how, for people.
    case invalid(check: BundleCheck, reason: String)

    /// Whether every check passed.
    public var isValid: Bool {
        if case .valid = self { true } else { false }
    }

    /// The failed check, or `nil` when the bundle is valid.
    public var failedCheck: BundleCheck? {
        if case .invalid(let check, _) = self { check } else { nil }
    }
}

/// Opens signed checkpoints with one verifier key, remembering the outcome per distinct note text,
/// so that many bundles sharing a checkpoint cost one signature check.
///
/// A value type: give each thread its own. When full, it forgets everything and starts again.
public struct CheckpointCache: Sendable {
    /// The key every checkpoint must be signed by.
    public let verifier: NoteVerifier
    /// How many distinct checkpoint texts are remembered at most.
    public let capacity: Int
    /// How many notes were actually opened (parsed and signature-checked) rather than remembered.
    public private(set) var signatureChecks = 0
    private var opened: [String: Result<Checkpoint, CheckpointError>] = [:]

    /// A cache for checkpoints signed by `verifier`.
    public init(verifier: NoteVerifier, capacity: Int = 64) {
        self.verifier = verifier
        self.capacity = max(1, capacity)
    }

    /// ``Checkpoint/open(note:verifier:)``, or its remembered outcome for the same text.
    public mutating func open(_ note: String) throws(CheckpointError) -> Checkpoint {
        if let known = opened[note] { return try known.get() }
        signatureChecks += 1
        let outcome = Result { () throws(CheckpointError) in try Checkpoint.open(note: note, verifier: verifier) }
        if opened.count >= capacity { opened.removeAll(keepingCapacity: true) }
        opened[note] = outcome
        return try outcome.get()
    }
}

import KuraCore

/// A row of `checkpoints`: a signed C2SP note for one tree size and key.
public struct CheckpointRow: Sendable, Equatable {
    public var size: UInt64
    public var keyName: String
    public var root: [UInt8]
    /// The signed note, newline-terminated.
    public var note: String

    public init(size: UInt64, keyName: String, root: [UInt8], note: String) {
        self.size = size
        self.keyName = keyName
        self.root = root
        self.note = note
    }
}

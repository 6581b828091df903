import KuraCore

/// A row of `mandates`: the mandate (with its daily spend) and the `seq` of `mandate.created`.
public struct MandateRow: Sendable, Equatable {
    public var mandate: Mandate
    public var seq: UInt64

    public init(mandate: Mandate, seq: UInt64) {
        self.mandate = mandate
        self.seq = seq
    }
}

import KuraCrypto

/// `POST /v1/disputes/{id}/evidence`: digests and an optional statement from the payer or the payee.
public struct DisputeEvidenceRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["evidence", "statement"]
    /// Lowercase hex SHA-256 digests.
    public var evidence: [String]?
    /// A short statement for the panel.
    public var statement: String?

    public init(evidence: [String]? = nil, statement: String? = nil) {
        self.evidence = evidence
        self.statement = statement
    }
}

/// `POST /v1/disputes/{id}/rulings`: a ruling signed by the arbiter's own key.
public struct RulingRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["ruling", "signature", "reason"]
    public static var nestedFields: [String: Set<String>] { ["ruling": RulingStatement.fields] }
    /// The signed statement.
    public var ruling: RulingStatement
    /// Standard base64 of the Ed25519 signature over the statement's canonical JSON.
    public var signature: String
    /// The written reason, whose SHA-256 the statement carries.
    public var reason: String

    public init(ruling: RulingStatement, signature: String, reason: String) {
        self.ruling = ruling
        self.signature = signature
        self.reason = reason
    }

    /// The signature's bytes; anything but padded standard base64 of 64 bytes is `invalid_signature`.
    public func signatureBytes() throws(KuraError) -> [UInt8] {
        guard let bytes = Ed25519.signature(base64: signature) else {
            throw KuraError(.invalidSignature, "signature must be standard base64 of a 64-byte Ed25519 signature")
        }
        return bytes
    }
}

/// `POST /v1/disputes/{id}/appeal`.
public struct AppealRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["reason"]
    /// Why the side appeals.
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
}

/// What a dispute view adds to the dispute: its history, so a reader sees who did what when.
public struct DisputeView: Codable, Sendable, Equatable {
    /// One step of the dispute's history.
    public struct Step: Codable, Sendable, Equatable {
        public var seq: UInt64
        public var type: String
        public var actor: String
        public var at: Timestamp

        public init(seq: UInt64, type: String, actor: String, at: Timestamp) {
            self.seq = seq
            self.type = type
            self.actor = actor
            self.at = at
        }
    }

    public var dispute: Dispute
    /// The escrow's and the dispute's events, oldest first.
    public var timeline: [Step]

    public init(dispute: Dispute, timeline: [Step]) {
        self.dispute = dispute
        self.timeline = timeline
    }
}

import KuraCrypto

extension KuraAPI {
    /// The problem codes of a reputation read: a bad path or query, a party or tree size not there, and (for an
    /// attestation) no checkpoint issued yet (503 `checkpoint_pending`).
    static let reputationProblems: [KuraError.Code] = [.invalidRequest, .notFound, .internalError]

    /// `GET /v1/reputation/{party}[?asOf=N]`: a party's Meishi reputation report. At the current tree it is
    /// answered from the service's cache of encoded reports, hence ``Encoded``.
    public static let showReputation = KuraOperation<PartyID, AsOfQuery, EmptyRequest, Encoded<ReputationReport>>
        .get("showReputation", "/v1/reputation/{party}", access: .public, problems: reputationProblems)

    /// `GET /v1/reputation?ids=a,b,…[&asOf=N]`: up to 100 reports at one tree size.
    public static let listReputations = KuraOperation<NoPath, ReputationBatchQuery, EmptyRequest, ReputationBatch>
        .get("listReputations", "/v1/reputation", access: .public, problems: reputationProblems)

    /// `GET /v1/reputation/{party}/attestation[?asOf=N]`: the report signed by Kura, at an issued checkpoint.
    public static let reputationAttestation = KuraOperation<PartyID, AsOfQuery, EmptyRequest, ReputationAttestation>
        .get(
            "reputationAttestation", "/v1/reputation/{party}/attestation", access: .public,
            problems: reputationProblems + [.checkpointPending])

    /// `GET /v1/parties/{id}/passport`: the party's record and current reputation, freshly signed by Kura.
    public static let showPassport = KuraOperation<PartyID, NoQuery, EmptyRequest, Passport>.get(
        "showPassport", "/v1/parties/{id}/passport", access: .public, problems: reputationProblems)

    /// Meishi reputation's public reads.
    static let reputation: [any KuraOperationDescription] = [
        showReputation, listReputations, reputationAttestation, showPassport,
    ]
}

/// The query `asOf`: the first `asOf` receipts (a tree size) rather than the current tree.
public struct AsOfQuery: OperationQuery, Equatable {
    public var asOf: UInt64?
    public init(asOf: UInt64? = nil) { self.asOf = asOf }
    public static var names: [String] { ["asOf"] }
    public init(query: [String: String]) throws(KuraError) { asOf = try DecimalNumber.parse("asOf", in: query) }
    public var queryItems: [(name: String, value: String)] { asOf.map { [(name: "asOf", value: String($0))] } ?? [] }
}

/// The query of a reputation batch: `ids=a,b,…` (1 to 100 distinct parties) and `asOf`.
public struct ReputationBatchQuery: OperationQuery, Equatable {
    /// The most parties one batch names.
    public static let maxParties = 100

    public var ids: [PartyID]
    public var asOf: UInt64?

    public init(ids: [PartyID], asOf: UInt64? = nil) {
        self.ids = ids
        self.asOf = asOf
    }

    public static var names: [String] { ["ids", "asOf"] }

    public init(query: [String: String]) throws(KuraError) {
        ids = try Self.partyList(query["ids"])
        asOf = try DecimalNumber.parse("asOf", in: query)
    }

    public var queryItems: [(name: String, value: String)] {
        var items = [(name: "ids", value: ids.map(\.rawValue).joined(separator: ","))]
        if let asOf { items.append((name: "asOf", value: String(asOf))) }
        return items
    }

    /// `ids=a,b,…`: 1 to 100 distinct party IDs.
    static func partyList(_ text: String?) throws(KuraError) -> [PartyID] {
        guard let text, !text.isEmpty else { throw KuraError(.invalidRequest, "query parameter 'ids' is required") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= maxParties else {
            throw KuraError(.invalidRequest, "ids names \(parts.count) parties; at most \(maxParties)")
        }
        var seen: Set<PartyID> = []
        var ids: [PartyID] = []
        for part in parts {
            let id = try PartyID(validating: String(part))
            guard seen.insert(id).inserted else { throw KuraError(.invalidRequest, "ids names \(id) twice") }
            ids.append(id)
        }
        return ids
    }
}

/// The answer to a reputation batch: `{checkpoint, items}`, every report at the same tree.
public struct ReputationBatch: Codable, Sendable, Equatable {
    public var checkpoint: ReputationCheckpoint
    public var items: [ReputationReport]

    public init(checkpoint: ReputationCheckpoint, items: [ReputationReport]) {
        self.checkpoint = checkpoint
        self.items = items
    }
}

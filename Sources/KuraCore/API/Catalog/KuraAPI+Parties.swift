extension KuraAPI {
    /// The problem codes of a change to an existing party.
    static let partyCommandProblems: [KuraError.Code] = [
        .forbidden, .notFound, .invalidTransition, .idempotencyConflict,
    ]

    /// `POST /v1/parties`: an operator registers a party; 201 with its API key (shown once) and passport.
    public static let registerParty = KuraOperation<NoPath, NoQuery, RegisterPartyRequest, PartyRegistration>.post(
        "registerParty", "/v1/parties", access: .operator,
        problems: [.forbidden, .idempotencyConflict, .publicKeyTaken],
        location: { "/v1/parties/\($0.party.id)" })

    /// `GET /v1/parties/{id}`: a party's public record, for any authenticated caller.
    public static let showParty = KuraOperation<PartyID, NoQuery, EmptyRequest, Party>.get(
        "showParty", "/v1/parties/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/parties/{id}/suspend`: an operator suspends an active party (not itself).
    public static let suspendParty = KuraOperation<PartyID, NoQuery, EmptyRequest, Party>.post(
        "suspendParty", "/v1/parties/{id}/suspend", access: .operator, problems: partyCommandProblems)

    /// `POST /v1/parties/{id}/reactivate`: an operator lets a suspended party act again.
    public static let reactivateParty = KuraOperation<PartyID, NoQuery, EmptyRequest, Party>.post(
        "reactivateParty", "/v1/parties/{id}/reactivate", access: .operator, problems: partyCommandProblems)

    /// `POST /v1/parties/{id}/revoke`: an operator revokes a party for good (not itself).
    public static let revokeParty = KuraOperation<PartyID, NoQuery, EmptyRequest, Party>.post(
        "revokeParty", "/v1/parties/{id}/revoke", access: .operator, problems: partyCommandProblems)

    /// `POST /v1/parties/{id}/key`: the party or an operator replaces its signing key, with a proof signed by
    /// the new key.
    public static let rotatePartyKey = KuraOperation<PartyID, NoQuery, RotateKeyRequest, PartyRegistration>.post(
        "rotatePartyKey", "/v1/parties/{id}/key",
        problems: partyCommandProblems + [.publicKeyTaken, .invalidSignature])

    /// `POST /v1/parties/{id}/api-key`: the party or an operator replaces its API key; the new one is shown once.
    public static let rotatePartyAPIKey = KuraOperation<PartyID, NoQuery, EmptyRequest, PartyRegistration>.post(
        "rotatePartyAPIKey", "/v1/parties/{id}/api-key", problems: partyCommandProblems)

    /// The party operations (the public passport is a reputation read, not here yet).
    static let parties: [any KuraOperationDescription] = [
        registerParty, showParty, suspendParty, reactivateParty, revokeParty, rotatePartyKey, rotatePartyAPIKey,
    ]

    /// The operation of a status change: suspend, reactivate or revoke.
    public static func statusChange(_ action: PartyAction) throws(KuraError)
        -> KuraOperation<PartyID, NoQuery, EmptyRequest, Party>
    {
        switch action {
        case .suspend: suspendParty
        case .reactivate: reactivateParty
        case .revoke: revokeParty
        case .key, .apiKey: throw KuraError(.invalidRequest, "\(action.rawValue) is not a status change")
        }
    }
}

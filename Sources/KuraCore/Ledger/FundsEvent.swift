import KuraCrypto

/// Money entering or leaving Kura for a party (stream `account/pty_…`): an operator's deposit or withdrawal.
public enum FundsEvent: Sendable, Equatable {
    /// External funds credited to the party's available balance.
    case deposited(party: PartyID, asset: Asset, amount: Amount, reference: String?, postings: [Posting])
    /// Available funds paid out of Kura.
    case withdrawn(party: PartyID, asset: Asset, amount: Amount, reference: String?, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` is made of.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case deposited = "account.deposited"
        case withdrawn = "account.withdrawn"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .deposited: .deposited
        case .withdrawn: .withdrawn
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    /// The ledger postings.
    public var postings: [Posting] {
        switch self {
        case .deposited(_, _, _, _, let p), .withdrawn(_, _, _, _, let p): p
        }
    }

    private struct Body: Codable {
        var party: PartyID, asset: Asset, amount: Amount, reference: String?, postings: [Posting]
    }

    /// The facts as a JSON object.
    public var payload: JSONValue {
        switch self {
        case .deposited(let party, let asset, let amount, let reference, let postings),
            .withdrawn(let party, let asset, let amount, let reference, let postings):
            EventPayload.encode(
                Body(party: party, asset: asset, amount: amount, reference: reference, postings: postings))
        }
    }

    /// Reads an event back from the log.
    public init(type: String, payload: JSONValue) throws(KuraError) {
        let body = try EventPayload.decode(Body.self, from: payload, eventType: type)
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .deposited:
            self = .deposited(
                party: body.party, asset: body.asset, amount: body.amount, reference: body.reference,
                postings: body.postings)
        case .withdrawn:
            self = .withdrawn(
                party: body.party, asset: body.asset, amount: body.amount, reference: body.reference,
                postings: body.postings)
        }
    }

    /// Decides a deposit: positive amount, active party. Only an operator may call it (checked by the caller's role).
    public static func decideDeposit(party: Party, asset: Asset, amount: Amount, reference: String?) throws(KuraError)
        -> FundsEvent
    {
        try checkCommon(party: party, amount: amount, reference: reference)
        return .deposited(
            party: party.id, asset: asset, amount: amount, reference: reference,
            postings: [.deposit(to: party.id, asset: asset, amount: amount)])
    }

    /// Decides a withdrawal of available funds; more than is available is `insufficient_funds`.
    public static func decideWithdrawal(
        party: Party, asset: Asset, amount: Amount, available: Amount, reference: String?
    ) throws(KuraError) -> FundsEvent {
        try checkCommon(party: party, amount: amount, reference: reference)
        guard amount <= available else {
            throw KuraError(.insufficientFunds, "\(party.id) has \(available) \(asset) available, asked \(amount)")
        }
        return .withdrawn(
            party: party.id, asset: asset, amount: amount, reference: reference,
            postings: [.withdrawal(from: party.id, asset: asset, amount: amount)])
    }

    private static func checkCommon(party: Party, amount: Amount, reference: String?) throws(KuraError) {
        guard amount.units > 0 else { throw KuraError(.invalidRequest, "amount must be more than zero") }
        guard party.status != .revoked else { throw KuraError(.forbidden, "\(party.id) is revoked") }
        if let reference, reference.isEmpty || !TextRules.isPlainText(reference, max: 200) {
            throw KuraError(.invalidRequest, "reference must be 1-200 characters of plain text (no control characters)")
        }
    }
}

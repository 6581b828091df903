import AsyncHTTPClient
import KuraCore
import KuraCrypto

extension KuraClient {
    /// `POST /v1/parties` (operator).
    public func registerParty(_ request: RegisterPartyRequest, idempotencyKey: String? = nil)
        async throws(KuraClientError)
        -> PartyRegistration
    {
        try await perform(KuraAPI.registerParty, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/parties/{id}`.
    public func party(_ id: PartyID) async throws(KuraClientError) -> Party {
        try await perform(KuraAPI.showParty, at: id)
    }

    /// `POST /v1/parties/{id}/suspend|reactivate|revoke` (operator): the party as it now is.
    public func changeStatus(of id: PartyID, _ action: PartyAction, idempotencyKey: String? = nil)
        async throws(KuraClientError) -> Party
    {
        let operation: KuraOperation<PartyID, NoQuery, EmptyRequest, Party>
        do { operation = try KuraAPI.statusChange(action) } catch {
            throw KuraClientError(
                kind: .invalid, status: nil, code: "invalid_request", detail: "\(action.rawValue) is not a status")
        }
        return try await perform(operation, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/parties/{id}/key` (the party or an operator): replaces its signing key with the public half
    /// of `newKey`, signing the proof with it. `currentKey` is the key being replaced.
    public func rotateKey(
        of id: PartyID, from currentKey: Ed25519.PublicKey, to newKey: Ed25519.SecretKey, idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> PartyRegistration {
        let request = RotateKeyRequest(instance: try await instanceName(), party: id, from: currentKey, to: newKey)
        return try await perform(KuraAPI.rotatePartyKey, at: id, request, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/parties/{id}/api-key` (the party or an operator): the party with its new API key, shown once.
    public func rotateAPIKey(of id: PartyID, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> PartyRegistration
    {
        try await perform(KuraAPI.rotatePartyAPIKey, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/accounts/{party}/deposits` (``KuraAPI/deposit``; operator).
    public func deposit(_ request: FundsRequest, to party: PartyID, idempotencyKey: String? = nil)
        async throws(KuraClientError)
        -> AccountView
    {
        try await perform(KuraAPI.deposit, at: party, .ledger(request), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/accounts/{party}/withdrawals` (``KuraAPI/withdraw``; operator): the account after it.
    public func withdraw(_ request: FundsRequest, from party: PartyID, idempotencyKey: String? = nil)
        async throws(KuraClientError)
        -> AccountView
    {
        let outcome = try await perform(KuraAPI.withdraw, at: party, .ledger(request), idempotencyKey: idempotencyKey)
        guard case .account(let account) = outcome else {
            throw KuraClientError(
                kind: .invalid, status: nil, code: "invalid_response",
                detail: "a ledger withdrawal answered a withdrawal")
        }
        return account
    }

    /// `GET /v1/accounts/{party}` (``KuraAPI/showAccount``).
    public func account(_ party: PartyID) async throws(KuraClientError) -> AccountView {
        try await perform(KuraAPI.showAccount, at: party)
    }

    /// `POST /v1/escrows` (``KuraAPI/openEscrow``).
    public func openEscrow(_ request: OpenEscrowRequest, idempotencyKey: String? = nil) async throws(KuraClientError)
        -> Escrow
    {
        try await perform(KuraAPI.openEscrow, request, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/escrows/{id}` (``KuraAPI/showEscrow``).
    public func escrow(_ id: EscrowID) async throws(KuraClientError) -> Escrow {
        try await perform(KuraAPI.showEscrow, at: id)
    }

    /// `GET /v1/escrows?party=&state=&cursor=&limit=` (``KuraAPI/listEscrows``).
    public func escrows(party: PartyID? = nil, state: Escrow.State? = nil, cursor: String? = nil, limit: Int = 50)
        async throws(KuraClientError) -> Page<Escrow>
    {
        try await perform(
            KuraAPI.listEscrows, query: EscrowListQuery(party: party, state: state, cursor: cursor, limit: limit))
    }

    /// A request body's canonical JSON, straight from its `Encodable` form (or written by the value itself).
    static func canonicalJSON(_ value: some Encodable) throws(KuraClientError) -> [UInt8] {
        do { return try JSONValue.canonicalBytes(encoding: value) } catch {
            throw KuraClientError(kind: .invalid, status: nil, code: "invalid_request", detail: error.reason)
        }
    }
}

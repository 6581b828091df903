import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// This instance's name in signed texts (request signatures `kura-request-v2`, key-rotation proofs): its
    /// log key's name and key ID, `<name>+<hex key ID>`, the first two fields of `GET /v1/log/key`. Two
    /// instances never share it unless they share a signing key.
    public var instance: String { "\(signer.name)+\(Hex.encode(signer.keyID))" }

    /// Replaces a party's signing key (the party itself or an operator), with the new key's proof. From the
    /// next request on, signatures by the old key are refused. Returns the party and a fresh passport.
    public func rotateKey(
        of id: PartyID, _ request: RotateKeyRequest, by principal: Principal, idempotencyKey: String?
    ) async throws(KuraError) -> Reply<PartyRegistration> {
        defer { apiKeys.forgetAll() }
        let command = try request.command()
        guard case .rotateKey(let key, _) = command else { throw KuraError(.internalError, "not a key rotation") }
        let instance = self.instance
        let signer = self.signer
        let body: JSONValue = ["party": .string(id.rawValue), "body": try .of(request)]
        return try await self.command("party.key", request: body, by: principal, idempotencyKey: idempotencyKey) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> PartyRegistration in
            let state = tx.state
            var party = try state.requireParty(id)
            let holder = try state.parties(holding: key).first { $0 != id }
            let events = try party.decide(
                command, by: try state.party(principal.id),
                context: PartyContext(instance: instance, keyHolder: holder))
            try context.append(events, to: "party/\(id)", &tx)
            for event in events { party.apply(event) }
            let passport = Passport.issue(party: party, issuedAt: context.now, issuer: signer.name, key: signer.key)
            return PartyRegistration(party: party, apiKey: nil, passport: passport)
        }
    }

    /// Replaces a party's API key (the party itself or an operator). The old key is refused from the next
    /// request on; the new one is in this answer only (a replay of the same request omits it, as Kura keeps
    /// only its hash). A party that loses the answer can rotate again with a signed request, or ask an
    /// operator.
    public func rotateAPIKey(of id: PartyID, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<PartyRegistration>
    {
        defer { apiKeys.forgetAll() }
        let apiKey = newAPIKey()
        let signer = self.signer
        let reply = try await command(
            "party.api_key", request: ["party": .string(id.rawValue)], by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> PartyRegistration in
            let state = tx.state
            var party = try state.requireParty(id)
            let events = try party.decide(
                .rotateAPIKey(apiKeyHash: Self.hashAPIKey(apiKey)), by: try state.party(principal.id))
            try context.append(events, to: "party/\(id)", &tx)
            for event in events { party.apply(event) }
            let passport = Passport.issue(party: party, issuedAt: context.now, issuer: signer.name, key: signer.key)
            return PartyRegistration(party: party, apiKey: nil, passport: passport)
        }
        var value = reply.value
        if !reply.replayed { value.apiKey = apiKey }
        return Reply(value: value, replayed: reply.replayed)
    }
}

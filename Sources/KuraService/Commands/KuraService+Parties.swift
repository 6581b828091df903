import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Registers a party (operators only). Returns its API key once; Kura keeps only the key's SHA-256.
    public func registerParty(_ request: RegisterPartyRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<PartyRegistration>
    {
        let publicKey: Ed25519.PublicKey
        do { publicKey = try Ed25519.PublicKey(base64: request.publicKey) } catch {
            throw KuraError(.invalidRequest, "publicKey: \(error.reason)")
        }
        guard !request.roles.isEmpty else { throw KuraError(.invalidRequest, "roles must not be empty") }
        let apiKey = newAPIKey()
        let signer = self.signer
        let reply = try await command(
            "party.register", encoding: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> PartyRegistration in
            let actor = try tx.state.party(principal.id)
            let id = PartyID.derive(command: context.command, seq: context.seq)
            let events = try Party.decideRegister(
                id: id, name: request.name, roles: Set(request.roles), publicKey: publicKey,
                apiKeyHash: Self.hashAPIKey(apiKey), by: actor,
                keyHolder: try tx.state.parties(holding: publicKey).first)
            try context.append(events, toNew: "party/\(id)", &tx)
            guard let party = Party.fold(events) else {
                throw KuraError(.internalError, "registration produced no party")
            }
            let passport = Passport.issue(party: party, issuedAt: context.now, issuer: signer.name, key: signer.key)
            // The stored (replayable) answer leaves the key out: Kura never keeps an API key in clear.
            return PartyRegistration(party: party, apiKey: nil, passport: passport)
        }
        var value = reply.value
        if !reply.replayed { value.apiKey = apiKey }
        return Reply(value: value, replayed: reply.replayed)
    }

    /// Registers the first operator of an empty database. Returns the registration with its API key.
    public func bootstrapOperator(name: String = "operator") async throws(KuraError) -> PartyRegistration {
        let apiKey = newAPIKey()
        let signer = self.signer
        let reply = try await command(
            "party.bootstrap", request: ["name": .string(name), "publicKey": .string(signer.key.publicKey.base64)],
            by: nil, idempotencyKey: nil
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> PartyRegistration in
            let id = PartyID.derive(command: context.command, seq: context.seq)
            let events = try Party.decideBootstrap(
                id: id, name: name, publicKey: signer.key.publicKey, apiKeyHash: Self.hashAPIKey(apiKey),
                existingParties: try tx.state.partyCount())
            try context.append(events, toNew: "party/\(id)", &tx)
            guard let party = Party.fold(events) else { throw KuraError(.internalError, "bootstrap produced no party") }
            let passport = Passport.issue(party: party, issuedAt: context.now, issuer: signer.name, key: signer.key)
            return PartyRegistration(party: party, apiKey: nil, passport: passport)
        }
        var value = reply.value
        value.apiKey = apiKey
        return value
    }

    /// Suspends, reactivates or revokes a party (operators only). A suspended or revoked party is refused
    /// (`403 forbidden`) from its next request on, whichever credential it uses.
    public func changeStatus(of id: PartyID, _ command: PartyCommand, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<Party>
    {
        defer { apiKeys.forgetAll() }
        return try await self.command(
            "party.\(command.name)", request: ["party": .string(id.rawValue)], by: principal,
            idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Party in
            let state = tx.state
            var party = try state.requireParty(id)
            let events = try party.decide(command, by: try state.party(principal.id))
            try context.append(events, to: "party/\(id)", &tx)
            for event in events { party.apply(event) }
            return party
        }
    }

    /// A party by ID.
    public func party(_ id: PartyID) async throws(KuraError) -> Party {
        try await read { reads throws(KuraError) in try reads.requireParty(id) }
    }

    /// A freshly signed passport for a party.
    public func passport(_ id: PartyID) async throws(KuraError) -> Passport {
        Passport.issue(party: try await party(id), issuedAt: clock.now(), issuer: signer.name, key: signer.key)
    }

    func newAPIKey() -> String { "kura_" + Base58.encode(secrets.bytes(32)) }

    static func hashAPIKey(_ key: String) -> String { Hex.encode(SHA256.hash(key)) }
}

extension KuraService {
    /// The first registered operator (the one `kura init` created), for local CLI use.
    public func firstOperator() async throws(KuraError) -> Party? {
        try await read { reads throws(KuraError) in try reads.firstActiveOperator() }
    }
}

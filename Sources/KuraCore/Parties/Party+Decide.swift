import KuraCrypto

extension Party {
    /// Decides a registration. Only an active operator registers parties, and only with a public key that
    /// no party holds (`keyHolder`, `public_key_taken`): a signature must name one signer.
    public static func decideRegister(
        id: PartyID, name: String, roles: Set<Role>, publicKey: Ed25519.PublicKey, apiKeyHash: String,
        by actor: Party?, keyHolder: PartyID? = nil
    ) throws(KuraError) -> [PartyEvent] {
        try requireOperator(actor, toDo: "register parties")
        if let keyHolder { throw keyTaken(publicKey, keyHolder) }
        return try registration(id: id, name: name, roles: roles, publicKey: publicKey, apiKeyHash: apiKeyHash)
    }

    private static func keyTaken(_ key: Ed25519.PublicKey, _ holder: PartyID) -> KuraError {
        KuraError(.publicKeyTaken, "public key \(key.base64) is already registered to \(holder)")
    }

    /// Decides the registration of the very first operator, which no one can be authorized to register.
    /// Allowed only while the registry is empty, so it cannot be used to mint a second operator.
    public static func decideBootstrap(
        id: PartyID, name: String, publicKey: Ed25519.PublicKey, apiKeyHash: String, existingParties: Int
    ) throws(KuraError) -> [PartyEvent] {
        guard existingParties == 0 else {
            throw KuraError(.forbidden, "bootstrap registers the first operator only; \(existingParties) parties exist")
        }
        return try registration(id: id, name: name, roles: [.operator], publicKey: publicKey, apiKeyHash: apiKeyHash)
    }

    private static func registration(
        id: PartyID, name: String, roles: Set<Role>, publicKey: Ed25519.PublicKey, apiKeyHash: String
    ) throws(KuraError) -> [PartyEvent] {
        guard TextRules.isSHA256Hex(apiKeyHash) else {
            throw KuraError(.invalidRequest, "apiKeyHash must be 64 lowercase hex digits (SHA-256)")
        }
        let party = try Party(id: id, name: name, roles: roles, publicKey: publicKey, status: .active)
        return [.registered(party, apiKeyHash: apiKeyHash)]
    }

    /// Decides a status change or a key rotation.
    ///
    /// Status: only an active operator other than this party may change it, so an operator cannot lock the
    /// registry by suspending or revoking itself. `revoked` is final.
    ///
    /// Rotation (signing key or API key): the party itself or an active operator; never for a revoked
    /// party. A new signing key must differ from the current one, be held by no other party
    /// (`public_key_taken`), and come with its own signature over ``KeyRotation`` (`invalid_signature`).
    public func decide(_ command: PartyCommand, by actor: Party?, context: PartyContext = PartyContext())
        throws(KuraError) -> [PartyEvent]
    {
        switch command {
        case .rotateKey(let key, let proof):
            try requireSelfOrOperator(actor, command)
            guard key != publicKey else { throw KuraError(.invalidRequest, "that is already \(id)'s key") }
            if let holder = context.keyHolder, holder != id { throw Party.keyTaken(key, holder) }
            let signed = KeyRotation.signingBytes(instance: context.instance, party: id, from: publicKey, to: key)
            guard key.isValidSignature(proof, for: signed) else {
                throw KuraError(
                    .invalidSignature, "the proof is not the new key's signature over the kura-key-rotation-v1 text")
            }
            return [.keyRotated(from: publicKey, to: key)]
        case .rotateAPIKey(let hash):
            try requireSelfOrOperator(actor, command)
            guard TextRules.isSHA256Hex(hash) else {
                throw KuraError(.invalidRequest, "apiKeyHash must be 64 lowercase hex digits (SHA-256)")
            }
            return [.apiKeyRotated(apiKeyHash: hash)]
        case .register, .suspend, .reactivate, .revoke:
            return try decideStatus(command, by: actor)
        }
    }

    /// The party acting on itself, or an active operator; and a party that is not revoked.
    private func requireSelfOrOperator(_ actor: Party?, _ command: PartyCommand) throws(KuraError) {
        guard let actor, actor.status == .active, actor.id == id || actor.canAct(as: .operator) else {
            throw KuraError(.forbidden, "only \(id) itself or an active operator may \(command.name) it")
        }
        guard status != .revoked else {
            throw KuraError(.invalidTransition, "cannot \(command.name) party \(id): revoked is final")
        }
    }

    private func decideStatus(_ command: PartyCommand, by actor: Party?) throws(KuraError) -> [PartyEvent] {
        try Party.requireOperator(actor, toDo: "change a party's status")
        if actor?.id == id { throw KuraError(.forbidden, "an operator cannot change its own status") }
        let target: PartyStatus
        switch (status, command) {
        case (_, .register):
            throw KuraError(.invalidTransition, "party \(id) is already registered")
        case (.revoked, _):
            throw KuraError(.invalidTransition, "cannot \(command.name) party \(id): revoked is final")
        case (.active, .suspend): target = .suspended
        case (.suspended, .reactivate): target = .active
        case (.active, .revoke), (.suspended, .revoke): target = .revoked
        case (.suspended, .suspend), (.active, .reactivate):
            throw KuraError(.invalidTransition, "cannot \(command.name) party \(id): it is already \(status.rawValue)")
        case (_, .rotateKey), (_, .rotateAPIKey):
            throw KuraError(.internalError, "\(command.name) is not a status change")
        }
        return [.statusChanged(from: status, to: target)]
    }

    private static func requireOperator(_ actor: Party?, toDo what: String) throws(KuraError) {
        guard let actor, actor.canAct(as: .operator) else {
            throw KuraError(.forbidden, "only an active operator may \(what)")
        }
    }

    /// Applies a decided event. Never fails: a registration on an existing party changes nothing, and an API
    /// key rotation changes nothing the record shows (only the stored hash).
    public mutating func apply(_ event: PartyEvent) {
        switch event {
        case .registered, .apiKeyRotated: break
        case .statusChanged(_, let to): status = to
        case .keyRotated(_, let to): publicKey = to
        }
    }

    /// The party as its events left it, or nil if the first event is not a registration.
    public static func fold(_ events: [PartyEvent]) -> Party? {
        guard case .registered(var party, _)? = events.first else { return nil }
        for event in events.dropFirst() { party.apply(event) }
        return party
    }
}

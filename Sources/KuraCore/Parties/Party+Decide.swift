import KuraCrypto

extension Party {
    /// Decides a registration. Only an active operator registers parties.
    public static func decideRegister(
        id: PartyID, name: String, roles: Set<Role>, publicKey: Ed25519.PublicKey, apiKeyHash: String,
        by actor: Party?
    ) throws(KuraError) -> [PartyEvent] {
        try requireOperator(actor, toDo: "register parties")
        return try registration(id: id, name: name, roles: roles, publicKey: publicKey, apiKeyHash: apiKeyHash)
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

    /// Decides a status change. Only an active operator other than this party may change it, so an
    /// operator cannot lock the registry by suspending or revoking itself. `revoked` is final.
    public func decide(_ command: PartyCommand, by actor: Party?) throws(KuraError) -> [PartyEvent] {
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
        }
        return [.statusChanged(from: status, to: target)]
    }

    private static func requireOperator(_ actor: Party?, toDo what: String) throws(KuraError) {
        guard let actor, actor.canAct(as: .operator) else {
            throw KuraError(.forbidden, "only an active operator may \(what)")
        }
    }

    /// Applies a decided event. Never fails: a registration on an existing party changes nothing.
    public mutating func apply(_ event: PartyEvent) {
        if case .statusChanged(_, let to) = event { status = to }
    }

    /// The party as its events left it, or nil if the first event is not a registration.
    public static func fold(_ events: [PartyEvent]) -> Party? {
        guard case .registered(var party, _)? = events.first else { return nil }
        for event in events.dropFirst() { party.apply(event) }
        return party
    }
}

import KuraClient
import KuraCore
import KuraCrypto
import KuraService

extension LocalBackend {
    func changeStatus(of id: PartyID, _ action: PartyAction, idempotencyKey: String?) async throws -> Party {
        try await service.changeStatus(
            of: id, try PartyAction.statusCommand(action), by: principal, idempotencyKey: idempotencyKey
        ).value
    }

    func rotateKey(of id: PartyID, to newKey: Ed25519.SecretKey, idempotencyKey: String?) async throws
        -> PartyRegistration
    {
        let current = try await service.party(id).publicKey
        let request = RotateKeyRequest(instance: service.instance, party: id, from: current, to: newKey)
        return try await service.rotateKey(of: id, request, by: principal, idempotencyKey: idempotencyKey).value
    }

    func rotateAPIKey(of id: PartyID, idempotencyKey: String?) async throws -> PartyRegistration {
        try await service.rotateAPIKey(of: id, by: principal, idempotencyKey: idempotencyKey).value
    }
}

extension RemoteBackend {
    func changeStatus(of id: PartyID, _ action: PartyAction, idempotencyKey: String?) async throws -> Party {
        try await remote { () async throws(KuraClientError) in
            try await client.changeStatus(of: id, action, idempotencyKey: idempotencyKey)
        }
    }

    func rotateKey(of id: PartyID, to newKey: Ed25519.SecretKey, idempotencyKey: String?) async throws
        -> PartyRegistration
    {
        try await remote { () async throws(KuraClientError) in
            let current = try await client.party(id).publicKey
            return try await client.rotateKey(of: id, from: current, to: newKey, idempotencyKey: idempotencyKey)
        }
    }

    func rotateAPIKey(of id: PartyID, idempotencyKey: String?) async throws -> PartyRegistration {
        try await remote { () async throws(KuraClientError) in
            try await client.rotateAPIKey(of: id, idempotencyKey: idempotencyKey)
        }
    }
}

extension PartyAction {
    /// The party command of a status action.
    static func statusCommand(_ action: PartyAction) throws(KuraError) -> PartyCommand {
        switch action {
        case .suspend: .suspend
        case .reactivate: .reactivate
        case .revoke: .revoke
        case .key, .apiKey: throw KuraError(.invalidRequest, "\(action.rawValue) is not a status change")
        }
    }
}

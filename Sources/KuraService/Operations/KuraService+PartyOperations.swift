import KuraCore

extension KuraService {
    /// The party operations of ``KuraAPI``, bound to the service.
    static let partyOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.registerParty) { (service, call) throws(KuraError) in
            try await service.registerParty(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showParty) { (service, call) throws(KuraError) in
            try await service.party(call.path)
        },
        statusChange(KuraAPI.suspendParty, .suspend), statusChange(KuraAPI.reactivateParty, .reactivate),
        statusChange(KuraAPI.revokeParty, .revoke),
        OperationBinding(KuraAPI.rotatePartyKey) { (service, call) throws(KuraError) in
            try await service.rotateKey(
                of: call.path, call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.rotatePartyAPIKey) { (service, call) throws(KuraError) in
            _ = try call.request
            return try await service.rotateAPIKey(
                of: call.path, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
    ]

    /// A status change: no body.
    private static func statusChange(
        _ operation: KuraOperation<PartyID, NoQuery, EmptyRequest, Party>, _ command: PartyCommand
    ) -> OperationBinding<PartyID, NoQuery, EmptyRequest, Party> {
        OperationBinding(operation) { (service, call) throws(KuraError) in
            _ = try call.request
            return try await service.changeStatus(
                of: call.path, command, by: call.principal, idempotencyKey: call.idempotencyKey)
        }
    }
}

import KuraCore

extension KuraService {
    /// The channel operations of ``KuraAPI``, bound to the service.
    static let channelOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.openChannel) { (service, call) throws(KuraError) in
            try await service.openChannel(call.request, by: call.principal, idempotencyKey: call.idempotencyKey)
        },
        OperationBinding(KuraAPI.showChannel) { (service, call) throws(KuraError) in
            try await service.channel(call.path, by: call.principal)
        },
        act(KuraAPI.topUpChannel, .topup), act(KuraAPI.settleChannel, .settle), act(KuraAPI.closeChannel, .close),
    ]

    /// An action on an existing channel: the service reads the body for the action itself.
    private static func act<Body>(
        _ operation: KuraOperation<ChannelID, NoQuery, Body, Channel>, _ action: ChannelAction
    ) -> OperationBinding<ChannelID, NoQuery, Body, Channel> {
        OperationBinding(operation) { (service, call) throws(KuraError) in
            try await service.act(
                onChannel: call.path, action, body: call.body, by: call.principal, idempotencyKey: call.idempotencyKey)
        }
    }
}

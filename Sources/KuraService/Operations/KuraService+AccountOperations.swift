import KuraCore

extension KuraService {
    /// The account operations of ``KuraAPI`` (the ledger's and Solana's rails), bound to the service.
    static let accountOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.deposit) { (service, call) throws(KuraError) in
            switch try call.request {
            case .ledger(let request):
                try await service.deposit(
                    request, to: call.path, by: try call.principal, idempotencyKey: call.idempotencyKey)
            case .solana(let proof):
                try await service.depositFromSolana(
                    proof, to: call.path, by: try call.principal, idempotencyKey: call.idempotencyKey)
            }
        },
        OperationBinding(KuraAPI.withdraw) { (service, call) throws(KuraError) in
            switch try call.request {
            case .ledger(let request):
                let reply = try await service.withdraw(
                    request, from: call.path, by: try call.principal, idempotencyKey: call.idempotencyKey)
                return Reply(value: .account(reply.value), replayed: reply.replayed)
            case .solana(let ask):
                let reply = try await service.withdrawToSolana(
                    ask, from: call.path, by: try call.principal, idempotencyKey: call.idempotencyKey)
                return Reply(value: .solana(reply.value), replayed: reply.replayed)
            }
        },
        OperationBinding(KuraAPI.showAccount) { (service, call) throws(KuraError) in
            try await service.account(call.path, by: try call.principal)
        },
        OperationBinding(KuraAPI.showWithdrawal) { (service, call) throws(KuraError) in
            try await service.withdrawal(call.path, by: try call.principal)
        },
        OperationBinding(KuraAPI.acceptChainReceipt) { (service, call) throws(KuraError) in
            try await service.acceptChainReceipt(
                try call.request, by: try call.principal, idempotencyKey: call.idempotencyKey)
        },
    ]
}

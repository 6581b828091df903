import KuraClient
import KuraCore
import KuraService

extension LocalBackend {
    func createMandate(_ request: CreateMandateRequest, idempotencyKey: String?) async throws -> Mandate {
        try await service.createMandate(request, by: principal, idempotencyKey: idempotencyKey).value
    }
    func mandate(_ id: MandateID) async throws -> Mandate { try await service.mandate(id, by: principal) }
    func changeMandate(_ id: MandateID, _ change: MandateCommand, idempotencyKey: String?) async throws -> Mandate {
        try await service.changeMandate(id, change, by: principal, idempotencyKey: idempotencyKey).value
    }
    func openPosition(_ request: OpenPositionRequest, idempotencyKey: String?) async throws -> Position {
        try await service.openPosition(request, by: principal, idempotencyKey: idempotencyKey).value
    }
    func position(_ id: PositionID) async throws -> Position { try await service.position(id, by: principal) }
    func actOnPosition(
        _ id: PositionID, _ action: KuraService.PositionAction, amount: Amount?, idempotencyKey: String?
    ) async throws -> Position {
        try await service.actOnPosition(id, action, amount: amount, by: principal, idempotencyKey: idempotencyKey).value
    }
    func postPrice(_ request: PostPriceRequest, idempotencyKey: String?) async throws -> PriceUpdate {
        try await service.postPrice(request, by: principal, idempotencyKey: idempotencyKey).value
    }
    func prices() async throws -> [Price] { try await service.prices() }
}

extension RemoteBackend {
    func createMandate(_ request: CreateMandateRequest, idempotencyKey: String?) async throws -> Mandate {
        try await facilitator { () async throws(KuraClientError) in
            try await client.createMandate(request, idempotencyKey: idempotencyKey)
        }
    }
    func mandate(_ id: MandateID) async throws -> Mandate {
        try await facilitator { () async throws(KuraClientError) in try await client.mandate(id) }
    }
    func changeMandate(_ id: MandateID, _ change: MandateCommand, idempotencyKey: String?) async throws -> Mandate {
        try await facilitator { () async throws(KuraClientError) in
            switch change {
            case .topUp(let amount): try await client.topUpMandate(id, amount: amount, idempotencyKey: idempotencyKey)
            case .revoke, .expire: try await client.revokeMandate(id, idempotencyKey: idempotencyKey)
            }
        }
    }
    func openPosition(_ request: OpenPositionRequest, idempotencyKey: String?) async throws -> Position {
        try await facilitator { () async throws(KuraClientError) in
            try await client.openPosition(request, idempotencyKey: idempotencyKey)
        }
    }
    func position(_ id: PositionID) async throws -> Position {
        try await facilitator { () async throws(KuraClientError) in try await client.position(id) }
    }
    func actOnPosition(
        _ id: PositionID, _ action: KuraService.PositionAction, amount: Amount?, idempotencyKey: String?
    ) async throws -> Position {
        try await facilitator { () async throws(KuraClientError) in
            try await client.actOnPosition(id, action.rawValue, amount: amount, idempotencyKey: idempotencyKey)
        }
    }
    func postPrice(_ request: PostPriceRequest, idempotencyKey: String?) async throws -> PriceUpdate {
        try await facilitator { () async throws(KuraClientError) in
            try await client.postPrice(request, idempotencyKey: idempotencyKey)
        }
    }
    func prices() async throws -> [Price] {
        try await facilitator { () async throws(KuraClientError) in try await client.prices() }
    }

    /// Maps a client failure to the same KuraError a local call would throw.
    private func facilitator<T>(_ body: () async throws(KuraClientError) -> T) async throws -> T {
        do { return try await body() } catch { throw error.kuraError }
    }
}

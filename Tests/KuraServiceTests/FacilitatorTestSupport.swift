import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

let sol = try! Asset("SOL")

/// A database with an operator, an agent holding 1,000,000 USDC and 10^12 SOL units, a provider and a stranger.
struct FacilitatorWorld {
    let db: TestDatabase
    let agent: Party
    let provider: Party
    let stranger: Party

    var service: KuraService { db.service }
    var clock: TestClock { db.clock }

    static func make(
        _ label: String = #function, configuration: ServiceConfiguration = ServiceConfiguration(),
        funds: UInt64 = 1_000_000, backend: (any TestBackendDatabase)? = nil, logger: Logger = .quiet()
    ) async throws -> FacilitatorWorld {
        let db = try await TestDatabase(configuration: configuration, label: label, backend: backend, logger: logger)
        do {
            let agent = try await db.register(name: "agent", roles: [.agent]).party
            let provider = try await db.register(name: "provider", roles: [.provider]).party
            let stranger = try await db.register(name: "stranger", roles: [.agent, .provider]).party
            try await db.deposit(party: agent, amount: funds)
            try await db.deposit(party: agent, asset: "SOL", amount: 1_000_000_000_000)
            return FacilitatorWorld(db: db, agent: agent, provider: provider, stranger: stranger)
        } catch {
            db.close()
            throw error
        }
    }

    func close() { db.close() }

    func principal(_ party: Party) -> Principal { db.principal(party) }

    /// A mandate of the agent's, created by the agent.
    func mandate(
        amount: UInt64 = 100_000, perTxCap: UInt64 = 10_000, dailyCap: UInt64 = 50_000,
        allowed: [PartyID]? = nil, expiresIn: Int64 = 86_400_000 * 30
    ) async throws -> Mandate {
        let request = CreateMandateRequest(
            agent: agent.id, asset: usdc, amount: try Amount(units: amount), perTxCap: try Amount(units: perTxCap),
            dailyCap: try Amount(units: dailyCap), allowedCounterparties: allowed ?? [provider.id],
            expiresAt: clock.now.adding(milliseconds: expiresIn))
        return try await service.createMandate(request, by: principal(agent), idempotencyKey: nil).value
    }

    /// Verifies a payment to the provider on the enterprise lane.
    func verify(_ mandate: MandateID, amount: UInt64 = 1_000, to counterparty: PartyID? = nil)
        async throws -> ReservationVerifyResponse
    {
        let request = ReservationVerifyRequest(
            amount: try Amount(units: amount), lane: .enterprise, mandate: mandate, agent: agent.id,
            counterparty: counterparty ?? provider.id)
        return try await service.verify(request, by: principal(agent), idempotencyKey: nil).value
    }

    /// Settles as the provider.
    func settle(_ verified: ReservationVerifyResponse, envelope: String? = nil, lane: Lane? = nil) async throws
        -> ReservationSettleResponse
    {
        try await service.settle(
            ReservationSettleRequest(
                reservationId: verified.reservationId, envelope: envelope ?? verified.envelope, lane: lane),
            by: principal(provider), idempotencyKey: nil
        ).value
    }

    /// A SOL-collateralised position of the agent's paying in USDC, after posting `price` USDC units per 10^9 SOL
    /// units. The defaults: 100 × 10^9 SOL units at 1,000 are worth 100,000 USDC units, a credit line of 60,000.
    func position(collateral: UInt64 = 100_000_000_000, cap: UInt64 = 10_000, price: UInt64 = 1_000)
        async throws -> Position
    {
        _ = try await service.postPrice(
            PostPriceRequest(base: sol, quote: usdc, price: price), by: db.operatorPrincipal, idempotencyKey: nil)
        let request = OpenPositionRequest(
            agent: agent.id, collateralAsset: sol, collateral: try Amount(units: collateral), asset: usdc,
            singlePaymentCap: try Amount(units: cap))
        return try await service.openPosition(request, by: principal(agent), idempotencyKey: nil).value
    }

    func verifyFast(_ position: PositionID, amount: UInt64) async throws -> ReservationVerifyResponse {
        let request = ReservationVerifyRequest(
            amount: try Amount(units: amount), lane: .cryptoFast, collateral: position, agent: agent.id,
            counterparty: provider.id)
        return try await service.verify(request, by: principal(agent), idempotencyKey: nil).value
    }

    func ledger(_ account: AccountName, _ asset: Asset = usdc) async throws -> Int64 {
        try await ledgerBalance(service, account, asset)
    }

    func available(_ party: Party, _ asset: Asset = usdc) async throws -> Int64 {
        try await ledger(.available(party.id), asset)
    }

    func events(_ stream: String) async throws -> [Event] { try await service.store.events(inStream: stream) }
}

import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// `POST /v1/positions`: locks collateral from the agent's available balance and opens a credit line with
    /// the configured LTV and minimum health factor.
    public func openPosition(_ request: OpenPositionRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<Position>
    {
        let terms = PositionTerms(
            agent: request.agent, collateralAsset: request.collateralAsset, collateral: request.collateral,
            asset: request.asset, singlePaymentCap: request.singlePaymentCap, ltvBps: configuration.ltvBps,
            minHealthBps: configuration.minHealthBps)
        return try await command(
            "position.open", encoding: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Position in
            let state = tx.state
            try state.requireActive(principal)
            _ = try state.requireActiveParty(request.agent)
            let id = PositionID.derive(command: context.command, seq: context.seq)
            let events = try Position.decideOpen(
                id: id, terms: terms, by: principal.id, actorIsOperator: try state.isOperator(principal),
                agentAvailable: try state.available(request.agent, request.collateralAsset), now: context.now)
            try context.append(events, toNew: "position/\(id)", &tx)
            guard let position = Position.fold(events) else { throw KuraError(.internalError, "open made no position") }
            return position
        }
    }

    /// What can be asked of an open position over the API.
    public enum PositionAction: String, Sendable, CaseIterable {
        case repay, liquidate, close
    }

    /// `POST /v1/positions/{id}/repay` (`amount`), `/liquidate` (operators; voids the position's live reservations
    /// first, then sells collateral at the current price) and `/close`.
    public func actOnPosition(
        _ id: PositionID, _ action: PositionAction, amount: Amount?, by principal: Principal, idempotencyKey: String?
    ) async throws(KuraError) -> Reply<Position> {
        if action == .repay, amount == nil { throw KuraError(.invalidRequest, "repay needs an amount") }
        if action != .repay, amount != nil { throw KuraError(.invalidRequest, "\(action.rawValue) takes no amount") }
        var request: JSONValue = ["position": .string(id.rawValue)]
        if let amount { request = ["position": .string(id.rawValue), "amount": try .of(amount)] }
        return try await command(
            "position.\(action.rawValue)", request: request, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Position in
            let state = tx.state
            try state.requireActive(principal)
            guard let found = try state.position(id)?.position else { throw KuraError(.notFound, "no position \(id)") }
            let isOperator = try state.isOperator(principal)
            let price = try state.price(base: found.collateralAsset, quote: found.asset)?.price
            let command: PositionCommand
            switch action {
            case .repay: command = .repay(amount ?? .zero)
            case .close: command = .close
            case .liquidate:
                guard isOperator else { throw KuraError(.forbidden, "only an operator liquidates a position") }
                guard found.state == .frozen else {
                    throw KuraError(.invalidTransition, "only a frozen position is liquidated; \(id) is \(found.state)")
                }
                guard let price else { throw KuraError(.priceUnavailable, "no price for position \(id)") }
                for reservationId in try state.liveReservationIDs(source: id.rawValue) {
                    guard let reservation = try state.reservation(reservationId)?.reservation else { continue }
                    try Self.voidReservation(reservation, .liquidated, context, &tx)
                }
                command = .liquidate(price)
            }
            // Again: voiding the live reservations changed the position.
            guard var position = try state.position(id)?.position else {
                throw KuraError(.notFound, "no position \(id)")
            }
            let available = try state.available(position.agent, position.asset)
            let events = try position.decide(
                command, by: principal.id, actorIsOperator: isOperator, agentAvailable: available, price: price,
                now: context.now)
            try context.append(events, to: "position/\(id)", &tx)
            for event in events { position.apply(event) }
            return position
        }
    }

    /// A position, visible to its agent and operators.
    public func position(_ id: PositionID, by principal: Principal) async throws(KuraError) -> Position {
        try await read { reads throws(KuraError) in
            guard let position = try reads.position(id)?.position else {
                throw KuraError(.notFound, "no position \(id)")
            }
            if principal.id != position.agent {
                try reads.requireRole(.operator, principal, "see another's position")
            }
            return position
        }
    }

    /// `POST /v1/prices` (operators): records the price, then freezes every active position of that pair whose
    /// health factor it takes below the minimum, and unfreezes every frozen one it restores.
    public func postPrice(_ request: PostPriceRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<PriceUpdate>
    {
        try await command("price.post", encoding: request, by: principal, idempotencyKey: idempotencyKey) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> PriceUpdate in
            let state = tx.state
            try state.requireRole(.operator, principal, "post prices")
            let event = try Price.decidePost(
                base: request.base, quote: request.quote, units: request.price, now: context.now)
            try context.append([event], to: "price/\(request.base)/\(request.quote)", &tx)
            guard case .posted(let price) = event else { throw KuraError(.internalError, "no price posted") }
            var update = PriceUpdate(price: price, frozen: [], unfrozen: [])
            for id in try state.positionIDs(pair: PositionRow.pair(request.base, request.quote)) {
                guard let position = try state.position(id)?.position else { continue }
                let events = position.decideReprice(price, now: context.now)
                try context.append(events, to: "position/\(id)", &tx)
                for event in events {
                    if case .frozen = event { update.frozen.append(id) }
                    if case .unfrozen = event { update.unfrozen.append(id) }
                }
            }
            return update
        }
    }

    /// Every posted price, by base then quote.
    public func prices() async throws(KuraError) -> [Price] {
        try await read { reads throws(KuraError) in try reads.prices().map(\.price) }
    }
}

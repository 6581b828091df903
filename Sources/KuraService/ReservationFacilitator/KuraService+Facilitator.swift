import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// The `kid` of the current signing key.
    public var envelopeKeyID: String { DecisionEnvelope.keyID(name: signer.name, publicKey: signer.key.publicKey) }

    /// Every key whose envelopes verify, by `kid`: the current key and ``ServiceConfiguration/previousVerifiers``.
    public var envelopeKeys: [String: Ed25519.PublicKey] {
        var keys = [envelopeKeyID: signer.key.publicKey]
        // The current key keeps its kid even if a previous one were to share it (the kid is 32 bits of a hash).
        for verifier in configuration.previousVerifiers {
            let kid = DecisionEnvelope.keyID(name: verifier.name, publicKey: verifier.publicKey)
            if keys[kid] == nil { keys[kid] = verifier.publicKey }
        }
        return keys
    }

    /// The JWK set of ``envelopeKeys`` (RFC 7517, OKP keys of RFC 8037), current key first:
    /// `{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": base64url, "kid", "alg": "EdDSA", "use": "sig"}]}`, with
    /// `alg` as ``ServiceConfiguration/joseAlgorithm`` says (`EdDSA` or `Ed25519`).
    public var jwks: JSONValue {
        let current = envelopeKeyID
        let keys = envelopeKeys.sorted { ($0.key != current ? 1 : 0, $0.key) < ($1.key != current ? 1 : 0, $1.key) }
        return [
            "keys": .array(
                keys.map { kid, key in
                    [
                        "kty": "OKP", "crv": "Ed25519", "x": .string(Base64.urlEncode(key.bytes)), "kid": .string(kid),
                        "alg": .string(configuration.joseAlgorithm.rawValue), "use": "sig",
                    ]
                })
        ]
    }

    /// The rail settles run on: Kura's own ledger.
    var settlementRail: any SettlementRail { LedgerRail(signer: signer) }

    /// `POST /x402/verify`: reserves the payment and returns the signed decision.
    ///
    /// Checks, in order: the caller is the agent or an operator (`forbidden`), both parties are active
    /// (`party_inactive`), the lane and funding fit (`lane_mismatch`), the funding exists and is the agent's
    /// (`not_found`, `forbidden`), then the funding's own checks (mandate: `mandate_inactive`,
    /// `counterparty_not_allowed`, `cap_exceeded`, `mandate_exhausted`; position: `position_frozen`,
    /// `position_inactive`, `price_unavailable`, `cap_exceeded`, `credit_exceeded`).
    public func verify(_ request: ReservationVerifyRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<ReservationVerifyResponse>
    {
        let canonical = try JSONValue.canonicalRequest(request)
        let requestHash = Hex.encode(SHA256.hash(canonical))
        let ttl = configuration.reservationTtlMs
        let reply = try await command(
            CanonicalCommand(operation: "x402.verify", canonicalRequest: canonical), by: principal,
            idempotencyKey: idempotencyKey
        ) {
            (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Reservation in
            let state = tx.state
            let isOperator = try state.isOperator(principal)
            guard principal.id == request.agent || isOperator else {
                throw KuraError(.forbidden, "only the agent or an operator asks to verify the agent's payment")
            }
            for party in [request.agent, request.counterparty] {
                guard let current = try state.party(party), current.status == .active else {
                    throw KuraError(.partyInactive, "\(party) is not an active party")
                }
            }
            let id = ReservationID.derive(command: context.command, seq: context.seq)
            let asset: Asset
            switch (request.lane, request.mandate, request.collateral) {
            case (.enterprise, let mandateId?, nil):
                guard let mandate = try state.mandate(mandateId)?.mandate else {
                    throw KuraError(.notFound, "no mandate \(mandateId)")
                }
                guard mandate.agent == request.agent else {
                    throw KuraError(.forbidden, "mandate \(mandateId) is not \(request.agent)'s")
                }
                asset = request.asset ?? mandate.asset
                try mandate.authorize(
                    amount: request.amount, asset: asset, counterparty: request.counterparty, now: context.now)
            case (.cryptoFast, nil, let positionId?):
                guard let position = try state.position(positionId)?.position else {
                    throw KuraError(.notFound, "no position \(positionId)")
                }
                guard position.agent == request.agent else {
                    throw KuraError(.forbidden, "position \(positionId) is not \(request.agent)'s")
                }
                asset = request.asset ?? position.asset
                let price = try state.price(base: position.collateralAsset, quote: position.asset)?.price
                try position.authorize(amount: request.amount, asset: asset, price: price, now: context.now)
            case (_, .some, .some):
                throw KuraError(.laneMismatch, "name either a mandate (enterprise) or collateral (crypto-fast)")
            case (.enterprise, _, _):
                throw KuraError(.laneMismatch, "the enterprise lane draws on a mandate: name one in 'mandate'")
            case (.cryptoFast, _, _):
                throw KuraError(.laneMismatch, "the crypto-fast lane draws on a position: name one in 'collateral'")
            }
            let reservation = Reservation(
                id: id, lane: request.lane, mandateId: request.mandate, positionId: request.collateral,
                agent: request.agent, counterparty: request.counterparty, amount: request.amount, asset: asset,
                requestHash: requestHash, resource: request.resource, paymentId: request.paymentId,
                issuedAt: context.now, expiresAt: context.now.adding(milliseconds: ttl))
            try context.append(try Reservation.decideReserve(reservation), toNew: "reservation/\(id)", &tx)
            return reservation
        }
        // Signed outside the write transaction (the writer is the bottleneck); Ed25519 is deterministic, so a
        // replayed reply is signed to the same envelope while the key is the same.
        let reservation = reply.value
        let decision = reservation.decision
        let envelope = DecisionEnvelope.sign(
            decision, kid: envelopeKeyID, key: signer.key, algorithm: configuration.joseAlgorithm)
        // What settle takes from memory is what opening the envelope gives (checked in debug builds, so by every test).
        assert((try? DecisionEnvelope.open(envelope, keys: envelopeKeys)) == decision, "an envelope that does not open")
        issuedEnvelopes.remember(envelope, decision)
        return Reply(
            value: ReservationVerifyResponse(
                reservationId: reservation.id, envelope: envelope, approvedAmount: reservation.amount,
                expiresAt: reservation.expiresAt, lane: reservation.lane),
            replayed: reply.replayed)
    }

    /// `POST /x402/settle`: executes a live reservation exactly once. A repeat (any caller, any key) answers the
    /// first result with `idempotent: true`.
    ///
    /// Checks, in order: the envelope (`envelope_invalid`, `unknown_key`), that it names this reservation
    /// (`envelope_mismatch`), the reservation exists (`reservation_not_found`), the caller is its counterparty,
    /// agent or an operator (`forbidden`), the lane (`lane_mismatch`: the request's or the envelope's), the
    /// decision equals the stored one (`envelope_mismatch`), the state (`reservation_voided`; settled answers the
    /// stored result), the time (`reservation_expired` from `expiresAt` on).
    public func settle(_ request: ReservationSettleRequest, by principal: Principal, idempotencyKey: String?)
        async throws(KuraError) -> Reply<ReservationSettleResponse>
    {
        // The signature is checked before the write transaction (the single writer only compares values), unless
        // this process signed these very bytes.
        let decision: ReservationDecision
        if let issued = issuedEnvelopes.decision(request.envelope) {
            decision = issued
        } else {
            decision = try DecisionEnvelope.open(request.envelope, keys: envelopeKeys)
        }
        guard decision.reservation == request.reservationId else {
            throw KuraError(
                .envelopeMismatch, "the envelope is for \(decision.reservation), not \(request.reservationId)")
        }
        let fees = configuration.fees
        let rail = settlementRail
        // The settlement record follows from the signed decision and the command's time, both fixed before the
        // writer: its signature (deterministic Ed25519) is made here, and the writer only checks that the record
        // it decides is this one.
        let now = clock.now()
        let (net, fee) = fees.settlementSplit(decision.amount)
        let expected = SettlementRecord(
            rail: rail.name, subject: decision.reservation.rawValue, lane: decision.lane, payer: decision.agent,
            payee: decision.counterparty, amount: decision.amount, fee: fee, net: net, asset: decision.asset,
            settledAt: now)
        let presigned = (record: expected, txSignature: try rail.execute(expected))
        let reply = try await command(
            "x402.settle", encoding: request, by: principal, idempotencyKey: idempotencyKey, at: now
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> ReservationSettleResponse in
            let id = request.reservationId
            let state = tx.state
            guard let row = try state.reservation(id) else {
                throw KuraError(.reservationNotFound, "no reservation \(id)")
            }
            let reservation = row.reservation
            let isOperator = try state.isOperator(principal)
            guard principal.id == reservation.counterparty || principal.id == reservation.agent || isOperator else {
                throw KuraError(.forbidden, "only the counterparty, the agent or an operator settles reservation \(id)")
            }
            if let lane = request.lane, lane != reservation.lane {
                throw KuraError(.laneMismatch, "reservation \(id) is on the \(reservation.lane.rawValue) lane")
            }
            guard decision.lane == reservation.lane else {
                throw KuraError(
                    .laneMismatch,
                    "the envelope says \(decision.lane.rawValue); reservation \(id) is \(reservation.lane.rawValue)")
            }
            guard decision == reservation.decision else {
                throw KuraError(.envelopeMismatch, "the envelope's decision differs from reservation \(id)'s")
            }
            if reservation.state == .settled, var first = row.settlement {
                first.idempotent = true
                return first
            }
            let (record, postings) = try reservation.decideSettle(
                by: principal.id, actorIsOperator: isOperator, now: context.now, fees: fees, rail: rail.name)
            let txSignature = record == presigned.record ? presigned.txSignature : try rail.execute(record)
            let settled = ReservationEvent.settled(record: record, txSignature: txSignature, postings: postings)
            let event = try tx.append(
                NewEvent(stream: "reservation/\(id)", event: settled),
                actor: context.actor, commandId: context.commandId, at: context.now)
            return ReservationSettleResponse(
                txSignature: txSignature, billableEventId: event.id, settledAt: record.settledAt,
                amount: record.amount, lane: reservation.lane, idempotent: false)
        }
        var value = reply.value
        if reply.replayed { value.idempotent = true }
        return Reply(value: value, replayed: reply.replayed)
    }

    /// A reservation, visible to its agent, its counterparty and operators.
    public func reservation(_ id: ReservationID, by principal: Principal) async throws(KuraError) -> Reservation {
        try await read { reads throws(KuraError) in
            guard let reservation = try reads.reservation(id)?.reservation else {
                throw KuraError(.reservationNotFound, "no reservation \(id)")
            }
            if principal.id != reservation.agent && principal.id != reservation.counterparty {
                try reads.requireRole(.operator, principal, "see another party's reservation")
            }
            return reservation
        }
    }

    /// Voids one reservation (expiry by the sweeper, or liquidation), returning the hold to its source, or to the
    /// agent when its mandate has closed meanwhile.
    static func voidReservation(
        _ reservation: Reservation, _ reason: Reservation.VoidReason, _ context: CommandContext,
        _ tx: inout WriteTransaction
    ) throws(KuraError) {
        var refundTo = reservation.source
        if let mandateId = reservation.mandateId, try tx.state.mandate(mandateId)?.mandate.state != .active {
            refundTo = .available(reservation.agent)
        }
        let events = try reservation.decideVoid(reason, refundTo: refundTo, now: context.now)
        try context.append(events, to: "reservation/\(reservation.id)", &tx)
    }

    /// Voids reservations whose `expiresAt` has passed and expires mandates past theirs; part of ``sweep()``.
    func sweepFacilitator(now: Timestamp, into report: inout SweepReport) async throws(KuraError) {
        let batch = configuration.sweepBatch
        let (reservations, mandates) = try await read { reads throws(KuraError) in
            (try reads.dueReservations(at: now, limit: batch), try reads.dueMandates(at: now, limit: batch))
        }
        let voids = reservations.map { id in
            SweepStep("reservation.void", ["reservation": .string(id.rawValue), "sweep": "expire"]) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) in
                guard let reservation = try tx.state.reservation(id)?.reservation else {
                    throw KuraError(.reservationNotFound, "no reservation \(id)")
                }
                try Self.voidReservation(reservation, .expired, context, &tx)
            }
        }
        // Not applied: settled between the query and the write.
        for (id, applied) in zip(reservations, await applySweep(voids)) where applied { report.voided.append(id) }
        let expiries = mandates.map { id in
            SweepStep("mandate.expire", ["mandate": .string(id.rawValue), "sweep": "expire"]) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) in
                _ = try Self.decideMandate(id, .expire, actor: nil, context, &tx)
            }
        }
        for (id, applied) in zip(mandates, await applySweep(expiries)) where applied {
            report.expiredMandates.append(id)
        }
    }
}

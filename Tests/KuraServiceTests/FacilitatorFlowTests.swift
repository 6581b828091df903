import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import KuraTesting
import Logging
import Testing

@Suite("Facilitator: verify and settle through the service")
struct FacilitatorFlowTests {
    @Test("enterprise: mandate, verify, settle; the provider gets the amount less 10 bps, every unit accounted for")
    func enterpriseHappyPath() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate(amount: 100_000, perTxCap: 50_000)
        #expect(try await world.available(world.agent) == 900_000)
        #expect(try await world.ledger(.mandateFunds(mandate.id)) == 100_000)

        let verified = try await world.verify(mandate.id, amount: 20_000)
        #expect(verified.approvedAmount.units == 20_000 && verified.lane == .enterprise)
        #expect(verified.expiresAt == world.clock.now.adding(milliseconds: 120_000))
        #expect(try await world.ledger(.reservationHeld(verified.reservationId)) == 20_000)
        #expect(try await world.ledger(.mandateFunds(mandate.id)) == 80_000)
        let decision = try DecisionEnvelope.open(verified.envelope, keys: world.service.envelopeKeys)
        #expect(decision.reservation == verified.reservationId && decision.amount.units == 20_000)
        #expect(decision.agent == world.agent.id && decision.counterparty == world.provider.id)

        world.clock.advance(by: 5_000)
        let settled = try await world.settle(verified)
        #expect(!settled.idempotent && settled.amount.units == 20_000 && settled.lane == .enterprise)
        #expect(settled.settledAt == world.clock.now)
        #expect(try await world.available(world.provider) == 19_980)
        #expect(try await world.ledger(.fees) == 20)
        #expect(try await world.ledger(.reservationHeld(verified.reservationId)) == 0)
        #expect(try await world.service.ledgerViolations() == [])

        // The txSignature is Kura's signature over the settlement record in the settled event.
        let events = try await world.events("reservation/\(verified.reservationId)")
        #expect(events.map(\.type) == ["reservation.reserved", "reservation.settled"])
        #expect(settled.billableEventId == events[1].id)
        let event = try ReservationEvent(type: events[1].type, payload: events[1].payload)
        guard case .settled(let record, let signature, _) = event else {
            Issue.record("not a settled event: \(event)")
            return
        }
        #expect(signature == settled.txSignature)
        #expect(record.verifyLedgerSignature(signature, with: TestKeys.serviceSigner.key.publicKey))
        #expect(record.fee.units == 20 && record.net.units == 19_980 && record.payee == world.provider.id)

        let reservation = try await world.service.reservation(verified.reservationId, by: world.principal(world.agent))
        #expect(reservation.state == .settled && reservation.txSignature == settled.txSignature)
        let kinds = try await world.service.receipts(party: world.agent.id, kind: nil, cursor: nil, limit: 10).items
        #expect(kinds.map(\.outcome).sorted() == ["reserved", "settled"])
        let after = try await world.service.mandate(mandate.id, by: world.principal(world.agent))
        #expect(after.balance.units == 80_000 && after.spentToday.units == 20_000)
    }

    @Test("100 concurrent settles of one reservation: one settlement, 99 idempotent answers, one txSignature")
    func concurrentSettles() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate()
        let verified = try await world.verify(mandate.id, amount: 5_000)
        let answers = try await withThrowingTaskGroup(of: ReservationSettleResponse.self) { group in
            for _ in 0..<100 { group.addTask { try await world.settle(verified) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 100)
        #expect(answers.filter { !$0.idempotent }.count == 1)
        #expect(answers.filter(\.idempotent).count == 99)
        #expect(Set(answers.map(\.txSignature)).count == 1)
        #expect(Set(answers.map(\.billableEventId)).count == 1)
        #expect(try await world.events("reservation/\(verified.reservationId)").count == 2)
        #expect(try await world.available(world.provider) == 4_995)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test(
        "1,000 concurrent verifies against a mandate that affords 500: exactly 500 approvals, never over a cap",
        arguments: ["balance", "daily cap"])
    func concurrentVerifies(limit: String) async throws {
        let world = try await FacilitatorWorld.make(funds: 1_000_000)
        defer { world.close() }
        // Either the balance or the daily cap allows exactly 500 payments of 100.
        let mandate =
            limit == "balance"
            ? try await world.mandate(amount: 50_000, perTxCap: 100, dailyCap: 1_000_000)
            : try await world.mandate(amount: 500_000, perTxCap: 100, dailyCap: 50_000)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<1_000 {
                group.addTask {
                    do {
                        _ = try await world.verify(mandate.id, amount: 100)
                        return "approved"
                    } catch let error as KuraError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        let refusal = limit == "balance" ? "mandate_exhausted" : "cap_exceeded"
        #expect(outcomes == ["approved": 500, refusal: 500])
        let after = try await world.service.mandate(mandate.id, by: world.principal(world.agent))
        #expect(after.spentToday.units == 50_000)
        #expect(after.spentToday <= after.dailyCap)
        #expect(try await world.ledger(.mandateFunds(mandate.id)) == Int64(after.balance.units))
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test(
        "settle at expiresAt − 1 ms succeeds; at expiresAt and + 1 ms it is reservation_expired", arguments: [-1, 0, 1])
    func expiryEdge(offset: Int64) async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate()
        let verified = try await world.verify(mandate.id, amount: 1_000)
        world.clock.set(verified.expiresAt.adding(milliseconds: offset))
        let error = await refusal { try await world.settle(verified) }
        if offset < 0 {
            #expect(error == nil)
            #expect(try await world.available(world.provider) == 999)
        } else {
            #expect(error?.code == .reservationExpired)
            #expect(try await world.available(world.provider) == 0)
            #expect(try await world.ledger(.reservationHeld(verified.reservationId)) == 1_000)
        }
    }

    @Test("the sweeper voids an expired reservation: the hold and the day's spend go back to the mandate")
    func sweeperVoids() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate(amount: 10_000, perTxCap: 10_000, dailyCap: 10_000)
        let verified = try await world.verify(mandate.id, amount: 10_000)
        let spent = await refusal { try await world.verify(mandate.id, amount: 1) }
        #expect(spent?.code == .capExceeded)

        world.clock.advance(by: 119_999)
        #expect(try await world.service.sweep().voided == [])
        world.clock.advance(by: 1)
        let report = try await world.service.sweep()
        #expect(report.voided == [verified.reservationId])
        #expect(try await world.ledger(.reservationHeld(verified.reservationId)) == 0)
        #expect(try await world.ledger(.mandateFunds(mandate.id)) == 10_000)
        let voided = await refusal { try await world.settle(verified) }
        #expect(voided?.code == .reservationVoided)
        let receipts = try await world.service.receipts(
            party: world.agent.id, kind: "reservation.voided", cursor: nil, limit: 5)
        #expect(receipts.items.map(\.outcome) == ["voided"])
        // The cap counts reservations, less voided ones: the whole day's cap is free again.
        _ = try await world.verify(mandate.id, amount: 10_000)
        #expect(try await world.service.sweep().voided == [])
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("the daily cap counts by UTC day from the clock")
    func dailyCapPerUTCDay() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        // TestClock starts at midnight UTC; go to one minute before the next midnight.
        world.clock.advance(by: 86_400_000 - 60_000)
        let mandate = try await world.mandate(amount: 50_000, perTxCap: 5_000, dailyCap: 5_000)
        _ = try await world.verify(mandate.id, amount: 5_000)
        #expect(await refusal { try await world.verify(mandate.id, amount: 1) }?.code == .capExceeded)
        world.clock.advance(by: 60_000)
        _ = try await world.verify(mandate.id, amount: 5_000)
        #expect(await refusal { try await world.verify(mandate.id, amount: 1) }?.code == .capExceeded)
    }

    /// Adversarial review: a mandate keeps one day's spend. A reservation decided with an earlier day's time after
    /// one of a later day (another node whose clock is a moment behind, or a command whose time was taken before a
    /// later one's but reached the writer after it) set the count back to that earlier day, so the later day's
    /// spend was forgotten and its whole cap could be reserved again.
    @Test("a reservation timed on the day before, decided after one of the new day, does not reset the new day's cap")
    func dailyCapAcrossSkewedClocks() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        // This node is a second into the new UTC day; the other process on the same file is a second behind.
        world.clock.advance(by: 86_400_000 + 1_000)
        let behind = TestClock(world.clock.now.adding(milliseconds: -2_000))
        var writer = WriterConfiguration()
        writer.assertState = true
        let other = KuraService(
            store: try KuraService.openStore(path: world.db.path, create: false, durable: false, writer: writer),
            signer: TestKeys.serviceSigner, clock: behind.clock, logger: Logger.quiet())
        defer { other.store.close() }
        let mandate = try await world.mandate(amount: 100_000, perTxCap: 10_000, dailyCap: 10_000)
        _ = try await world.verify(mandate.id, amount: 10_000)

        let request = ReservationVerifyRequest(
            amount: try Amount(units: 10_000), lane: .enterprise, mandate: mandate.id, agent: world.agent.id,
            counterparty: world.provider.id)
        _ = try? await other.verify(request, by: world.principal(world.agent), idempotencyKey: nil)
        // Whatever the late reservation counted against, the new day has its whole cap reserved already.
        #expect(await refusal { try await world.verify(mandate.id, amount: 10_000) }?.code == .capExceeded)
        #expect(try await world.service.writerStateDifferences() == [])
    }

    @Test("verify refusals each have their own code, and write nothing")
    func verifyRefusals() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate(amount: 20_000, perTxCap: 10_000, dailyCap: 50_000)
        let head = try await world.service.store.head()
        func code(_ request: ReservationVerifyRequest, by party: Party? = nil) async -> String? {
            await refusal {
                try await world.service.verify(request, by: world.principal(party ?? world.agent), idempotencyKey: nil)
            }?.code.rawValue
        }
        func request(
            amount: UInt64 = 1_000, lane: Lane = .enterprise, mandate m: MandateID? = nil,
            collateral: PositionID? = nil,
            counterparty: PartyID? = nil
        ) throws -> ReservationVerifyRequest {
            ReservationVerifyRequest(
                amount: try Amount(units: amount), lane: lane, mandate: m ?? (collateral == nil ? mandate.id : nil),
                collateral: collateral, agent: world.agent.id, counterparty: counterparty ?? world.provider.id)
        }
        #expect(await code(try request(), by: world.stranger) == "forbidden")
        #expect(await code(try request(counterparty: world.stranger.id)) == "counterparty_not_allowed")
        #expect(await code(try request(amount: 10_001)) == "cap_exceeded")
        #expect(await code(try request(lane: .cryptoFast)) == "lane_mismatch")
        let positionID = try PositionID(validating: "pos_1111")
        #expect(await code(try request(lane: .enterprise, collateral: positionID)) == "lane_mismatch")
        #expect(await code(try request(amount: 0)) == "invalid_request")
        let unknown = try MandateID(validating: "mdt_1111")
        #expect(await code(try request(mandate: unknown)) == "not_found")
        _ = try await world.service.changeStatus(
            of: world.provider.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        let afterSuspend = try await world.service.store.head()
        #expect(await code(try request()) == "party_inactive")
        #expect(try await world.service.store.head() == afterSuspend)
        #expect(afterSuspend.seq == head.seq + 1)
    }

    @Test("revoke returns the remainder; a reservation made before still settles, and a late void pays the agent back")
    func revoke() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate(amount: 30_000)
        let first = try await world.verify(mandate.id, amount: 10_000)
        let second = try await world.verify(mandate.id, amount: 5_000)
        let revoked = try await world.service.changeMandate(
            mandate.id, .revoke, by: world.principal(world.agent), idempotencyKey: nil
        ).value
        #expect(revoked.state == .revoked && revoked.balance == .zero)
        #expect(try await world.available(world.agent) == 1_000_000 - 15_000)
        #expect(await refusal { try await world.verify(mandate.id, amount: 1) }?.code == .mandateInactive)
        _ = try await world.settle(first)
        world.clock.advance(by: 120_000)
        #expect(try await world.service.sweep().voided == [second.reservationId])
        #expect(try await world.available(world.agent) == 1_000_000 - 10_000)
        #expect(try await world.ledger(.mandateFunds(mandate.id)) == 0)
        let topUp = await refusal {
            try await world.service.changeMandate(
                mandate.id, .topUp(try Amount(units: 1)), by: world.principal(world.agent), idempotencyKey: nil)
        }
        #expect(topUp?.code == .invalidTransition)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("top-up adds funds; the sweeper expires a mandate, returns the remainder and logs the expiry")
    func topUpAndExpiry() async throws {
        let log = CapturedLog()
        let world = try await FacilitatorWorld.make(logger: log.logger)
        defer { world.close() }
        let mandate = try await world.mandate(amount: 1_000, expiresIn: 60_000)
        let topped = try await world.service.changeMandate(
            mandate.id, .topUp(try Amount(units: 4_000)), by: world.principal(world.agent), idempotencyKey: nil
        ).value
        #expect(topped.balance.units == 5_000 && topped.funded.units == 5_000)
        world.clock.advance(by: 60_000)
        #expect(await refusal { try await world.verify(mandate.id, amount: 1) }?.code == .mandateInactive)
        let report = try await world.service.sweep()
        #expect(report.expiredMandates == [mandate.id])
        // A sweep that only expired a mandate says so to the operator, as it does for every other kind.
        #expect(log.metadata(of: "sweep").map { $0["expiredMandates"] } == ["1"])
        #expect(try await world.available(world.agent) == 1_000_000)
        #expect(try await world.service.ledgerViolations() == [])
    }

    @Test("replay rebuilds the facilitator's read models identically")
    func replay() async throws {
        let world = try await FacilitatorWorld.make()
        defer { world.close() }
        let mandate = try await world.mandate()
        let a = try await world.verify(mandate.id, amount: 1_000)
        _ = try await world.verify(mandate.id, amount: 2_000)
        _ = try await world.settle(a)
        let position = try await world.position()
        let b = try await world.verifyFast(position.id, amount: 3_000)
        _ = try await world.settle(b)
        world.clock.advance(by: 200_000)
        _ = try await world.service.sweep()
        let result = try await world.service.replay()
        #expect(result.before == result.after)
        #expect(try await world.service.store.verify().isValid)
    }
}

import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Applies every time-based transition due at the clock's `now`: auto-release and expiry of escrows, dispute
    /// and channel deadlines, voiding of expired reservations, expiry of mandates.
    /// Safe to run from several processes: each escrow is re-decided inside the write transaction.
    public func sweep() async throws(KuraError) -> SweepReport {
        let now = clock.now()
        let batch = configuration.sweepBatch
        let due = try await read { reads throws(KuraError) in
            try reads.dueEscrows(at: now, limit: batch).map { ($0.id, $0.state.rawValue) }
        }
        var report = SweepReport()
        let fees = configuration.fees
        for (id, state) in due {
            let command: EscrowCommand = state == "locked" ? .expire : .autoRelease
            let request: JSONValue = ["escrow": .string(id.rawValue), "sweep": .string(command.name)]
            let applied = try await sweepStep("escrow.\(command.name)", request: request) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Escrow in
                try Self.decideAndAppend(id, command, actor: nil, fees: fees, context, &tx)
            }
            guard applied else { continue }
            if command == .expire { report.expired.append(id) } else { report.released.append(id) }
        }
        try await sweepDisputes(now: now, into: &report)
        try await sweepChannels(now: now, into: &report)
        try await sweepFacilitator(now: now, into: &report)
        if !due.isEmpty || !report.disputes.isEmpty || !report.channels.isEmpty || !report.voided.isEmpty {
            logger.info(
                "sweep",
                metadata: [
                    "released": "\(report.released.count)", "expired": "\(report.expired.count)",
                    "disputes": "\(report.disputes.count)", "channels": "\(report.channels.count)",
                    "voided": "\(report.voided.count)",
                ])
        }
        return report
    }

    /// Moves on every dispute whose response window, ruling deadline or appeal window has passed.
    private func sweepDisputes(now: Timestamp, into report: inout SweepReport) async throws(KuraError) {
        let batch = configuration.sweepBatch
        let due = try await read { reads throws(KuraError) in try reads.dueDisputes(at: now, limit: batch) }
        let policy = configuration.disputes
        let fees = configuration.fees
        for id in due {
            let request: JSONValue = ["dispute": .string(id.rawValue), "sweep": "deadline"]
            let applied = try await sweepStep("dispute.deadline", request: request, lostRace: [.disputeNotOpen]) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Dispute in
                try Self.decideDispute(
                    id, .deadline, actor: nil, policy: policy, fees: fees, arbiterKey: nil, seeder: nil, context, &tx)
            }
            if applied { report.disputes.append(id) }
        }
    }

    /// Runs one time-based command of the sweeper, as Kura (no actor, no idempotency key). Returns false when
    /// someone acted between the sweeper's query and the write (confirmed, refunded, settled…): the command
    /// is then refused with `invalid_transition` or one of `lostRace`, and there is nothing left to do.
    /// Any other failure is this item's alone: it is logged with the item and also returns false, so one bad
    /// item (a row its stream cannot explain, a failing projection) never keeps the rest of the tick from
    /// being applied; it is tried again next tick.
    func sweepStep<T: Codable & Sendable>(
        _ operation: String, request: JSONValue, lostRace: Set<KuraError.Code> = [],
        _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> T
    ) async throws(KuraError) -> Bool {
        do {
            _ = try await command(operation, request: request, by: nil, idempotencyKey: nil, body)
            return true
        } catch  where error.code == .invalidTransition || lostRace.contains(error.code) {
            return false
        } catch {
            let item = (try? request.canonicalBytes()).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            logger.error(
                "sweep item failed; the others go on",
                metadata: [
                    "operation": "\(operation)", "item": "\(item)", "code": "\(error.code)",
                    "detail": "\(error.detail)",
                ])
            return false
        }
    }
}

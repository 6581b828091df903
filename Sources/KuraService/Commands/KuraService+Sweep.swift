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
        let steps = due.map { id, state in
            let command: EscrowCommand = state == "locked" ? .expire : .autoRelease
            return SweepStep(
                "escrow.\(command.name)", ["escrow": .string(id.rawValue), "sweep": .string(command.name)]
            ) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) in
                _ = try Self.decideAndAppend(id, command, actor: nil, fees: fees, context, &tx)
            }
        }
        for ((id, state), applied) in zip(due, await applySweep(steps)) where applied {
            if state == "locked" { report.expired.append(id) } else { report.released.append(id) }
        }
        try await sweepDisputes(now: now, into: &report)
        try await sweepChannels(now: now, into: &report)
        try await sweepFacilitator(now: now, into: &report)
        if !due.isEmpty || !report.disputes.isEmpty || !report.channels.isEmpty || !report.voided.isEmpty
            || !report.expiredMandates.isEmpty
        {
            logger.info(
                "sweep",
                metadata: [
                    "released": "\(report.released.count)", "expired": "\(report.expired.count)",
                    "disputes": "\(report.disputes.count)", "channels": "\(report.channels.count)",
                    "voided": "\(report.voided.count)", "expiredMandates": "\(report.expiredMandates.count)",
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
        let steps = due.map { id in
            SweepStep(
                "dispute.deadline", ["dispute": .string(id.rawValue), "sweep": "deadline"], lostRace: [.disputeNotOpen]
            ) {
                (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) in
                _ = try Self.decideDispute(
                    id, .deadline, actor: nil, policy: policy, fees: fees, arbiterKey: nil, seeder: nil, context, &tx)
            }
        }
        for (id, applied) in zip(due, await applySweep(steps)) where applied { report.disputes.append(id) }
    }

    /// One time-based command of the sweeper, run as Kura (no actor, no idempotency key).
    struct SweepStep: Sendable {
        let command: SystemCommand<Bool>
        /// The refusals that mean someone acted between the sweeper's query and the write.
        let lostRace: Set<KuraError.Code>

        init(
            _ operation: String, _ request: JSONValue, lostRace: Set<KuraError.Code> = [],
            _ body: @escaping @Sendable (inout WriteTransaction, CommandContext) throws(KuraError) -> Void
        ) {
            command = SystemCommand(operation: operation, request: request) { tx, context throws(KuraError) in
                try body(&tx, context)
                return true
            }
            self.lostRace = lostRace
        }

        /// Whether `error` says someone acted between the sweeper's query and the write (confirmed, refunded,
        /// settled…): there is nothing left to do.
        func lost(_ error: KuraError) -> Bool { error.code == .invalidTransition || lostRace.contains(error.code) }
    }

    /// How many of the sweeper's commands are queued at once: they share a durable commit (one command per commit
    /// held the sweeper to about one fsync per item), and a request that arrives meanwhile is decided after at most
    /// one group.
    static let sweepGroup = 64

    /// Runs the sweeper's commands in their order, ``sweepGroup`` at a time; returns which were applied.
    ///
    /// An item that lost a race (``SweepStep/lost(_:)``) is not applied. Any other failure may be its batch's, which
    /// fails every command of it (a row the batch cannot write or read): such items are tried again one at a time,
    /// so one bad item (a row its stream cannot explain, a failing projection) never keeps the rest of the tick
    /// from being applied. What fails alone is logged with the item and tried again next tick.
    func applySweep(_ steps: [SweepStep]) async -> [Bool] {
        var applied: [Bool] = []
        applied.reserveCapacity(steps.count)
        for start in stride(from: 0, to: steps.count, by: Self.sweepGroup) {
            let group = steps[start..<min(start + Self.sweepGroup, steps.count)]
            let results = await systemCommands(group.map(\.command))
            for (step, result) in zip(group, results) {
                switch result {
                case .success: applied.append(true)
                case .failure(let error) where step.lost(error): applied.append(false)
                case .failure:
                    switch await systemCommands([step.command])[0] {
                    case .success: applied.append(true)
                    case .failure(let error): applied.append(sweepFailed(step, error))
                    }
                }
            }
        }
        return applied
    }

    /// Logs a sweep item's failure unless it lost a race; false either way (the item was not applied).
    private func sweepFailed(_ step: SweepStep, _ error: KuraError) -> Bool {
        if step.lost(error) { return false }
        let item = (try? step.command.request.canonicalBytes()).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        logger.error(
            "sweep item failed; the others go on",
            metadata: [
                "operation": "\(step.command.operation)", "item": "\(item)", "code": "\(error.code)",
                "detail": "\(error.detail)",
            ])
        return false
    }
}

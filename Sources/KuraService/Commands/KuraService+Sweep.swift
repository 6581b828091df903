import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// Applies every time-based transition due at the clock's `now`: auto-release and expiry of escrows, voiding
    /// of expired reservations, expiry of mandates.
    /// Safe to run from several processes: each escrow is re-decided inside the write transaction.
    public func sweep() async throws(KuraError) -> SweepReport {
        let now = clock.now()
        let due = try read { db throws(KuraError) in
            let statement = try db.statement(
                "SELECT id, state FROM escrows WHERE state IN ('locked', 'delivered') AND due_at <= ? ORDER BY due_at LIMIT ?"
            )
            try statement.bind([.integer(now.milliseconds), .integer(Int64(configuration.sweepBatch))])
            return try statement.rows { row throws(KuraError) in (EscrowID(unchecked: row.text(0)), row.text(1)) }
        }
        var report = SweepReport()
        let fees = configuration.fees
        for (id, state) in due {
            let command: EscrowCommand = state == "locked" ? .expire : .autoRelease
            let request: JSONValue = ["escrow": .string(id.rawValue), "sweep": .string(command.name)]
            do {
                _ = try await self.command("escrow.\(command.name)", request: request, by: nil, idempotencyKey: nil) {
                    (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Escrow in
                    try Self.decideAndAppend(id, command, actor: nil, fees: fees, context, &tx)
                }
                if command == .expire { report.expired.append(id) } else { report.released.append(id) }
            } catch  where error.code == .invalidTransition {
                // Someone acted on it between the query and the write (confirmed, refunded…): nothing to do.
                continue
            }
        }
        try await sweepFacilitator(now: now, into: &report)
        if !due.isEmpty {
            logger.info(
                "sweep", metadata: ["released": "\(report.released.count)", "expired": "\(report.expired.count)"])
        }
        return report
    }
}

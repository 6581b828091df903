import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura sweep`: one run of the time-based transitions.
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply due time-based transitions once: auto-release, expiry and dispute deadlines.",
        discussion: "The server does this every second by itself. Example: kura sweep --db kura.sqlite --json")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup(title: "Disputes") var disputes: DisputePolicyOptions
    @Option(help: "kura serve's configuration file, for its dispute policy (default: $KURA_CONFIG, else none).")
    var config: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            var configuration = ServiceConfiguration()
            // As `kura serve` resolves it (flag, KURA_DISPUTE_*, file): a sweep beside the server moves disputes
            // on as the server's own sweeper would.
            configuration.disputes = try disputes.resolved(config: config)
            let service = try await LocalService.open(
                try database.location(), keyPath: try database.keyPath(), configuration: configuration)
            defer { service.store.close() }
            let report = try await service.sweep()
            if json {
                try printEncodable(report)
            } else {
                print(
                    "released \(report.released.count), expired \(report.expired.count), "
                        + "disputes moved on \(report.disputes.count)")
            }
        }
    }
}

/// `kura replay`: rebuild every read model from the log and check it matches.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the read models (parties, balances, escrows) from the event log.",
        discussion: """
            Exits 0 when the rebuilt models equal the live ones, 65 when they had drifted (they are then \
            replaced by the rebuilt ones). Also checks the ledger invariants. On a terminal, progress with a \
            rate and an estimate goes to stderr.

            Example: kura replay --db kura.sqlite
            """)
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            let service = try await LocalService.open(try database.location(), keyPath: try database.keyPath())
            defer { service.store.close() }
            let progress = ProgressReporter(
                "replay", unit: .count("events"), total: try await service.store.head().seq, json: json)
            let result = try await service.replay { progress.update(done: $0) }
            progress.finish()
            let violations = try await service.ledgerViolations()
            if json {
                printJSON([
                    "events": .number(Double(result.events)), "before": .string(result.before),
                    "after": .string(result.after),
                    "identical": .bool(result.before == result.after),
                    "ledgerViolations": .array(violations.map { .string($0) }),
                ])
            } else {
                print(
                    "replayed \(result.events) events; read models \(result.before == result.after ? "identical" : "DIFFERED") (\(result.after.prefix(16)))"
                )
            }
            guard result.before == result.after else {
                throw KuraError(.chainBroken, "read models had drifted from the log; rebuilt")
            }
            guard violations.isEmpty else {
                throw KuraError(.chainBroken, "ledger invariants broken: \(violations.joined(separator: "; "))")
            }
        }
    }
}

import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraStore
import Logging

extension Bench {
    /// `kura bench receipts`: what receipts and Merkle updates add to appends, and offline bundle checks.
    struct ReceiptsBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipts",
            abstract:
                "Appends of escrow.locked events with and without receipts + tree updates; offline bundle verification.",
            discussion: "Example: kura bench receipts --events 50000 --bundles 20000 --rounds 5")

        @Option(help: "Events per append measurement.") var events: Int = 50_000
        @Option(help: "Bundles to verify.") var bundles: Int = 20_000
        @Option(help: "Concurrent writers.") var writers: Int = 64
        @Option(help: "Directory for the temporary databases.") var dir: String = NSTemporaryDirectory()
        @Option(
            help:
                "Rounds of the two append phases, alternated (no receipts, then with receipts), for the median share.")
        var rounds: Int = 1

        func validate() throws {
            guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        }

        func run() async throws {
            try await reportingErrors {
                let signer = try NoteSigner(name: "bench.kura/log", key: .generate())
                // A busy host moves both rates of a round together: each round's share is its own ratio, and the
                // median of the rounds is reported, not a ratio of rates measured minutes apart.
                var plain = 0.0
                var shares: [Double] = []
                // The share of the process's CPU per event too: it does not move with the disk's flush times,
                // which spread the rates (issue 15).
                var cpuShares: [Double] = []
                for _ in 0..<rounds {
                    let bare = try await appendLocked(.bare, signer: signer, keep: false)
                    plain = bare.rate
                    print(
                        String(
                            format:
                                "durable appends of escrow.locked, %d writers, no receipts:     %9.0f events/s, %5.1f µs of CPU each",
                            writers, plain, bare.cpuMicroseconds))
                    let withReceipts = try await appendLocked(.receipts, signer: signer, keep: false)
                    shares.append(1 - withReceipts.rate / plain)
                    cpuShares.append(1 - bare.cpuMicroseconds / withReceipts.cpuMicroseconds)
                    print(
                        String(
                            format:
                                "durable appends of escrow.locked, %d writers, with receipts:   %9.0f events/s, %5.1f µs of CPU each (%.0f%% of the rate without)",
                            writers, withReceipts.rate, withReceipts.cpuMicroseconds, 100 * withReceipts.rate / plain))
                }
                if rounds > 1 {
                    for (name, values) in [("rate", shares), ("CPU per event", cpuShares)] {
                        let sorted = values.sorted()
                        // An even number of rounds has two middle shares: their mean is the median.
                        let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
                        print(
                            "receipts' share of the append \(name) over \(rounds) rounds: "
                                + String(
                                    format: "median %.0f%% (%.0f%%-%.0f%%)", 100 * median, 100 * sorted[0],
                                    100 * sorted[sorted.count - 1]))
                    }
                }
                let full = try await appendLocked(.kura, signer: signer, keep: true)
                print(
                    String(
                        format:
                            "durable appends of escrow.locked, %d writers, every read model: %9.0f events/s (%.0f%% of the bare log)",
                        writers, full.rate, 100 * full.rate / plain))
                guard let path = full.path else { return }
                defer { BenchSupport.remove(path) }
                try await verifyBundles(path: path, signer: signer)
            }
        }

        /// What the writer keeps beside the log.
        enum Model: String {
            /// The log alone.
            case bare
            /// The receipt log (receipts, tree nodes, reputation rows) and nothing else.
            case receipts
            /// Every read model of Kura (escrow rows, balances, receipts, …).
            case kura
        }

        /// Appends `events` escrow.locked events (one per new escrow) from `writers` tasks.
        func appendLocked(_ model: Model, signer: NoteSigner, keep: Bool) async throws -> (
            rate: Double, cpuMicroseconds: Double, path: String?
        ) {
            let path = BenchSupport.freshPath(dir: dir, name: model.rawValue)
            let store: EventStore
            switch model {
            case .bare: store = try BenchSupport.openLog(path, durable: true)
            case .receipts: store = try KuraService.openReceiptBenchmarkStore(path: path)
            case .kura: store = try KuraService.openStore(path: path, create: true)
            }
            let payer = PartyID.derive(command: "payer", seq: 0)
            let payee = PartyID.derive(command: "payee", seq: 0)
            let asset = try Asset("USDC")
            let perWriter = events / writers
            let start = Date()
            let cpuStart = BenchSupport.processCPUSeconds()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for n in 0..<perWriter {
                            let id = EscrowID.derive(
                                command: ["w": .number(Double(writer)), "n": .number(Double(n))], seq: 0)
                            var terms = EscrowTerms(
                                payer: payer, payee: payee, amount: try Amount(units: 1000), asset: asset,
                                deliverBy: Timestamp(milliseconds: 1_900_000_000_000))
                            terms =
                                try Escrow.decideLock(
                                    id: id, terms: terms, by: payer, now: Timestamp(milliseconds: 1_800_000_000_000),
                                    context: EscrowContext(payerAvailable: try Amount(units: 1000))
                                ).first.flatMap { if case .locked(_, let t, _) = $0 { t } else { nil } } ?? terms
                            let event = EscrowEvent.locked(id: id, terms: terms, postings: [])
                            let commandId = "c\(writer)-\(n)"
                            // As the service opens an escrow: the stream is new (its ID is fresh), so the writer
                            // knows its version without reading it.
                            _ = try await store.transact { (tx: inout WriteTransaction) throws(KuraError) in
                                try tx.startStream("escrow/\(id)")
                                _ = try tx.append(
                                    NewEvent(stream: "escrow/\(id)", event: event), actor: payer.rawValue,
                                    commandId: commandId, at: Timestamp(milliseconds: 1_800_000_000_000))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rate = Double(perWriter * writers) / Date().timeIntervalSince(start)
            let cpu = 1e6 * (BenchSupport.processCPUSeconds() - cpuStart) / Double(perWriter * writers)
            store.close()
            if !keep { BenchSupport.remove(path) }
            return (rate, cpu, keep ? path : nil)
        }

        /// Builds bundles sharing one checkpoint, then verifies them on one core, parsing included.
        func verifyBundles(path: String, signer: NoteSigner) async throws {
            let store = try KuraService.openStore(path: path, create: false)
            defer { store.close() }
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let service = KuraService(store: store, signer: signer, clock: .system, logger: logger)
            let size = try await service.receiptCount()
            let count = min(UInt64(bundles), size)
            var texts: [[UInt8]] = []
            texts.reserveCapacity(Int(count))
            let built = Date()
            for index in 0..<count {
                texts.append(try await service.bundle(index * (size / count), size: size).canonicalBytes())
            }
            print(
                String(
                    format: "bundles built by the service (receipt, inclusion proof, checkpoint): %.0f/s",
                    Double(count) / Date().timeIntervalSince(built)))
            var cache = CheckpointCache(verifier: signer.verifier)
            let start = Date()
            var valid = 0
            for text in texts {
                if case .valid = ReceiptBundle.verify(bundleJSON: try JSONValue.parse(text), cache: &cache) {
                    valid += 1
                }
            }
            let seconds = Date().timeIntervalSince(start)
            print(
                String(
                    format:
                        "offline bundle verification (tree of %llu, one checkpoint, JSON parsing included): %.0f bundles/s on one core (%d/%d valid, %d signature check)",
                    size, Double(texts.count) / seconds, valid, texts.count, cache.signatureChecks))
        }
    }
}

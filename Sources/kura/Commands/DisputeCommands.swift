import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura dispute …`: what arbiters and the two sides do with a dispute.
struct DisputeCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispute", abstract: "List, read, rule on, recuse from, appeal and add evidence to disputes.",
        subcommands: [List.self, Show.self, Rule.self, Recuse.self, Appeal.self, Evidence.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List disputes, newest first: yours, or (operator) all.",
            discussion: """
                Example: kura dispute list --mine --state deliberating --server http://127.0.0.1:8402 --api-key $ARBITER_KEY
                """)
        @OptionGroup var target: TargetOptions
        @Flag(help: "Only disputes where you sit on the current panel.") var mine = false
        @Option(help: "Only this state (awaiting_response, deliberating, decided, resolved, closed).")
        var state: Dispute.State?
        @Option(help: "Page cursor from a previous answer.") var cursor: String?
        @Option(help: "Page size, 1-500.") var limit: Int = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let page = try await backend.perform(
                    KuraAPI.listDisputes,
                    query: DisputeListQuery(mine: mine, state: state, cursor: cursor, limit: limit))
                if json { return try printEncodable(page) }
                let now = KuraClock.system.now()
                printTable(
                    ["id", "escrow", "amount", "state", "age", "deadline", "rulings"],
                    page.items.map { d in
                        [
                            d.id.rawValue, d.escrowId.rawValue, "\(d.amount) \(d.asset)", d.state.rawValue,
                            Elapsed.text(now.milliseconds - d.openedAt.milliseconds),
                            d.dueAt.map { Elapsed.relative($0, now: now) } ?? "-",
                            "\(d.currentRulings.count)/\(d.panel.count)",
                        ]
                    })
                if let next = page.nextCursor { print("more: --cursor \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a dispute: timeline, both sides' evidence, panel, rulings and deadlines.",
            discussion: "Example: kura dispute show dsp_… --db kura.sqlite --as pty_arbiter")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let view = try await backend.perform(KuraAPI.showDispute, at: try DisputeID(validating: id))
                if json { try printEncodable(view) } else { Render.dispute(view, now: KuraClock.system.now()) }
            }
        }
    }

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a ruling with your own key and submit it (panel arbiters).",
            discussion: """
                The ruling {type, disputeId, round, arbiter, refundBps|quality, reasonSha256, at} is signed locally \
                with the Ed25519 key in --key; the server checks it against your registered key. --quality maps to a \
                refund: 0-49 → 100 %, 50-64 → 75 %, 65-79 → 35 %, 80-100 → 0 %.

                Example: kura dispute rule dsp_… --refund-bps 2500 --reason "partial delivery" --key arbiter.key \\
                           --server http://127.0.0.1:8402 --api-key $ARBITER_KEY
                """)
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Share refunded to the payer, 0-10000 basis points.") var refundBps: Int?
        @Option(help: "Or: delivery quality 0-100, mapped by the refund table.") var quality: Int?
        @Option(help: "Your written reason (its SHA-256 is signed).") var reason: String
        @Option(help: "Your key file (from `kura keys generate`).") var key: String
        @Option(help: "Your party ID (default: the --as party, or the panel seat registered with --key).")
        var arbiter: String?
        @OptionGroup var action: DisputeActionOptions

        func validate() throws {
            guard (refundBps == nil) != (quality == nil) else {
                throw ValidationError("give exactly one of --refund-bps or --quality")
            }
            if let refundBps, !(0...10_000).contains(refundBps) { throw ValidationError("--refund-bps is 0-10000") }
            if let quality, !(0...100).contains(quality) { throw ValidationError("--quality is 0-100") }
        }

        func run() async throws {
            try await withBackend(target) { backend in
                let disputeId = try DisputeID(validating: id)
                let signer = try KeyFile.load(key)
                let view: DisputeView
                do { view = try await backend.perform(KuraAPI.showDispute, at: disputeId) } catch let error as KuraError
                    where error.code == .forbidden
                {
                    // Only the sides, the arbiters ever seated and operators may read a dispute.
                    throw KuraError(.notOnPanel, "you are not on the panel of \(disputeId): \(error.detail)")
                }
                let arbiter: PartyID
                if let named = self.arbiter {
                    arbiter = try PartyID(validating: named)
                } else {
                    arbiter = try await Self.seat(of: signer.key.publicKey, in: view.dispute, backend)
                }
                let statement = RulingStatement(
                    disputeId: disputeId, round: view.dispute.round, arbiter: arbiter, refundBps: refundBps,
                    quality: quality, reason: reason, at: KuraClock.system.now())
                let request = RulingRequest(
                    ruling: statement, signature: Base64.encode(try statement.signed(with: signer.key)), reason: reason)
                try await action.perform(KuraAPI.ruleOnDispute, disputeId, request, backend)
            }
        }

        /// The panel seat whose registered key is the key in the file: the local `--as` party, or, against a
        /// server, the panel member with that key.
        static func seat(of key: Ed25519.PublicKey, in dispute: Dispute, _ backend: any Backend) async throws -> PartyID
        {
            if let caller = backend.caller { return caller }
            for member in dispute.panel where try await backend.perform(KuraAPI.showParty, at: member).publicKey == key
            { return member }
            throw KuraError(.notOnPanel, "no arbiter on the panel of \(dispute.id) is registered with this key")
        }
    }

    struct Recuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Step down from a panel before ruling; the next eligible arbiter takes the seat.",
            discussion: "Example: kura dispute recuse dsp_… --server http://127.0.0.1:8402 --api-key $ARBITER_KEY")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @OptionGroup var action: DisputeActionOptions
        func run() async throws {
            try await withBackend(target) {
                try await action.perform(KuraAPI.recuseFromDispute, DisputeID(validating: id), EmptyRequest(), $0)
            }
        }
    }

    struct Appeal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Appeal a first-round decision (payer or payee), once, within the appeal window.",
            discussion:
                "Example: kura dispute appeal dsp_… --reason \"the panel missed the logs\" --db kura.sqlite --as pty_payee"
        )
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Why.") var reason: String?
        @OptionGroup var action: DisputeActionOptions
        func run() async throws {
            try await withBackend(target) {
                try await action.perform(
                    KuraAPI.appealDispute, DisputeID(validating: id), AppealRequest(reason: reason), $0)
            }
        }
    }

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add evidence (payer or payee); the payee's first evidence is its response.",
            discussion: """
                Example: kura dispute evidence dsp_… --file delivery-log.txt --statement "delivered in full" \\
                           --db kura.sqlite --as pty_payee
                """)
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Evidence digest (hex SHA-256); repeatable.") var digest: [String] = []
        @Option(help: "A file whose SHA-256 is evidence; repeatable.") var file: [String] = []
        @Option(help: "A short statement for the panel.") var statement: String?
        @OptionGroup var action: DisputeActionOptions

        func run() async throws {
            try await withBackend(target) { backend in
                var digests = digest
                for path in file {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw KuraError(.notFound, "cannot read \(path)")
                    }
                    digests.append(Hex.encode(SHA256.hash([UInt8](data))))
                }
                let request = DisputeEvidenceRequest(evidence: digests, statement: statement)
                try await action.perform(KuraAPI.addDisputeEvidence, DisputeID(validating: id), request, backend)
            }
        }
    }
}

/// Shared by the dispute actions.
struct DisputeActionOptions: ParsableArguments {
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func perform<Body>(
        _ action: KuraOperation<DisputeID, NoQuery, Body, Dispute>, _ id: DisputeID, _ body: Body,
        _ backend: any Backend
    ) async throws {
        let dispute = try await backend.perform(action, at: id, body, idempotencyKey: idempotencyKey)
        if json { try printEncodable(dispute) } else { Render.disputeSummary(dispute, now: KuraClock.system.now()) }
    }
}

/// `kura arbiter add`: registers an arbiter with its own signing key (operator).
struct ArbiterCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arbiter", abstract: "Register arbiters.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an arbiter (operator); its rulings must be signed by the key in --key-file.",
            discussion: """
                Example: kura keys generate --out ada.key && kura arbiter add --name ada --key-file ada.key --db kura.sqlite
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "Display name.") var name: String
        @Option(help: "The arbiter's key file (only its public key is sent).") var keyFile: String?
        @Option(help: "Or: its base64 Ed25519 public key.") var publicKey: String?
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (publicKey == nil) != (keyFile == nil) else {
                throw ValidationError("give exactly one of --public-key or --key-file")
            }
        }

        func run() async throws {
            try await PartyCommands.Add.register(
                name: name, roles: [.arbiter], publicKey: publicKey, keyFile: keyFile,
                idempotencyKey: idempotencyKey, json: json, target: target)
        }
    }
}

extension Dispute.State: ExpressibleByArgument {}

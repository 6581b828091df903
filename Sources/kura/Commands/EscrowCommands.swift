import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura escrow …`: the escrow lifecycle.
struct EscrowCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escrow", abstract: "Lock, deliver, confirm, dispute, cancel, refund, show and list escrows.",
        subcommands: [
            Open.self, Deliver.self, Confirm.self, Dispute.self, Cancel.self, Refund.self, Show.self, List.self,
        ])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lock the payer's funds for a payee.",
            discussion: """
                Example: kura escrow open --payee pty_… --amount 2500 --asset USDC --deliver-within 3600 \\
                           --server http://127.0.0.1:8402 --api-key $PAYER_KEY
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The payee's party ID.") var payee: String
        @Option(help: "Atomic units.") var amount: UInt64
        @Option(help: "Asset.") var asset: String
        @Option(help: "Delivery deadline, epoch ms.") var deliverBy: Int64?
        @Option(help: "Or: seconds from now to deliver.") var deliverWithin: Int64?
        @Option(help: "Confirm window after delivery, ms.") var confirmWindowMs: Int64?
        @Option(help: "Dispute window after delivery, ms (≤ confirm window).") var disputeWindowMs: Int64?
        @Option(help: "x402 resource URL.") var resource: String?
        @Option(help: "x402 payment ID.") var paymentId: String?
        @Option(help: "A note.") var memo: String?
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (deliverBy == nil) != (deliverWithin == nil) else {
                throw ValidationError("give exactly one of --deliver-by or --deliver-within")
            }
        }

        func run() async throws {
            try await withBackend(target) { backend in
                let deadline =
                    try deliverBy
                    ?? KuraClock.system.now().adding(milliseconds: Self.checkedMs(deliverWithin!)).milliseconds
                let request = OpenEscrowRequest(
                    payee: try PartyID(validating: payee), amount: try Amount(units: amount), asset: try Asset(asset),
                    deliverBy: Timestamp(milliseconds: deadline), confirmWindowMs: confirmWindowMs,
                    disputeWindowMs: disputeWindowMs, resource: resource, paymentId: paymentId, memo: memo)
                let escrow = try await backend.perform(KuraAPI.openEscrow, request, idempotencyKey: idempotencyKey)
                if json { try printEncodable(escrow) } else { Render.escrow(escrow) }
            }
        }

        static func checkedMs(_ seconds: Int64) throws -> Int64 {
            guard seconds > 0, seconds < 10 * 365 * 86_400 else {
                throw KuraError(.invalidRequest, "--deliver-within must be 1 s to 10 years")
            }
            return seconds * 1000
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark delivery (payee), with the SHA-256 of what was delivered.",
            discussion: "Example: kura escrow deliver esc_… --file response.json --db kura.sqlite --as pty_payee")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Lowercase hex SHA-256 evidence digest.") var evidence: String?
        @Option(help: "Or: a file whose SHA-256 is the evidence.") var file: String?
        @OptionGroup var action: ActionOptions

        func validate() throws {
            guard (evidence == nil) != (file == nil) else {
                throw ValidationError("give exactly one of --evidence or --file")
            }
        }

        func run() async throws {
            try await withBackend(target) { backend in
                let digest: String
                if let file {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw KuraError(.notFound, "cannot read \(file)")
                    }
                    digest = Hex.encode(SHA256.hash([UInt8](data)))
                } else {
                    digest = evidence!
                }
                try await action.perform(KuraAPI.deliverEscrow, id, DeliverRequest(evidence: digest), backend)
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm delivery (payer): funds go to the payee less the fee.",
            discussion: "Example: kura escrow confirm esc_… --server http://127.0.0.1:8402 --api-key $PAYER_KEY")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @OptionGroup var action: ActionOptions
        func run() async throws {
            try await withBackend(target) { try await action.perform(KuraAPI.confirmEscrow, id, EmptyRequest(), $0) }
        }
    }

    struct Dispute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dispute a delivery (payer), within the dispute window. Funds stay held.",
            discussion: "Example: kura escrow dispute esc_… --reason \"empty response\" --db kura.sqlite --as pty_payer"
        )
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Why.") var reason: String
        @Option(help: "Evidence digest (hex SHA-256); repeatable.") var evidence: [String] = []
        @OptionGroup var action: ActionOptions
        func run() async throws {
            try await withBackend(target) { backend in
                try await action.perform(
                    KuraAPI.disputeEscrow, id, DisputeRequest(reason: reason, evidence: evidence), backend)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel before delivery (payer): funds return.",
            discussion: "Example: kura escrow cancel esc_… --db kura.sqlite --as pty_payer")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @OptionGroup var action: ActionOptions
        func run() async throws {
            try await withBackend(target) { try await action.perform(KuraAPI.cancelEscrow, id, EmptyRequest(), $0) }
        }
    }

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the money back (payee), any time before release.",
            discussion: "Example: kura escrow refund esc_… --db kura.sqlite --as pty_payee")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @OptionGroup var action: ActionOptions
        func run() async throws {
            try await withBackend(target) { try await action.perform(KuraAPI.refundEscrow, id, EmptyRequest(), $0) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an escrow.", discussion: "Example: kura escrow show esc_… --db kura.sqlite --json")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let escrow = try await backend.perform(KuraAPI.showEscrow, at: try EscrowID(validating: id))
                if json { try printEncodable(escrow) } else { Render.escrow(escrow) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List escrows of a party, newest first.",
            discussion: "Example: kura escrow list --state delivered --db kura.sqlite --as pty_payee")
        @OptionGroup var target: TargetOptions
        @Option(help: "Party (default: the caller).") var party: String?
        @Option(help: "Only this state.") var state: Escrow.State?
        @Option(help: "Page cursor from a previous answer.") var cursor: String?
        @Option(help: "Page size, 1-500.") var limit: Int = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await withBackend(target) { backend in
                let query = EscrowListQuery(
                    party: try party.map { try PartyID(validating: $0) }, state: state, cursor: cursor, limit: limit)
                let page = try await backend.perform(KuraAPI.listEscrows, query: query)
                if json { return try printEncodable(page) }
                printTable(
                    ["id", "state", "payer", "payee", "amount", "asset", "deliverBy"],
                    page.items.map {
                        [
                            $0.id.rawValue, $0.state.rawValue, $0.terms.payer.rawValue, $0.terms.payee.rawValue,
                            "\($0.terms.amount)", $0.terms.asset.name, "\($0.terms.deliverBy)",
                        ]
                    })
                if let next = page.nextCursor { print("more: --cursor \(next)") }
            }
        }
    }
}

/// Shared by the escrow actions.
struct ActionOptions: ParsableArguments {
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func perform<Body>(
        _ action: KuraOperation<EscrowID, NoQuery, Body, Escrow>, _ id: String, _ body: Body, _ backend: any Backend
    ) async throws {
        let escrow = try await backend.perform(
            action, at: try EscrowID(validating: id), body, idempotencyKey: idempotencyKey)
        if json { try printEncodable(escrow) } else { Render.escrow(escrow) }
    }
}

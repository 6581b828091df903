import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// `kura mandate …`: enterprise-lane mandates.
struct MandateCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mandate", abstract: "Create, show, top up and revoke enterprise mandates.",
        subcommands: [Create.self, Show.self, TopUp.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an agent's funds aside for facilitator payments, with caps.",
            discussion: """
                Example: kura mandate create --agent pty_… --asset USDC --amount 100000 --per-tx-cap 1000 \\
                           --daily-cap 20000 --counterparty pty_… --expires-in 2592000 --db kura.sqlite --as pty_…
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The agent whose funds these are.") var agent: String
        @Option(help: "Asset.") var asset: String
        @Option(help: "Atomic units to set aside.") var amount: UInt64
        @Option(help: "The most one payment may be.") var perTxCap: UInt64
        @Option(help: "The most one UTC day's payments may add up to.") var dailyCap: UInt64
        @Option(help: "A party that may be paid; repeatable (none: anyone).") var counterparty: [String] = []
        @Option(help: "Expiry, epoch ms.") var expiresAt: Int64?
        @Option(help: "Or: seconds from now.") var expiresIn: Int64?
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (expiresAt == nil) != (expiresIn == nil) else {
                throw ValidationError("give exactly one of --expires-at or --expires-in")
            }
        }

        func run() async throws {
            try await withBackend(target) { backend in
                let expiry =
                    try expiresAt
                    ?? KuraClock.system.now().adding(milliseconds: EscrowCommands.Open.checkedMs(expiresIn!))
                    .milliseconds
                let request = CreateMandateRequest(
                    agent: try PartyID(validating: agent), asset: try Asset(asset), amount: try Amount(units: amount),
                    perTxCap: try Amount(units: perTxCap), dailyCap: try Amount(units: dailyCap),
                    allowedCounterparties: try counterparty.map { try PartyID(validating: $0) },
                    expiresAt: Timestamp(milliseconds: expiry))
                let mandate = try await backend.perform(KuraAPI.createMandate, request, idempotencyKey: idempotencyKey)
                if json { try printEncodable(mandate) } else { FacilitatorRender.mandate(mandate) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a mandate.", discussion: "Example: kura mandate show mdt_… --db kura.sqlite --json")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let mandate = try await backend.perform(KuraAPI.showMandate, at: try MandateID(validating: id))
                if json { try printEncodable(mandate) } else { FacilitatorRender.mandate(mandate) }
            }
        }
    }

    struct TopUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "top-up", abstract: "Add funds from the agent's available balance.",
            discussion: "Example: kura mandate top-up mdt_… --amount 5000 --server http://127.0.0.1:8402")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Atomic units to add.") var amount: UInt64
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let mandate = try await backend.perform(
                    KuraAPI.topUpMandate, at: try MandateID(validating: id),
                    AmountRequest(amount: try Amount(units: amount)),
                    idempotencyKey: idempotencyKey)
                if json { try printEncodable(mandate) } else { FacilitatorRender.mandate(mandate) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a mandate; the remainder goes back to the agent.",
            discussion: "Example: kura mandate revoke mdt_… --db kura.sqlite --as pty_agent")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let mandate = try await backend.perform(
                    KuraAPI.revokeMandate, at: try MandateID(validating: id), EmptyRequest(),
                    idempotencyKey: idempotencyKey)
                if json { try printEncodable(mandate) } else { FacilitatorRender.mandate(mandate) }
            }
        }
    }
}

/// `kura position …`: crypto-fast collateral positions.
struct PositionCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "position", abstract: "Open, show, repay, liquidate and close collateral positions.",
        subcommands: [Open.self, Show.self, Repay.self, Liquidate.self, Close.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lock collateral and open a credit line (value × LTV) for crypto-fast payments.",
            discussion: """
                Example: kura position open --agent pty_… --collateral-asset SOL --collateral 1000000000 \\
                           --asset USDC --single-payment-cap 50000000 --db kura.sqlite --as pty_…
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: "The collateral's asset.") var collateralAsset: String
        @Option(help: "Collateral atomic units to lock.") var collateral: UInt64
        @Option(help: "The asset payments are made in.") var asset: String
        @Option(help: "The most one payment may be.") var singlePaymentCap: UInt64
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let request = OpenPositionRequest(
                    agent: try PartyID(validating: agent), collateralAsset: try Asset(collateralAsset),
                    collateral: try Amount(units: collateral), asset: try Asset(asset),
                    singlePaymentCap: try Amount(units: singlePaymentCap))
                let position = try await backend.perform(KuraAPI.openPosition, request, idempotencyKey: idempotencyKey)
                if json { try printEncodable(position) } else { FacilitatorRender.position(position) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a position.", discussion: "Example: kura position show pos_… --db kura.sqlite --json")
        @Argument var id: String
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let position = try await backend.perform(KuraAPI.showPosition, at: try PositionID(validating: id))
                if json { try printEncodable(position) } else { FacilitatorRender.position(position) }
            }
        }
    }

    struct Repay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pay back debt from the agent's available balance (may unfreeze the position).",
            discussion: "Example: kura position repay pos_… --amount 40000 --db kura.sqlite --as pty_agent")
        @Argument var id: String
        @Option(help: "Atomic units to repay.") var amount: UInt64
        @OptionGroup var options: PositionActionOptions
        func run() async throws { try await options.perform(.repay, id, amount: amount) }
    }

    struct Liquidate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Void a frozen position's live reservations and sell collateral to cover its debt (operators).",
            discussion: "Example: kura position liquidate pos_… --server http://127.0.0.1:8402 --api-key $OPERATOR_KEY")
        @Argument var id: String
        @OptionGroup var options: PositionActionOptions
        func run() async throws { try await options.perform(.liquidate, id, amount: nil) }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the collateral back; nothing may be owed or reserved.",
            discussion: "Example: kura position close pos_… --db kura.sqlite --as pty_agent")
        @Argument var id: String
        @OptionGroup var options: PositionActionOptions
        func run() async throws { try await options.perform(.close, id, amount: nil) }
    }
}

/// Shared by the position actions.
struct PositionActionOptions: ParsableArguments {
    @OptionGroup var target: TargetOptions
    @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
    @Flag(help: "Print JSON.") var json = false

    func perform(_ action: KuraService.PositionAction, _ id: String, amount: UInt64?) async throws {
        try await withBackend(target) { backend in
            let id = try PositionID(validating: id)
            let position: Position
            switch action {
            case .repay:
                let request = AmountRequest(amount: try Amount(units: amount ?? 0))
                position = try await backend.perform(
                    KuraAPI.repayPosition, at: id, request, idempotencyKey: idempotencyKey)
            case .liquidate:
                position = try await backend.perform(
                    KuraAPI.liquidatePosition, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
            case .close:
                position = try await backend.perform(
                    KuraAPI.closePosition, at: id, EmptyRequest(), idempotencyKey: idempotencyKey)
            }
            if json { try printEncodable(position) } else { FacilitatorRender.position(position) }
        }
    }
}

/// `kura price …`: operator-posted collateral prices.
struct PriceCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price", abstract: "Post and list collateral prices.", subcommands: [Set.self, List.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post a price: quote atomic units per 10^9 base atomic units (operators).",
            discussion: """
                Freezes positions of that pair whose health factor falls below the minimum, unfreezes recovered ones.
                Example (1 SOL = 150 USDC, 9 and 6 decimals): kura price set --base SOL --quote USDC --price 150000000 \\
                           --db kura.sqlite
                """)
        @OptionGroup var target: TargetOptions
        @Option(help: "The collateral asset.") var base: String
        @Option(help: "The asset it is valued in.") var quote: String
        @Option(help: "Quote units per 10^9 base units.") var price: UInt64
        @Option(help: "Idempotency-Key for safe retries.") var idempotencyKey: String?
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let update = try await backend.perform(
                    KuraAPI.postPrice, PostPriceRequest(base: try Asset(base), quote: try Asset(quote), price: price),
                    idempotencyKey: idempotencyKey)
                if json { return try printEncodable(update) }
                print(
                    "\(update.price.base)/\(update.price.quote) = \(update.price.units) per 10^9 at \(update.price.at)")
                if !update.frozen.isEmpty { print("frozen: \(update.frozen.map(\.rawValue).joined(separator: " "))") }
                if !update.unfrozen.isEmpty {
                    print("unfrozen: \(update.unfrozen.map(\.rawValue).joined(separator: " "))")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List posted prices.", discussion: "Example: kura price list --db kura.sqlite --json")
        @OptionGroup var target: TargetOptions
        @Flag(help: "Print JSON.") var json = false
        func run() async throws {
            try await withBackend(target) { backend in
                let prices = try await backend.perform(KuraAPI.listPrices, query: NoQuery()).items
                if json { return try printEncodable(["items": prices]) }
                printTable(
                    ["base", "quote", "price per 10^9", "at"],
                    prices.map { [$0.base.name, $0.quote.name, "\($0.units)", "\($0.at)"] })
            }
        }
    }
}

enum FacilitatorRender {
    static func mandate(_ m: Mandate) {
        printTable(
            ["field", "value"],
            [
                ["id", m.id.rawValue], ["state", m.state.rawValue], ["agent", m.agent.rawValue],
                ["balance", "\(m.balance) \(m.asset)"], ["funded", "\(m.funded)"], ["perTxCap", "\(m.perTxCap)"],
                ["dailyCap", "\(m.dailyCap) (spent \(m.spentToday) on day \(m.spentDay))"],
                [
                    "counterparties",
                    m.allowedCounterparties.isEmpty
                        ? "any" : m.allowedCounterparties.map(\.rawValue).joined(separator: " "),
                ],
                ["expiresAt", "\(m.expiresAt)"],
            ])
    }

    static func position(_ p: Position) {
        printTable(
            ["field", "value"],
            [
                ["id", p.id.rawValue], ["state", p.state.rawValue], ["agent", p.agent.rawValue],
                ["collateral", "\(p.collateral) \(p.collateralAsset)"], ["debt", "\(p.debt) \(p.asset)"],
                ["reserved", "\(p.reserved) \(p.asset)"], ["ltv", "\(p.ltvBps) bps"],
                ["minHealth", "\(p.minHealthBps) bps"], ["singlePaymentCap", "\(p.singlePaymentCap)"],
            ])
    }
}

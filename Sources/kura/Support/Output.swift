import Foundation
import KuraCore
import KuraCrypto
import KuraService

/// Prints rows as an aligned table for people.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    print(line(header))
    for row in rows { print(line(row)) }
}

/// Prints any Encodable as one line of canonical JSON.
func printEncodable(_ value: some Encodable) throws {
    do { printJSON(try JSONValue(encoding: value)) } catch {
        throw KuraError(.internalError, "cannot encode output: \(error.reason)")
    }
}

/// Runs a command against its backend, closing it afterwards, with the CLI's error mapping.
func withBackend(
    _ target: TargetOptions, configuration: ServiceConfiguration = .init(),
    _ body: (any Backend) async throws -> Void
) async throws {
    try await reportingErrors {
        let backend = try await target.open(configuration: configuration)
        do {
            try await body(backend)
            await backend.close()
        } catch {
            await backend.close()
            throw error
        }
    }
}

enum Render {
    static func escrow(_ e: Escrow) {
        printTable(
            ["field", "value"],
            [
                ["id", e.id.rawValue], ["state", e.state.rawValue], ["payer", e.terms.payer.rawValue],
                ["payee", e.terms.payee.rawValue], ["amount", "\(e.terms.amount) \(e.terms.asset)"],
                ["deliverBy", "\(e.terms.deliverBy)"], ["evidence", e.evidence ?? "-"],
                ["disputeId", e.disputeId?.rawValue ?? "-"], ["fee", e.fee.map { "\($0)" } ?? "-"],
            ])
    }

    static func account(_ a: AccountView) {
        print("account \(a.party)")
        printTable(
            ["asset", "available", "held"], a.balances.map { [$0.asset.name, "\($0.available)", "\($0.held)"] })
    }

    /// A withdrawal to Solana: its JSON, or one `field: value` line per field that has a value.
    static func withdrawal(_ withdrawal: WithdrawalView, json: Bool) throws {
        guard !json else { return try printEncodable(withdrawal) }
        let lines: [(String, String?)] = [
            ("id", withdrawal.id.rawValue), ("state", withdrawal.state), ("amount", "\(withdrawal.amount.units)"),
            ("asset", withdrawal.asset.name), ("destination", withdrawal.destination),
            ("signature", withdrawal.signature), ("failure", withdrawal.failure),
        ]
        for case (let field, let value?) in lines { print("\(field): \(value)") }
    }

    static func party(_ p: Party) {
        printTable(
            ["id", "name", "roles", "status", "publicKey"],
            [
                [
                    p.id.rawValue, p.name, p.roles.map(\.rawValue).sorted().joined(separator: ","), p.status.rawValue,
                    p.publicKey.base64,
                ]
            ])
    }
}

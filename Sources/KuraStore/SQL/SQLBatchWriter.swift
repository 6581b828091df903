import KuraCore
import KuraCrypto

/// Writes a ``BatchWrite`` through any ``SQLConnection`` with multi-row prepared statements: the events,
/// then each table's rows in chunks of 64, 16, 4 and 1 rows (so at most four statement shapes per table stay
/// prepared), inside the transaction the writer session opened. Shared by both backends.
public final class SQLBatchWriter {
    private let connection: any SQLConnection
    private var texts: [String: String] = [:]

    /// A writer on `connection` (the writer session's).
    public init(_ connection: any SQLConnection) { self.connection = connection }

    /// One table's insert: its columns and what a conflicting row does (nil: a conflict is an error).
    struct Table {
        let name: String
        let columns: [String]
        let onConflict: String?

        static let events = Table(
            name: "events",
            columns: ["seq", "stream", "version", "type", "payload", "at", "actor", "command_id", "prev_hash", "hash"],
            onConflict: nil)
        static let parties = Table(
            name: "parties", columns: ["id", "seq", "status", "api_key_hash", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
                + "api_key_hash = excluded.api_key_hash, json = excluded.json")
        static let balances = Table(
            name: "balances", columns: ["account", "asset", "balance"],
            onConflict: "ON CONFLICT(account, asset) DO UPDATE SET balance = excluded.balance")
        static let escrows = Table(
            name: "escrows", columns: ["id", "seq", "payer", "payee", "state", "asset", "amount", "due_at", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, "
                + "json = excluded.json")
        static let disputes = Table(
            name: "disputes", columns: ["id", "seq", "escrow", "state", "due_at", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, "
                + "json = excluded.json")
        static let disputeMembers = Table(
            name: "dispute_members", columns: ["party", "dispute", "seated", "seq"], onConflict: nil)
        static let channels = Table(
            name: "channels", columns: ["id", "seq", "agent", "provider", "state", "due_at", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, "
                + "json = excluded.json")
        static let payments = Table(
            name: "payments", columns: ["payer", "payment_id", "id", "seq", "payee", "json"], onConflict: nil)
        static let x402Settlements = Table(
            name: "x402_settlements", columns: ["payer", "nonce", "payment_identifier", "seq", "json"], onConflict: nil)
        static let reservations = Table(
            name: "reservations",
            columns: [
                "id", "seq", "state", "lane", "agent", "counterparty", "source", "expires_at", "json", "settlement",
            ],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, json = excluded.json, "
                + "settlement = excluded.settlement")
        static let mandates = Table(
            name: "mandates", columns: ["id", "seq", "agent", "state", "expires_at", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, json = excluded.json")
        static let positions = Table(
            name: "positions", columns: ["id", "seq", "agent", "state", "pair", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, json = excluded.json")
        static let prices = Table(
            name: "prices", columns: ["base", "quote", "seq", "json"],
            onConflict: "ON CONFLICT(base, quote) DO UPDATE SET seq = excluded.seq, json = excluded.json")
        static let solanaPayments = Table(
            name: "solana_payments", columns: ["message_hash", "signature", "state", "seq", "json"],
            onConflict: "ON CONFLICT(message_hash) DO UPDATE SET state = excluded.state, json = excluded.json")
        static let withdrawals = Table(
            name: "withdrawals",
            columns: ["id", "party", "asset", "amount", "state", "day", "signature", "seq", "json"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET state = excluded.state, json = excluded.json")
        static let chainReceipts = Table(
            name: "chain_receipts", columns: ["signature", "seq", "json"], onConflict: nil)
        static let receipts = Table(
            name: "receipts", columns: ["idx", "seq", "kind", "subject", "payer", "payee", "json"], onConflict: nil)
        static let merkleNodes = Table(name: "merkle_nodes", columns: ["level", "idx", "hash"], onConflict: nil)
        static let checkpoints = Table(
            name: "checkpoints", columns: ["size", "key_name", "root", "note"],
            onConflict: "ON CONFLICT(size, key_name) DO NOTHING")
        static let reputationParties = Table(
            name: "reputation_parties", columns: ["party", "state"],
            onConflict: "ON CONFLICT(party) DO UPDATE SET state = excluded.state")
        static let reputationPairs = Table(
            name: "reputation_pairs", columns: ["party", "role", "counterparty", "positive", "negative", "tick"],
            onConflict: "ON CONFLICT(party, role, counterparty) DO UPDATE SET positive = excluded.positive, "
                + "negative = excluded.negative, tick = excluded.tick")
        static let reputationLog = Table(
            name: "reputation_log", columns: ["id", "size", "root", "last_at", "model"],
            onConflict: "ON CONFLICT(id) DO UPDATE SET size = excluded.size, root = excluded.root, "
                + "last_at = excluded.last_at, model = excluded.model")
        static let idempotency = Table(
            name: "idempotency", columns: ["key", "request_hash", "response", "seq"], onConflict: nil)
        static let nonces = Table(name: "nonces", columns: ["party", "nonce", "at"], onConflict: nil)
    }

    /// Rows bound for one table, flattened.
    struct Pending {
        let table: Table
        var values: [SQLValue] = []
        var rows = 0

        init(_ table: Table) { self.table = table }

        mutating func add(_ row: [SQLValue]) {
            values += row
            rows += 1
        }
    }

    /// Writes the events, then every change.
    public func write(_ batch: BatchWrite) throws(KuraError) {
        var events = Pending(.events)
        for stored in batch.events {
            let event = stored.event
            events.add([
                .integer(Int64(event.seq)), .text(event.stream), .integer(Int64(event.version)), .text(event.type),
                .utf8(stored.canonicalPayload), .integer(event.at.milliseconds), .text(event.actor),
                .text(event.commandId), .blob(event.prevHash), .blob(event.hash),
            ])
        }
        try insert(events)

        var tables: [String: Pending] = [:]
        var order: [String] = []
        var memberDeletes: [SQLValue] = []
        var nonceExpiries: [(PartyID, Int64)] = []
        func add(_ table: Table, _ row: [SQLValue]) {
            if tables[table.name] == nil {
                tables[table.name] = Pending(table)
                order.append(table.name)
            }
            tables[table.name]!.add(row)
        }
        for change in batch.changes {
            switch change {
            case .party(let row):
                add(
                    .parties,
                    [
                        .text(row.party.id.rawValue), .integer(Int64(row.seq)), .text(row.party.status.rawValue),
                        .text(row.apiKeyHash), .utf8(try RowJSON.bytes(row.party.json)),
                    ])
            case .balance(let row):
                add(.balances, [.text(row.account), .text(row.asset), .integer(row.units)])
            case .escrow(let row):
                let escrow = row.escrow
                add(
                    .escrows,
                    [
                        .text(escrow.id.rawValue), .integer(Int64(row.seq)), .text(escrow.terms.payer.rawValue),
                        .text(escrow.terms.payee.rawValue), .text(escrow.state.rawValue),
                        .text(escrow.terms.asset.name), .integer(Int64(escrow.terms.amount.units)),
                        .integer(row.dueAt?.milliseconds), .utf8(try RowJSON.bytes(escrow)),
                    ])
            case .dispute(let row):
                let dispute = row.dispute
                add(
                    .disputes,
                    [
                        .text(dispute.id.rawValue), .integer(Int64(row.seq)), .text(dispute.escrowId.rawValue),
                        .text(dispute.state.rawValue), .integer(dispute.dueAt?.milliseconds),
                        .utf8(try RowJSON.bytes(dispute)),
                    ])
                memberDeletes.append(.text(dispute.id.rawValue))
                for member in row.members {
                    add(
                        .disputeMembers,
                        [
                            .text(member.party.rawValue), .text(dispute.id.rawValue), .integer(member.seated ? 1 : 0),
                            .integer(Int64(row.seq)),
                        ])
                }
            case .channel(let row):
                let channel = row.channel
                add(
                    .channels,
                    [
                        .text(channel.id.rawValue), .integer(Int64(row.seq)), .text(channel.agent.rawValue),
                        .text(channel.provider.rawValue), .text(channel.state.rawValue),
                        .integer(channel.dueAt?.milliseconds), .utf8(try RowJSON.bytes(channel)),
                    ])
            case .payment(let row):
                let payment = row.payment
                add(
                    .payments,
                    [
                        .text(payment.payer.rawValue), .text(payment.paymentId), .text(payment.id.rawValue),
                        .integer(Int64(row.seq)), .text(payment.payee.rawValue), .utf8(try RowJSON.bytes(payment)),
                    ])
            case .x402Settlement(let row):
                add(
                    .x402Settlements,
                    [
                        .text(row.payer.rawValue), .text(row.nonce), .text(row.paymentIdentifier),
                        .integer(Int64(row.seq)), .text(row.json),
                    ])
            case .reservation(let row):
                let reservation = row.reservation
                add(
                    .reservations,
                    [
                        .text(reservation.id.rawValue), .integer(Int64(row.seq)), .text(reservation.state.rawValue),
                        .text(reservation.lane.rawValue), .text(reservation.agent.rawValue),
                        .text(reservation.counterparty.rawValue), .text(row.source),
                        .integer(reservation.expiresAt.milliseconds), .utf8(try RowJSON.bytes(reservation)),
                        try row.settlement.map { answer throws(KuraError) in .utf8(try RowJSON.bytes(answer)) }
                            ?? .null,
                    ])
            case .mandate(let row):
                let mandate = row.mandate
                add(
                    .mandates,
                    [
                        .text(mandate.id.rawValue), .integer(Int64(row.seq)), .text(mandate.agent.rawValue),
                        .text(mandate.state.rawValue), .integer(mandate.expiresAt.milliseconds),
                        .utf8(try RowJSON.bytes(mandate)),
                    ])
            case .position(let row):
                let position = row.position
                add(
                    .positions,
                    [
                        .text(position.id.rawValue), .integer(Int64(row.seq)), .text(position.agent.rawValue),
                        .text(position.state.rawValue), .text(row.pair), .utf8(try RowJSON.bytes(position)),
                    ])
            case .price(let row):
                add(
                    .prices,
                    [
                        .text(row.price.base.name), .text(row.price.quote.name), .integer(Int64(row.seq)),
                        .utf8(try RowJSON.bytes(row.price)),
                    ])
            case .solanaPayment(let row):
                let payment = row.payment
                add(
                    .solanaPayments,
                    [
                        .text(row.messageHash), .text(payment.record.signature), .text(payment.state.rawValue),
                        .integer(Int64(row.seq)), .utf8(try RowJSON.bytes(payment)),
                    ])
            case .withdrawal(let row):
                let request = row.withdrawal.request
                add(
                    .withdrawals,
                    [
                        .text(request.id.rawValue), .text(request.party.rawValue), .text(request.asset.name),
                        .integer(Int64(request.amount.units)), .text(row.withdrawal.state.rawValue),
                        .integer(row.day), .text(request.signature), .integer(Int64(row.seq)),
                        .utf8(try RowJSON.bytes(row.withdrawal)),
                    ])
            case .chainReceipt(let row):
                add(
                    .chainReceipts,
                    [.text(row.receipt.signature), .integer(Int64(row.seq)), .utf8(try RowJSON.bytes(row.receipt))])
            case .receipt(let row):
                add(
                    .receipts,
                    [
                        .integer(Int64(row.index)), .integer(Int64(row.seq)), .text(row.kind), .text(row.subject),
                        .text(row.payer.rawValue), .text(row.payee.rawValue), .utf8(row.json),
                    ])
            case .merkleNode(let node):
                add(.merkleNodes, [.integer(Int64(node.level)), .integer(Int64(node.index)), .blob(node.hash)])
            case .checkpoint(let row):
                add(.checkpoints, [.integer(Int64(row.size)), .text(row.keyName), .blob(row.root), .text(row.note)])
            case .reputationParty(let row):
                add(.reputationParties, [.text(row.party.rawValue), .blob(row.state.storageBytes)])
            case .reputationPair(let row):
                add(
                    .reputationPairs,
                    [
                        .text(row.party.rawValue), .text(row.role.rawValue), .text(row.counterparty.rawValue),
                        .integer(Int64(row.evidence.positive)), .integer(Int64(row.evidence.negative)),
                        .integer(Int64(row.evidence.tick)),
                    ])
            case .reputationLog(let row):
                add(
                    .reputationLog,
                    [
                        .integer(1), .integer(Int64(row.size)), .blob(row.root), .integer(row.lastAt.milliseconds),
                        .text(row.model),
                    ])
            case .idempotency(let row):
                add(
                    .idempotency,
                    [.text(row.key), .blob(row.requestHash), .blob(row.response), .integer(Int64(row.seq))])
            case .nonce(let row):
                add(.nonces, [.text(row.party.rawValue), .text(row.nonce), .integer(row.at)])
            case .expireNonces(let party, let before):
                nonceExpiries.append((party, before))
            }
        }
        // A dispute's members are replaced: the old rows go before the new ones are inserted.
        for dispute in memberDeletes {
            try connection.run("DELETE FROM dispute_members WHERE dispute = ?", [dispute])
        }
        for name in order { try insert(tables[name]!) }
        for (party, before) in nonceExpiries {
            try connection.run(
                "DELETE FROM nonces WHERE party = ? AND at < ?", [.text(party.rawValue), .integer(before)])
        }
    }

    /// Inserts the pending rows in chunks of 64, 16, 4 and 1.
    private func insert(_ pending: Pending) throws(KuraError) {
        let width = pending.table.columns.count
        var row = 0
        for chunk in [64, 16, 4, 1] {
            while pending.rows - row >= chunk {
                let start = row * width
                try connection.run(
                    text(pending.table, rows: chunk), Array(pending.values[start..<start + chunk * width]))
                row += chunk
            }
        }
    }

    /// `INSERT INTO t(c…) VALUES (?…), … [ON CONFLICT …]` for `rows` rows, built once per shape.
    private func text(_ table: Table, rows: Int) -> String {
        let key = "\(table.name)/\(rows)"
        if let text = texts[key] { return text }
        let tuple = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        var text = "INSERT INTO \(table.name)(\(table.columns.joined(separator: ", "))) VALUES "
        text += Array(repeating: tuple, count: rows).joined(separator: ", ")
        if let onConflict = table.onConflict { text += " " + onConflict }
        texts[key] = text
        return text
    }
}

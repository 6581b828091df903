import KuraCore
import KuraCrypto
import KuraStore

/// The read models of the Solana rail, kept in the same transaction as each append: x402 payments by
/// message hash, withdrawals, on-chain receipts; and the trust receipts of `solana.settled`,
/// `withdrawal.completed` and `chain.settled`. Withdrawal postings go to the balances.
enum SolanaProjection {
    static let tables = ["solana_payments", "withdrawals", "chain_receipts"]

    static let schema = """
        CREATE TABLE IF NOT EXISTS solana_payments(
            message_hash TEXT PRIMARY KEY, signature TEXT NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL,
            json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS solana_payments_by_state ON solana_payments(state);
        CREATE INDEX IF NOT EXISTS solana_payments_by_signature ON solana_payments(signature);
        CREATE TABLE IF NOT EXISTS withdrawals(
            id TEXT PRIMARY KEY, party TEXT NOT NULL, asset TEXT NOT NULL, amount INTEGER NOT NULL,
            state TEXT NOT NULL, day INTEGER NOT NULL, signature TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS withdrawals_by_party_day ON withdrawals(party, asset, day);
        CREATE INDEX IF NOT EXISTS withdrawals_by_state ON withdrawals(state);
        CREATE INDEX IF NOT EXISTS withdrawals_by_signature ON withdrawals(signature);
        CREATE TABLE IF NOT EXISTS chain_receipts(
            signature TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
        """

    static let dayMs: Int64 = 86_400_000

    static func handles(_ type: String) -> Bool {
        type.hasPrefix("solana.") || type.hasPrefix("withdrawal.") || type.hasPrefix("chain.")
    }

    static func apply(_ event: Event, decoded: (any DomainEvent)?, _ projector: KuraProjector, _ db: SQLiteConnection)
        throws(KuraError)
    {
        if event.type.hasPrefix("solana.") {
            try applyPayment(try typedEvent(decoded, event, SolanaPaymentEvent.init), event, projector, db)
        } else if event.type.hasPrefix("withdrawal.") {
            let typed = try typedEvent(decoded, event, SolanaWithdrawalEvent.init)
            try projector.post(typed.postings, db)
            try applyWithdrawal(typed, event, projector, db)
        } else if event.type.hasPrefix("chain.") {
            guard case .settled(let receipt) = try typedEvent(decoded, event, ChainReceiptEvent.init) else { return }
            try db.run(
                "INSERT INTO chain_receipts(signature, seq, json) VALUES (?, ?, ?)", .text(receipt.signature),
                .integer(Int64(event.seq)), .text(try KuraProjector.text(.of(receipt))))
            try projector.receiptLog.append(envelope: event, db) { index in
                Receipt(
                    index: index, eventSeq: event.seq, eventHash: Hex.encode(event.hash), kind: event.type,
                    subject: "sol_" + hashOfSignature(receipt.signature), payer: receipt.payerParty,
                    payee: receipt.payeeParty, amount: receipt.amount, asset: receipt.asset, outcome: "settled",
                    at: event.at, txSignature: receipt.signature)
            }
        }
    }

    /// A 32-byte name of a signature for a receipt's subject (whose base58 is at most 44 characters).
    static func hashOfSignature(_ signature: String) -> String {
        Base58.encode(SHA256.hash(Array(signature.utf8)))
    }

    private static func applyPayment(
        _ event: SolanaPaymentEvent, _ envelope: Event, _ projector: KuraProjector, _ db: SQLiteConnection
    ) throws(KuraError) {
        let hash = String(envelope.stream.dropFirst("solana/payment/".count))
        if case .submitted(let record) = event {
            guard let payment = SolanaPayment.fold([event]) else { return }
            try db.run(
                "INSERT INTO solana_payments(message_hash, signature, state, seq, json) VALUES (?, ?, ?, ?, ?)",
                .text(hash), .text(record.signature), .text(payment.state.rawValue), .integer(Int64(envelope.seq)),
                .text(try KuraProjector.text(.of(payment))))
            return
        }
        guard var payment = try payment(messageHash: hash, db) else { return }
        switch event {
        case .submitted: return
        case .settled(let settled):
            payment.state = .settled
            payment.slot = settled.slot
            let record = payment.record
            try projector.receiptLog.append(envelope: envelope, db) { index in
                Receipt(
                    index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: envelope.type,
                    subject: "sol_" + record.messageHash, payer: record.payerParty, payee: record.payeeParty,
                    amount: record.amount, asset: record.asset, outcome: "settled", at: envelope.at,
                    txSignature: record.signature)
            }
        case .failed(let failure):
            payment.state = .failed
            payment.failure = failure
        }
        try db.run(
            "UPDATE solana_payments SET state = ?, json = ? WHERE message_hash = ?", .text(payment.state.rawValue),
            .text(try KuraProjector.text(.of(payment))), .text(hash))
    }

    private static func applyWithdrawal(
        _ event: SolanaWithdrawalEvent, _ envelope: Event, _ projector: KuraProjector, _ db: SQLiteConnection
    ) throws(KuraError) {
        if case .requested(let request, _) = event {
            guard let withdrawal = SolanaWithdrawal.fold([event]) else { return }
            try db.run(
                "INSERT INTO withdrawals(id, party, asset, amount, state, day, signature, seq, json) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                .text(request.id.rawValue), .text(request.party.rawValue), .text(request.asset.name),
                .integer(Int64(request.amount.units)), .text(withdrawal.state.rawValue),
                .integer(request.requestedAt.milliseconds / dayMs), .text(request.signature),
                .integer(Int64(envelope.seq)), .text(try KuraProjector.text(.of(withdrawal))))
            return
        }
        let id = WithdrawalID(unchecked: String(envelope.stream.dropFirst("withdrawal/".count)))
        guard var withdrawal = try withdrawal(id, db) else { return }
        switch event {
        case .requested: return
        case .completed(let settled, _):
            withdrawal.state = .completed
            withdrawal.slot = settled.slot
            let request = withdrawal.request
            try projector.receiptLog.append(envelope: envelope, db) { index in
                Receipt(
                    index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: envelope.type,
                    subject: request.id.rawValue, payer: request.party,
                    payee: SolanaText.party(forAddress: request.destination), amount: request.amount,
                    asset: request.asset, outcome: "completed", at: envelope.at, txSignature: request.signature)
            }
        case .failed(let failure, _):
            withdrawal.state = .failed
            withdrawal.failure = failure
        }
        try db.run(
            "UPDATE withdrawals SET state = ?, json = ? WHERE id = ?", .text(withdrawal.state.rawValue),
            .text(try KuraProjector.text(.of(withdrawal))), .text(id.rawValue))
    }

    // MARK: Reads

    static func payment(messageHash: String, _ db: SQLiteConnection) throws(KuraError) -> SolanaPayment? {
        try one("SELECT json FROM solana_payments WHERE message_hash = ?", messageHash, SolanaPayment.self, db)
    }

    static func withdrawal(_ id: WithdrawalID, _ db: SQLiteConnection) throws(KuraError) -> SolanaWithdrawal? {
        try one("SELECT json FROM withdrawals WHERE id = ?", id.rawValue, SolanaWithdrawal.self, db)
    }

    static func chainReceipt(signature: String, _ db: SQLiteConnection) throws(KuraError) -> ChainReceipt? {
        try one("SELECT json FROM chain_receipts WHERE signature = ?", signature, ChainReceipt.self, db)
    }

    /// Whether `signature` is a transaction Kura itself sent: an x402 `exact` settlement or a withdrawal. Its
    /// transfer is accounted for there, so it is never a seed receipt as well.
    static func isKuraTransaction(signature: String, _ db: SQLiteConnection) throws(KuraError) -> Bool {
        let statement = try db.statement(
            "SELECT 1 FROM solana_payments WHERE signature = ?1 UNION ALL SELECT 1 FROM withdrawals WHERE signature = ?1 LIMIT 1"
        )
        try statement.bind([.text(signature)])
        return !(try statement.rows({ row throws(KuraError) in row.int64(0) }).isEmpty)
    }

    /// The active party whose Ed25519 key is `key` (a Solana address is one), if any. Parties are few and
    /// their JSON holds the key as `"publicKey":"<base64>"`, so the row is found by that text and checked.
    static func party(publicKey key: [UInt8], _ db: SQLiteConnection) throws(KuraError) -> Party? {
        let needle = "\"publicKey\":\"\(Base64.encode(key))\""
        let statement = try db.statement("SELECT json FROM parties WHERE instr(json, ?) > 0 AND status = 'active'")
        try statement.bind([.text(needle)])
        for text in try statement.rows({ row throws(KuraError) in row.text(0) }) {
            let party = try Queries.partyCache.value(text)
            if party.publicKey.bytes == key { return party }
        }
        return nil
    }

    /// What `party` withdrew of `asset` on UTC day `day`, failed withdrawals excepted.
    static func withdrawn(_ party: PartyID, _ asset: Asset, day: Int64, _ db: SQLiteConnection) throws(KuraError)
        -> UInt64
    {
        let statement = try db.statement(
            "SELECT COALESCE(SUM(amount), 0) FROM withdrawals WHERE party = ? AND asset = ? AND day = ? AND state != 'failed'"
        )
        try statement.bind([.text(party.rawValue), .text(asset.name), .integer(day)])
        return UInt64(max(0, try statement.rows({ row throws(KuraError) in row.int64(0) }).first ?? 0))
    }

    /// The undecided: pending withdrawals and submitted payments, oldest first.
    static func undecided(_ db: SQLiteConnection) throws(KuraError) -> (
        withdrawals: [SolanaWithdrawal], payments: [SolanaPayment]
    ) {
        let w = try db.statement("SELECT json FROM withdrawals WHERE state = 'pending' ORDER BY seq LIMIT 500")
        let withdrawals = try w.rows({ row throws(KuraError) in row.text(0) }).map { text throws(KuraError) in
            try Queries.decode(SolanaWithdrawal.self, text)
        }
        let p = try db.statement("SELECT json FROM solana_payments WHERE state = 'submitted' ORDER BY seq LIMIT 500")
        let payments = try p.rows({ row throws(KuraError) in row.text(0) }).map { text throws(KuraError) in
            try Queries.decode(SolanaPayment.self, text)
        }
        return (withdrawals, payments)
    }

    private static func one<T: Decodable>(_ sql: String, _ key: String, _ type: T.Type, _ db: SQLiteConnection)
        throws(KuraError) -> T?
    {
        let statement = try db.statement(sql)
        try statement.bind([.text(key)])
        guard let text = try statement.rows({ row throws(KuraError) in row.text(0) }).first else { return nil }
        return try Queries.decode(T.self, text)
    }
}

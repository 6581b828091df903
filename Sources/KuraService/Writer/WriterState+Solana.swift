import KuraCore
import KuraCrypto
import KuraStore

/// The Solana rail in the writer: x402 `exact` payments by message hash, withdrawals, on-chain receipts; the
/// trust receipts of `solana.settled`, `withdrawal.completed` and `chain.settled`. Withdrawal postings go to
/// the balances (``apply(_:decoded:_:)``).
extension WriterState {
    // MARK: Projection

    func applySolanaPayment(_ event: SolanaPaymentEvent, _ envelope: Event, _ tx: WriteTransaction)
        throws(KuraError)
    {
        let hash = String(envelope.stream.dropFirst("solana/payment/".count))
        var row: SolanaPaymentRow
        switch event {
        case .submitted:
            guard let payment = SolanaPayment.fold([event]) else { return }
            row = SolanaPaymentRow(payment: payment, seq: envelope.seq)
        case .settled(let settled):
            guard let existing = try solanaPayment(hash) else { return }
            row = existing
            row.payment.state = .settled
            row.payment.slot = settled.slot
            row.payment.answeredKeyHash = settled.answeredKeyHash
            let record = row.payment.record
            try appendReceipt(envelope, tx) { index in
                Receipt(
                    index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: envelope.type,
                    subject: "sol_" + record.messageHash, payer: record.payerParty, payee: record.payeeParty,
                    amount: record.amount, asset: record.asset, outcome: "settled", at: envelope.at,
                    txSignature: record.signature)
            }
        case .failed(let failure):
            guard let existing = try solanaPayment(hash) else { return }
            row = existing
            row.payment.state = .failed
            row.payment.failure = failure
        }
        solanaPayments.set(hash, row)
        tx.change(.solanaPayment(row))
        if row.payment.state != .submitted { closed.append(.solanaPayment(hash)) }
    }

    func applyWithdrawal(_ event: SolanaWithdrawalEvent, _ envelope: Event, _ tx: WriteTransaction)
        throws(KuraError)
    {
        let id = WithdrawalID(unchecked: String(envelope.stream.dropFirst("withdrawal/".count)))
        var row: WithdrawalRow
        switch event {
        case .requested:
            guard let withdrawal = SolanaWithdrawal.fold([event]) else { return }
            row = WithdrawalRow(withdrawal: withdrawal, seq: envelope.seq)
        case .completed(let settled, _):
            guard let existing = try withdrawal(id) else { return }
            row = existing
            row.withdrawal.state = .completed
            row.withdrawal.slot = settled.slot
            let request = row.withdrawal.request
            try appendReceipt(envelope, tx) { index in
                Receipt(
                    index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: envelope.type,
                    subject: request.id.rawValue, payer: request.party,
                    payee: SolanaText.party(forAddress: request.destination), amount: request.amount,
                    asset: request.asset, outcome: "completed", at: envelope.at, txSignature: request.signature)
            }
        case .failed(let failure, _):
            guard let existing = try withdrawal(id) else { return }
            row = existing
            row.withdrawal.state = .failed
            row.withdrawal.failure = failure
        }
        withdrawals.set(id, row)
        tx.change(.withdrawal(row))
        if row.withdrawal.state != .pending { closed.append(.withdrawal(id)) }
    }

    func applyChainReceipt(_ event: ChainReceiptEvent, _ envelope: Event, _ tx: WriteTransaction) throws(KuraError) {
        guard case .settled(let receipt) = event else { return }
        tx.change(.chainReceipt(ChainReceiptRow(receipt: receipt, seq: envelope.seq)))
        try appendReceipt(envelope, tx) { index in
            Receipt(
                index: index, eventSeq: envelope.seq, eventHash: Hex.encode(envelope.hash), kind: envelope.type,
                subject: "sol_" + Self.hashOfSignature(receipt.signature), payer: receipt.payerParty,
                payee: receipt.payeeParty, amount: receipt.amount, asset: receipt.asset, outcome: "settled",
                at: envelope.at, txSignature: receipt.signature)
        }
    }

    /// A 32-byte name of a signature for a receipt's subject (whose base58 is at most 44 characters).
    static func hashOfSignature(_ signature: String) -> String {
        Base58.encode(SHA256.hash(Array(signature.utf8)))
    }

    // MARK: Lookups

    /// The payment claimed for a message hash, this batch's claims included.
    func solanaPayment(_ messageHash: String) throws(KuraError) -> SolanaPaymentRow? {
        try solanaPayments.value(messageHash) { () throws(KuraError) -> SolanaPaymentRow? in
            try reads.solanaPayment(messageHash: messageHash)
        }
    }

    func withdrawal(_ id: WithdrawalID) throws(KuraError) -> WithdrawalRow? {
        try withdrawals.value(id) { () throws(KuraError) -> WithdrawalRow? in try reads.withdrawal(id) }
    }

    /// Whether `signature` (base58) is a transaction Kura sent itself, an x402 `exact` payment or a withdrawal:
    /// the rows as of the batch's start, then every cached payment and withdrawal (the caches hold each one
    /// this batch claimed or requested, and a signature never leaves its row), so a seed receipt naming a
    /// payment claimed earlier in the same batch is refused like one claimed in an earlier batch.
    func isKuraTransaction(signature: String) throws(KuraError) -> Bool {
        if try reads.isKuraTransaction(signature: signature) { return true }
        if solanaPayments.entries.contains(where: { $0.1?.payment.record.signature == signature }) { return true }
        return withdrawals.entries.contains { $0.1?.withdrawal.request.signature == signature }
    }

    /// What `party` withdrew of `asset` on UTC day `day`, failed withdrawals excepted: the rows as of the batch's
    /// start with every cached withdrawal laid over them (the cache holds each one this batch requested or
    /// decided), so two requests in one batch count against one day's limit like two in two batches.
    func withdrawn(_ party: PartyID, _ asset: Asset, day: Int64) throws(KuraError) -> Amount {
        var rows: [WithdrawalID: WithdrawalRow] = [:]
        for row in try reads.withdrawals(party: party, asset: asset, day: day) { rows[row.withdrawal.request.id] = row }
        for (id, row) in withdrawals.entries {
            guard let row, row.withdrawal.request.party == party, row.withdrawal.request.asset == asset,
                row.day == day
            else { continue }
            rows[id] = row
        }
        return try Self.counted(rows.values)
    }

    /// The sum of the withdrawals that count against a day's limit (all but the failed ones).
    static func counted(_ rows: some Sequence<WithdrawalRow>) throws(KuraError) -> Amount {
        var units: UInt64 = 0
        for row in rows where row.withdrawal.state != .failed {
            let (sum, overflow) = units.addingReportingOverflow(row.withdrawal.request.amount.units)
            units = overflow ? .max : sum
        }
        return try Amount(units: units)
    }
}

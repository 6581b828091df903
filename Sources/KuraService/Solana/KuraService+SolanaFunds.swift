import KuraCore
import KuraCrypto
import KuraSolana
import KuraStore

extension KuraService {
    /// The rail of `network`, or the only one when it is not named. A network or asset this server has no rail for
    /// is the request's mistake (400 `invalid_request`), not an outage: retrying cannot help.
    func solanaRail(named network: String?) throws(KuraError) -> SolanaRail {
        if let network {
            guard let rail = solanaRail(network) else {
                throw KuraError(.invalidRequest, "Kura has no Solana rail on \(network)")
            }
            return rail
        }
        guard configuration.solana.count == 1, let rail = configuration.solana.first else {
            throw KuraError(
                .invalidRequest,
                configuration.solana.isEmpty ? "Kura has no Solana rail" : "name the network: Kura has several")
        }
        return rail
    }

    // MARK: Withdrawals

    /// Pays a party's available funds out to a Solana address: callable by the party itself (or an operator),
    /// within the rail's per-withdrawal and per-day limits.
    ///
    /// The treasury's transfer is built and signed first; then one command checks the limits and the balance
    /// again and appends `withdrawal.requested` (the amount moves to `withdrawal/<id>/pending`, the signed
    /// transaction is in the event); only then is it sent, once; then its confirmation is awaited and
    /// recorded (`withdrawal.completed` or `withdrawal.failed`, which returns the funds). A withdrawal still
    /// unconfirmed at the deadline stays pending: ``reconcileSolana()`` decides it by its signature's status.
    public func withdrawToSolana(
        _ ask: SolanaWithdrawalAsk, from party: PartyID, by principal: Principal, idempotencyKey: String?
    ) async throws(KuraError) -> Reply<WithdrawalView> {
        guard ask.rail == "solana" else { throw KuraError(.invalidRequest, "rail must be solana") }
        let rail = try solanaRail(named: ask.network)
        guard let token = rail.asset(ask.asset) else {
            throw KuraError(.invalidRequest, "\(ask.asset) is not handled on \(rail.network)")
        }
        let destination: SolanaPublicKey
        do { destination = try SolanaPublicKey(base58: ask.destination) } catch {
            throw KuraError(.invalidRequest, "destination: \(error.detail)")
        }
        let limits = rail.withdrawalLimits
        let now = clock.now()
        // Refuse what would be refused anyway before asking the cluster for anything.
        try await read { reads throws(KuraError) in
            try reads.requireSelfOrOperator(principal, party, "withdraw another party's funds")
            let target = try reads.requireParty(party)
            _ = try SolanaWithdrawal.decideRequest(
                Self.placeholderRequest(ask, party, rail, token, destination, now), party: target,
                available: try reads.available(party, ask.asset),
                withdrawnToday: try WriterState.counted(
                    reads.withdrawals(party: party, asset: ask.asset, day: now.milliseconds / WithdrawalRow.dayMs)),
                limits: limits)
        }
        let signed = try await treasuryTransfer(rail, token, destination, amount: ask.amount.units)
        let reply = try await command(
            "account.withdraw.solana", request: try JSONValue.of(ask, forAccountOf: party), by: principal,
            idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> WithdrawalView in
            let state = tx.state
            try state.requireSelfOrOperator(principal, party, "withdraw another party's funds")
            let target = try state.requireParty(party)
            let id = WithdrawalID.derive(command: context.command, seq: context.seq)
            var request = Self.placeholderRequest(ask, party, rail, token, destination, context.now)
            request.id = id
            request.transaction = signed.transaction.base64
            request.signature = signed.transaction.id.base58
            request.blockhash = signed.transaction.message.recentBlockhash.base58
            request.lastValidBlockHeight = signed.lastValidBlockHeight
            let events = try SolanaWithdrawal.decideRequest(
                request, party: target, available: try state.available(party, ask.asset),
                withdrawnToday: try state.withdrawn(
                    party, ask.asset, day: context.now.milliseconds / WithdrawalRow.dayMs),
                limits: limits)
            try context.append(events, toNew: SolanaWithdrawal.stream(id), &tx)
            guard let withdrawal = SolanaWithdrawal.fold(events) else {
                throw KuraError(.internalError, "a withdrawal request folded to nothing")
            }
            return WithdrawalView(withdrawal)
        }
        // A replayed request was sent (or is being decided) already: never send it again.
        guard !reply.replayed else { return reply }
        let observed: SolanaObservation
        do {
            _ = try await rail.rpc.send(signed.transaction, preflightCommitment: rail.commitment)
            observed = await SolanaChain.await(
                signed.transaction.id, blockhash: signed.transaction.message.recentBlockhash, rail: rail)
        } catch {
            if let failed = SolanaChain.sendFailure(error) {
                observed = failed
            } else {
                observed = await SolanaChain.await(
                    signed.transaction.id, blockhash: signed.transaction.message.recentBlockhash, rail: rail)
            }
        }
        let view = try await observeWithdrawal(reply.value.id, observed)
        return Reply(value: view, replayed: false)
    }

    /// A withdrawal, to its party or an operator.
    public func withdrawal(_ id: WithdrawalID, by principal: Principal) async throws(KuraError) -> WithdrawalView {
        try await read { reads throws(KuraError) in
            guard let withdrawal = try reads.withdrawal(id)?.withdrawal else {
                throw KuraError(.notFound, "no withdrawal \(id)")
            }
            try reads.requireSelfOrOperator(principal, withdrawal.request.party, "read another party's withdrawal")
            return WithdrawalView(withdrawal)
        }
    }

    /// Records what the chain said about a pending withdrawal (nothing once it is decided).
    func observeWithdrawal(_ id: WithdrawalID, _ observed: SolanaObservation) async throws(KuraError) -> WithdrawalView
    {
        let now = clock.now()
        return try await command(
            "withdrawal.observe", request: ["withdrawal": .string(id.rawValue)], by: nil, idempotencyKey: nil
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> WithdrawalView in
            let state = tx.state
            guard let withdrawal = try state.withdrawal(id)?.withdrawal else {
                throw KuraError(.notFound, "no withdrawal \(id)")
            }
            let events = withdrawal.decide(observed, now: now)
            try context.append(events, to: SolanaWithdrawal.stream(id), &tx)
            guard let after = try state.withdrawal(id)?.withdrawal else {
                throw KuraError(.internalError, "a withdrawal folded to nothing")
            }
            return WithdrawalView(after)
        }.value
    }

    /// Decides every undecided Solana withdrawal and x402 payment by its signature's status: confirmed ones
    /// complete, failed or expired ones fail (a withdrawal's funds return to its party), the rest stay. Run at
    /// start and by the sweeper; it never sends anything. Answers how many it decided.
    @discardableResult
    public func reconcileSolana() async -> Int {
        guard !configuration.solana.isEmpty,
            let undecided = try? await read(
                .standard,
                { reads throws(KuraError) in
                    (
                        withdrawals: try reads.pendingWithdrawals(limit: 500).map(\.withdrawal),
                        payments: try reads.submittedSolanaPayments(limit: 500).map(\.payment)
                    )
                })
        else { return 0 }
        var decided = 0
        for withdrawal in undecided.withdrawals {
            let request = withdrawal.request
            guard let rail = solanaRail(request.network),
                let signature = try? SolanaSignature(base58: request.signature),
                let blockhash = try? SolanaHash(base58: request.blockhash),
                let observed = await SolanaChain.observe(signature, blockhash: blockhash, rail: rail),
                observed != .pending
            else { continue }
            if (try? await observeWithdrawal(request.id, observed))?.state != "pending" { decided += 1 }
        }
        for payment in undecided.payments {
            let record = payment.record
            // A settle in flight here decides its own payment.
            guard let rail = solanaRail(record.network),
                solanaInFlight.begin(record.messageHash, for: .reconciler) == nil
            else { continue }
            defer { solanaInFlight.end(record.messageHash) }
            guard let signature = try? SolanaSignature(base58: record.signature),
                let tx = try? SolanaTransaction(base64: record.transaction),
                let observed = await SolanaChain.observe(signature, blockhash: tx.message.recentBlockhash, rail: rail),
                observed != .pending
            else { continue }
            // A success is the retry's to answer for a while (``SolanaRail/reconcileGraceMs``); a failure is the
            // same answer whoever records it.
            if case .confirmed = observed,
                clock.now().milliseconds - record.submittedAt.milliseconds <= rail.reconcileGraceMs
            {
                continue
            }
            // Recorded for the call that claimed it, not answered: that call's retry with its key gets the success,
            // any other settle of this message `duplicate_settlement` (or the failure).
            _ = try? await conclude(
                record, observed, on: rail, payloadHash: record.payloadHash, keyHash: record.settleKeyHash)
            decided += 1
        }
        return decided
    }

    /// The treasury's signed transfer of `amount` to the destination's associated token account, on a fresh
    /// blockhash, with a Memo of random text so that two equal withdrawals are two transactions.
    func treasuryTransfer(_ rail: SolanaRail, _ token: SolanaAsset, _ destination: SolanaPublicKey, amount: UInt64)
        async throws(KuraError) -> (transaction: SolanaTransaction, lastValidBlockHeight: UInt64)
    {
        let latest: LatestBlockhash
        do { latest = try await rail.rpc.latestBlockhash(commitment: .finalized) } catch {
            throw KuraError(.railUnavailable, "the Solana endpoint did not give a blockhash: \(error)")
        }
        let treasury = rail.treasuryAddress
        let instructions: [Instruction] = [
            .transferChecked(
                program: token.tokenProgram, source: rail.treasuryAccount(token), mint: token.mint,
                destination: AssociatedTokenAccount.address(
                    owner: destination, mint: token.mint, tokenProgram: token.tokenProgram),
                authority: treasury, amount: amount, decimals: token.decimals),
            .memo("kura withdrawal " + Hex.encode(secrets.bytes(8))),
        ]
        do {
            let message = try SolanaMessage.compile(
                payer: rail.feePayerAddress, instructions: instructions, recentBlockhash: latest.blockhash)
            var tx = SolanaTransaction(message: message)
            try tx.sign(with: rail.feePayer)
            if rail.treasuryAddress != rail.feePayerAddress { try tx.sign(with: rail.treasury) }
            return (tx, latest.lastValidBlockHeight)
        } catch {
            throw KuraError(.internalError, "cannot build the withdrawal transfer: \(error.detail)")
        }
    }

    static func placeholderRequest(
        _ ask: SolanaWithdrawalAsk, _ party: PartyID, _ rail: SolanaRail, _ token: SolanaAsset,
        _ destination: SolanaPublicKey, _ now: Timestamp
    ) -> SolanaWithdrawalRequest {
        // Shaped like the real request, with placeholder signature fields, for the checks made before signing.
        SolanaWithdrawalRequest(
            id: WithdrawalID(unchecked: "wdr_1"), party: party, asset: ask.asset, amount: ask.amount,
            network: rail.network.id, mint: token.mint.base58, destination: destination.base58,
            destinationAccount: AssociatedTokenAccount.address(
                owner: destination, mint: token.mint, tokenProgram: token.tokenProgram
            ).base58, transaction: "", signature: Base58.encode([UInt8](repeating: 1, count: 64)),
            blockhash: Base58.encode([UInt8](repeating: 1, count: 32)), lastValidBlockHeight: 0, requestedAt: now)
    }

    // MARK: Deposits

    /// Credits a party with a finalized transfer to Kura's treasury whose Memo names the party, once per
    /// transaction signature. The party itself or an operator may ask.
    public func depositFromSolana(
        _ proof: SolanaDepositProof, to party: PartyID, by principal: Principal, idempotencyKey: String?
    ) async throws(KuraError) -> Reply<AccountView> {
        guard proof.rail == "solana" else { throw KuraError(.invalidRequest, "rail must be solana") }
        let rail = try solanaRail(named: proof.network)
        let signature: SolanaSignature
        do { signature = try SolanaSignature(base58: proof.tx) } catch {
            throw KuraError(.invalidRequest, "tx: \(error.detail)")
        }
        try await read { reads throws(KuraError) in
            try reads.requireSelfOrOperator(principal, party, "credit another party")
            _ = try reads.requireParty(party)
        }
        let fetched = try await fetchLanded(signature, rail)
        var credited: (SolanaAsset, UInt64)?
        for token in rail.assets {
            let incoming: IncomingTransfer
            do {
                incoming = try IncomingTransfer.read(fetched, into: rail.treasuryAccount(token), mint: token.mint)
            } catch {
                throw KuraError(.transferRefused, "the transaction does not decode: \(error.detail)")
            }
            guard incoming.amount > 0 else { continue }
            guard incoming.memos.contains(party.rawValue) else {
                throw KuraError(.transferRefused, "the transfer's Memo does not name \(party)")
            }
            guard credited == nil else {
                throw KuraError(.transferRefused, "the transaction deposits more than one token")
            }
            credited = (token, incoming.amount)
        }
        guard let (token, units) = credited else {
            throw KuraError(.transferRefused, "the transaction moves nothing into Kura's treasury on \(rail.network)")
        }
        let amount = try Amount(units: units)
        let reference = "solana:" + signature.base58
        return try await command(
            "account.deposit.solana", request: try JSONValue.of(proof, forAccountOf: party), by: principal,
            idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> AccountView in
            let stream = "deposit/solana/\(signature.base58)"
            guard try tx.version(of: stream) == 0 else {
                throw KuraError(.transferUsed, "transaction \(signature) was already credited")
            }
            let state = tx.state
            let target = try state.requireParty(party)
            let event = try FundsEvent.decideDeposit(
                party: target, asset: token.asset, amount: amount, reference: reference)
            try context.append([event], to: stream, &tx)
            return try state.accountView(party)
        }
    }

    /// The landed, successful transaction of `signature` at the rail's receipt commitment.
    func fetchLanded(_ signature: SolanaSignature, _ rail: SolanaRail) async throws(KuraError) -> FetchedTransaction {
        let fetched: FetchedTransaction?
        do { fetched = try await rail.rpc.transaction(signature, commitment: rail.receiptCommitment) } catch {
            throw KuraError(.railUnavailable, "the Solana endpoint did not answer: \(error)")
        }
        guard let fetched else {
            throw KuraError(
                .transferRefused,
                "transaction \(signature) is not \(rail.receiptCommitment.rawValue) on \(rail.network)")
        }
        guard fetched.error == nil else {
            throw KuraError(.transferRefused, "transaction \(signature) failed on chain")
        }
        guard fetched.transaction.id == signature else {
            throw KuraError(.transferRefused, "the endpoint answered another transaction")
        }
        return fetched
    }

    // MARK: On-chain receipts (seed dialect)

    /// Accepts a Solana payment shown as the seed dialect's `X-Payment-Receipt`: the transaction (at the
    /// rail's receipt commitment) moved at least `amount` of `asset` into `payTo`'s associated token account,
    /// with a Memo equal to `paymentId`; once per signature (`transfer_used` after), but the retry of the call
    /// that accepted it, with its `idempotencyKey`, gets the first answer (its answer may have been lost). Any
    /// authenticated party.
    public func acceptChainReceipt(_ ask: ChainReceiptAsk, by principal: Principal, idempotencyKey: String? = nil)
        async throws(KuraError) -> Reply<ChainReceipt>
    {
        let rail = try solanaRail(named: ask.network)
        let signature: SolanaSignature
        let payTo: SolanaPublicKey
        let mint: SolanaPublicKey
        do {
            signature = try SolanaSignature(base58: ask.signature)
            payTo = try SolanaPublicKey(base58: ask.payTo)
            mint = try SolanaPublicKey(base58: ask.asset)
        } catch { throw KuraError(.invalidRequest, error.detail) }
        // Only a token this server holds as an asset: in a mint anyone can make, a provider could pay itself from
        // fresh wallets (each a made-up party) and count them as paying counterparties in its reputation.
        guard let token = rail.assets.first(where: { $0.mint == mint }) else {
            throw KuraError(.invalidRequest, "\(mint) is no asset of this server on \(rail.network.id)")
        }
        do {
            try await read { reads throws(KuraError) in try Self.requireUnusedReceipt(signature, reads) }
        } catch  where error.code == .transferUsed && idempotencyKey != nil {
            // Perhaps the accepting call's own retry: the writer answers it from its key, or refuses it, without
            // asking the chain again (a replay must not spend the node's quota).
            return try await command(
                "chain.receipt", encoding: ask, by: principal, idempotencyKey: idempotencyKey
            ) { (_: inout WriteTransaction, _: CommandContext) throws(KuraError) -> ChainReceipt in throw error }
        }
        let fetched = try await fetchLanded(signature, rail)
        let account = AssociatedTokenAccount.address(owner: payTo, mint: mint, tokenProgram: token.tokenProgram)
        let incoming: IncomingTransfer
        do { incoming = try IncomingTransfer.read(fetched, into: account, mint: mint) } catch {
            throw KuraError(.transferRefused, "the transaction does not decode: \(error.detail)")
        }
        guard incoming.amount > 0, let payer = incoming.authorities.first else {
            throw KuraError(.transferRefused, "the transaction pays nothing of \(mint) to \(payTo)")
        }
        guard incoming.amount >= ask.amount.units else {
            throw KuraError(.transferRefused, "the transaction pays \(incoming.amount), the price is \(ask.amount)")
        }
        guard incoming.memos.contains(ask.paymentId) else {
            throw KuraError(.transferRefused, "the transaction's Memo is not the payment ID \(ask.paymentId)")
        }
        let receipt = ChainReceipt(
            network: rail.network.id, signature: signature.base58, paymentId: ask.paymentId, payer: payer.base58,
            payTo: payTo.base58, payerParty: await solanaParty(payer), payeeParty: await solanaParty(payTo),
            asset: try Asset(mint.base58), amount: try Amount(units: incoming.amount), slot: fetched.slot,
            acceptedAt: clock.now())
        return try await command(
            "chain.receipt", encoding: ask, by: principal, idempotencyKey: idempotencyKey
        ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> ChainReceipt in
            if try tx.state.isKuraTransaction(signature: signature.base58) {
                throw Self.kuraTransactionUsed(signature)
            }
            let stream = ChainReceipt.stream(signature: signature.base58)
            var accepted = receipt
            accepted.acceptedAt = context.now
            let events = try ChainReceipt.decideAccept(accepted, alreadyUsed: try tx.version(of: stream) > 0)
            try context.append(events, to: stream, &tx)
            return accepted
        }
    }

    /// Refuses a signature already accepted as a receipt, or one of Kura's own transactions (an x402 `exact`
    /// settlement, a withdrawal): its transfer was accounted for there, and its memo may carry a seed payment
    /// ID the payer chose, so accepting it would let one transfer pay twice. Asked on a reader before the
    /// transaction is fetched; the command decides again on the writer's state.
    static func requireUnusedReceipt(_ signature: SolanaSignature, _ reads: any ReadSession) throws(KuraError) {
        if try reads.chainReceipt(signature: signature.base58) != nil {
            throw KuraError(.transferUsed, "transaction \(signature) was already accepted as a receipt")
        }
        if try reads.isKuraTransaction(signature: signature.base58) { throw kuraTransactionUsed(signature) }
    }

    static func kuraTransactionUsed(_ signature: SolanaSignature) -> KuraError {
        KuraError(.transferUsed, "transaction \(signature) was settled by Kura already (x402 or a withdrawal)")
    }
}

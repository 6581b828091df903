import KuraCore
import KuraCrypto
import KuraSolana
import KuraStore
import KuraX402

/// x402 `exact` on the configured Solana networks, Kura as the facilitator and fee payer
/// (coinbase/x402 `specs/schemes/exact/scheme_exact_svm.md`).
///
/// Verify: the offline checks (``SolanaExact``), then a simulation of the transaction with Kura's signature
/// added; it writes nothing. Settle: verify again, then exactly once per message hash, durably: the
/// `solana.submitted` claim is appended to the log before the transaction is sent, so of any number of
/// settles (concurrent, retried, on another node, after a restart) one sends it; the others are answered
/// `duplicate_settlement` while it is in flight here, or reconcile against its signature. Only the settle
/// whose command appends `solana.settled` answers success (a repeat carrying the same payment identifier
/// and payload gets that answer again).
extension KuraService {
    /// The rail of a network, if configured.
    func solanaRail(_ network: String) -> SolanaRail? {
        configuration.solana.first { $0.network.id == network }
    }

    /// Whether a facilitator request is for a Solana network (Kura answers it even when it has no rail there).
    public static func isSolana(_ request: FacilitatorRequest) -> Bool {
        request.paymentRequirements.network.hasPrefix(SolanaNetwork.namespace + ":")
    }

    /// `exact` on each configured network, with `extra.feePayer`; the fee payers under `solana:*`.
    func solanaSupported() -> (kinds: [SupportedKind], signers: [String]) {
        let kinds = configuration.solana.map { rail in
            SupportedKind(
                scheme: SolanaExact.scheme, network: rail.network.id,
                extra: ["feePayer": .string(rail.feePayerAddress.base58)])
        }
        var signers: [String] = []
        for rail in configuration.solana where !signers.contains(rail.feePayerAddress.base58) {
            signers.append(rail.feePayerAddress.base58)
        }
        return (kinds, signers)
    }

    /// `POST /facilitator/verify` for a Solana network.
    public func solanaVerify(_ request: FacilitatorRequest) async -> VerifyResponse {
        let payer = SolanaExact.payer(of: request.paymentPayload)
        do throws(X402Refusal) {
            let (rail, verified) = try solanaCheck(request)
            let key = verified.messageHash.base58
            if let existing = try await solanaPaymentState(key, reason: .unexpectedVerifyError) {
                throw X402Refusal(
                    .duplicateSettlement, "this transaction was already submitted for settlement (\(existing.state))")
            }
            try await simulate(verified, rail)
            return .valid(payer: verified.payer.base58)
        } catch {
            return .invalid(error.reason, error.detail, payer: payer)
        }
    }

    /// `POST /facilitator/settle` for a Solana network. Throws only when the outcome is unknown: the transaction
    /// was sent and the record of what the chain said failed to commit, and may have landed; or while the call's
    /// first attempt, or the reconciler, is still asking the chain (a 503, not a refusal).
    /// The call's retry with the same `idempotencyKey` and payload gets the success the lost answer held; any other
    /// repeat of a settled transaction is `duplicate_settlement` (unless its payment identifier names it).
    public func solanaSettle(_ request: FacilitatorRequest, idempotencyKey: String? = nil) async throws(KuraError)
        -> SettleResponse
    {
        let network = request.paymentRequirements.network
        let payerText = SolanaExact.payer(of: request.paymentPayload)
        func refused(_ refusal: X402Refusal) -> SettleResponse {
            SettleResponse(
                success: false, errorReason: refusal.reason, errorMessage: refusal.detail, payer: payerText,
                transaction: "", network: network)
        }
        let rail: SolanaRail
        let verified: VerifiedSolanaPayment
        do throws(X402Refusal) { (rail, verified) = try solanaCheck(request) } catch { return refused(error) }
        let key = verified.messageHash.base58
        let payloadHash = Hex.encode(
            SHA256.hash((try? JSONValue.canonicalBytes(encoding: request.paymentPayload)) ?? []))
        let identifier = try? PaymentIdentifier.id(in: request.paymentPayload.extensions)
        // The call: its key and what it presented (a retry sends both again).
        let keyHash = idempotencyKey.map { Hex.encode(SHA256.hash(Array("\($0)\n\(payloadHash)".utf8))) }
        if let holder = solanaInFlight.begin(key, for: .settle) {
            // The caller's own retry (its client gave up waiting for the chain) is told to come back, not refused:
            // a refusal would have the resource server answer 402 and its client pay again. So is any settle while
            // the reconciler asks the chain about this payment: once it is done, the payment's recorded answer (a
            // repeat's success, or the failure) is given, which a `duplicate_settlement` now would preempt.
            if holder == .reconciler {
                throw KuraError(.railUnavailable, "this transaction's status is being read from the chain; retry")
            }
            if let keyHash, let claimed = try? await solanaPaymentState(key, reason: .unexpectedSettleError),
                claimed.record.settleKeyHash == keyHash
            {
                throw KuraError(
                    .railUnavailable, "the settle that sent this Idempotency-Key first is still waiting for the chain")
            }
            return refused(X402Refusal(.duplicateSettlement, "this transaction is being settled by another request"))
        }
        defer { solanaInFlight.end(key) }
        do throws(X402Refusal) {
            if let existing = try await solanaPaymentState(key, reason: .unexpectedSettleError) {
                // Judged only on its own network: asked elsewhere (a rail with the same fee payer), its blockhash
                // is unknown, so a payment still landing would be recorded as expired.
                guard existing.record.network == network else {
                    throw X402Refusal(
                        .duplicateSettlement,
                        "this transaction was submitted for settlement on \(existing.record.network), not \(network)")
                }
                return try await reconcile(
                    existing, rail, payloadHash: payloadHash, identifier: identifier, keyHash: keyHash)
            }
            var signed = verified.transaction
            do { try signed.sign(with: rail.feePayer) } catch {
                throw X402Refusal(.svmFeePayerNotManaged, "cannot sign as fee payer: \(error.detail)")
            }
            try await simulate(signed, rail)
            let payerParty = await solanaParty(verified.payer)
            let payeeParty = await solanaParty(request.paymentRequirements.payTo)
            let record = SolanaPaymentRecord(
                network: network, messageHash: key, signature: signed.id.base58, transaction: signed.base64,
                payer: verified.payer.base58, payTo: request.paymentRequirements.payTo,
                payerParty: payerParty, payeeParty: payeeParty,
                asset: try asset(verified.mint), amount: try amount(verified.amount), payloadHash: payloadHash,
                paymentIdentifier: identifier, settleKeyHash: keyHash, submittedAt: clock.now())
            guard try await claim(record) else {
                throw X402Refusal(.duplicateSettlement, "another settle claimed this transaction first")
            }
            let observed: SolanaObservation
            do {
                _ = try await rail.rpc.send(signed, preflightCommitment: rail.commitment)
                observed = await SolanaChain.await(signed.id, blockhash: signed.message.recentBlockhash, rail: rail)
            } catch {
                // Refused by the node: never sent. Anything else: unknown, found by its status.
                if let failed = SolanaChain.sendFailure(error) {
                    observed = failed
                } else {
                    observed = await SolanaChain.await(signed.id, blockhash: signed.message.recentBlockhash, rail: rail)
                }
            }
            return try await conclude(record, observed, on: rail, payloadHash: payloadHash, keyHash: keyHash)
        } catch  where error.reason == .outcomeUnknown {
            throw KuraError(.storageUnavailable, error.detail)
        } catch {
            return refused(error)
        }
    }

    /// The offline checks, on the rail of the requirement's network.
    func solanaCheck(_ request: FacilitatorRequest) throws(X402Refusal) -> (SolanaRail, VerifiedSolanaPayment) {
        let requirements = request.paymentRequirements
        guard let rail = solanaRail(requirements.network) else {
            throw X402Refusal(.invalidNetwork, "this facilitator does not settle on \(requirements.network)")
        }
        return (rail, try SolanaExact.verify(request.paymentPayload, against: requirements, policy: rail.policy))
    }

    /// The simulation, with Kura's signature added (so the cluster checks every signature).
    func simulate(_ verified: VerifiedSolanaPayment, _ rail: SolanaRail) async throws(X402Refusal) {
        var signed = verified.transaction
        do { try signed.sign(with: rail.feePayer) } catch {
            throw X402Refusal(.svmFeePayerNotManaged, "cannot sign as fee payer: \(error.detail)")
        }
        try await simulate(signed, rail)
    }

    func simulate(_ signed: SolanaTransaction, _ rail: SolanaRail) async throws(X402Refusal) {
        let result: SimulationResult
        do { result = try await rail.rpc.simulate(signed, commitment: rail.commitment) } catch {
            throw X402Refusal(.svmSimulationFailed, "the simulation could not run: \(error)")
        }
        if let error = result.error {
            throw X402Refusal(.svmSimulationFailed, "the simulation failed: \(SolanaChain.describe(error))")
        }
    }

    /// Appends the claim; false when the message was claimed before (by a request this check raced, in this
    /// batch or an earlier one, in this process or another).
    func claim(_ record: SolanaPaymentRecord) async throws(X402Refusal) -> Bool {
        do {
            let reply = try await command(
                "solana.submit", request: ["messageHash": .string(record.messageHash)], by: nil, idempotencyKey: nil
            ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> Bool in
                let stream = SolanaPayment.stream(messageHash: record.messageHash)
                // The writer's memory holds every claim of this batch; a miss reads the row. The stream's version
                // (the log's own count, this batch included) must agree: a claim is never appended twice.
                let existing = try tx.state.solanaPayment(record.messageHash)?.payment
                let version = try tx.version(of: stream)
                guard existing != nil || version == 0 else {
                    throw KuraError(.internalError, "\(stream) has events but no payment row")
                }
                let events = try SolanaPayment.decideSubmit(record, existing: existing)
                try context.append(events, to: stream, &tx)
                return !events.isEmpty
            }
            return reply.value
        } catch {
            throw X402Refusal(.unexpectedSettleError, "cannot record the settlement: \(error.detail)")
        }
    }

    /// Records what the chain said; answers success to the call that appended `solana.settled` and to that call's
    /// retries with its key (``SolanaSettled/answeredKeyHash``).
    func conclude(
        _ record: SolanaPaymentRecord, _ observed: SolanaObservation, on rail: SolanaRail, payloadHash: String,
        keyHash: String?
    ) async throws(X402Refusal) -> SettleResponse {
        let now = clock.now()
        let appended: [String]
        do {
            appended = try await command(
                "solana.observe", request: ["messageHash": .string(record.messageHash)], by: nil, idempotencyKey: nil
            ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> [String] in
                let stream = SolanaPayment.stream(messageHash: record.messageHash)
                guard let payment = try tx.state.solanaPayment(record.messageHash)?.payment else {
                    throw KuraError(.internalError, "no claim for \(record.messageHash)")
                }
                let events = payment.decide(observed, now: now, answering: keyHash)
                try context.append(events, to: stream, &tx)
                return events.map(\.type)
            }.value
        } catch  where error.code == .storageUnavailable || error.code == .storageFailure {
            // The record may have landed: not a refusal, which would have the resource server answer 402 and its
            // client pay again with a new transaction (``solanaSettle(_:)`` answers it as a 503).
            throw X402Refusal(.outcomeUnknown, "cannot record the outcome: \(error.detail)")
        } catch {
            throw X402Refusal(.unexpectedSettleError, "cannot record the outcome: \(error.detail)")
        }
        // One call is told of the success: the one that records it (or, recorded by the reconciler, the one that
        // claimed the payment), and that call's retry with its key, on any node; never a second caller.
        var succeeded = false
        if case .confirmed = observed {
            if appended.first == "solana.settled" {
                succeeded = true
            } else if appended.isEmpty, let keyHash {
                let stored = try await solanaPaymentState(record.messageHash, reason: .unexpectedSettleError)
                succeeded = stored?.state == .settled && stored?.answeredKeyHash == keyHash
            }
        }
        switch (observed, appended.first) {
        case (.confirmed, _) where succeeded:
            return SettleResponse(
                success: true, payer: record.payer, transaction: record.signature, network: record.network,
                amount: X402Amount(units: record.amount.units))
        case (.failed(let reason, let detail), "solana.failed"?):
            throw X402Refusal(X402Reason(rawValue: reason), detail)
        case (.pending, _):
            throw X402Refusal(
                .svmTransactionFailed,
                "transaction \(record.signature) was sent and is not confirmed yet; settle again within "
                    + "\(rail.reconcileGraceMs / 1000) s to reconcile")
        default:
            // Another request recorded the outcome first: it was told.
            throw X402Refusal(.duplicateSettlement, "transaction \(record.signature) was settled by another request")
        }
    }

    /// A settle of a message already claimed: the first answer for the same payload, repeated by the first call's
    /// `Idempotency-Key` or with the same payment identifier; the recorded failure; or a look at the chain for a
    /// payment still in flight.
    func reconcile(
        _ existing: SolanaPayment, _ rail: SolanaRail, payloadHash: String, identifier: String?, keyHash: String?
    ) async throws(X402Refusal) -> SettleResponse {
        let record = existing.record
        switch existing.state {
        case .settled:
            let sameCall = keyHash != nil && existing.answeredKeyHash == keyHash
            let identified =
                identifier != nil && record.paymentIdentifier == identifier && record.payloadHash == payloadHash
            guard sameCall || identified else {
                throw X402Refusal(.duplicateSettlement, "transaction \(record.signature) was already settled")
            }
            return SettleResponse(
                success: true, payer: record.payer, transaction: record.signature, network: record.network,
                amount: X402Amount(units: record.amount.units))
        case .failed:
            let failure = existing.failure
            throw X402Refusal(
                X402Reason(rawValue: failure?.reason ?? "transaction_failed"),
                failure?.detail ?? "the transaction failed")
        case .submitted:
            guard let signature = try? SolanaSignature(base58: record.signature),
                let tx = try? SolanaTransaction(base64: record.transaction)
            else { throw X402Refusal(.unexpectedSettleError, "the recorded claim does not decode") }
            let observed = await SolanaChain.await(signature, blockhash: tx.message.recentBlockhash, rail: rail)
            return try await conclude(record, observed, on: rail, payloadHash: payloadHash, keyHash: keyHash)
        }
    }

    /// The payment recorded for a message hash, if any.
    func solanaPaymentState(_ messageHash: String, reason: X402Reason) async throws(X402Refusal) -> SolanaPayment? {
        do {
            return try await read { reads throws(KuraError) in
                try reads.solanaPayment(messageHash: messageHash)?.payment
            }
        } catch {
            throw X402Refusal(reason, "cannot read the log: \(error.detail)")
        }
    }

    /// The party a Solana address stands for: the active Kura party whose key it is, or `pty_<address>`.
    func solanaParty(_ address: SolanaPublicKey) async -> PartyID {
        let holder = try? await read { reads throws(KuraError) in
            try reads.parties(holding: address.ed25519).first { $0.party.status == .active }?.party.id
        }
        return (holder ?? nil) ?? SolanaText.party(forAddress: address.base58)
    }

    func solanaParty(_ address: String) async -> PartyID {
        guard let key = try? SolanaPublicKey(base58: address) else { return SolanaText.party(forAddress: address) }
        return await solanaParty(key)
    }

    private func asset(_ mint: SolanaPublicKey) throws(X402Refusal) -> Asset {
        do { return try Asset(mint.base58) } catch { throw X402Refusal(.svmMintMismatch, error.detail) }
    }

    private func amount(_ units: UInt64) throws(X402Refusal) -> Amount {
        do { return try Amount(units: units) } catch { throw X402Refusal(.invalidPaymentRequirements, error.detail) }
    }
}

extension X402Reason {
    /// Never on the wire: the writer failed while it recorded what the chain said, and the record may have landed.
    /// ``KuraService/solanaSettle(_:)`` answers it as `storage_unavailable`, as a Kura-scheme settle does.
    static let outcomeUnknown = X402Reason(rawValue: "kura_outcome_unknown")
}

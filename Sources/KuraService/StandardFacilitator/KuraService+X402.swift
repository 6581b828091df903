import KuraCore
import KuraCrypto
import KuraSolana
import KuraStore
import KuraX402

/// The x402 facilitator of the Kura schemes (`exact`, `escrow`) on this instance's `kura:` network.
///
/// Who may call: anyone. The payer's Ed25519 signature over the authorization is the authority, as an EIP-3009
/// authorization is on a chain: it can only pay the named payee the named amount once, so whoever submits it
/// (normally the resource server) cannot make it do anything else. `verify` never writes; `settle` settles each
/// (payer, nonce) once, in the same transaction as the money moves, and refuses a repeat of the same
/// authorization (the payment identifier's repeat of the same payload, and the retry of the same call with its
/// `Idempotency-Key`, get the first answer; `repeat=answer` gives it to every repeat).
extension KuraService {
    /// This instance's network: `kura:` and the key ID of its log key.
    public var x402Network: KuraNetwork { KuraNetwork(logKeyName: signer.name, publicKey: signer.key.publicKey) }

    /// `GET /facilitator/supported`: both Kura schemes on this network, the payment-identifier extension, and
    /// the key that signs settlements (the log key, which signs each payment's `txSignature`).
    /// With Solana rails configured, `exact` on each of their networks too (``solanaSupported()``).
    public func x402Supported() -> SupportedResponse {
        let solana = solanaSupported()
        var signers = [KuraNetwork.wildcard: [signer.key.publicKey.base64]]
        if !solana.signers.isEmpty { signers[SolanaNetwork.wildcard] = solana.signers }
        return SupportedResponse(
            kinds: KuraScheme.allCases.map { SupportedKind(scheme: $0.rawValue, network: x402Network.id) }
                + solana.kinds,
            extensions: [PaymentIdentifier.name], signers: signers)
    }

    /// `POST /facilitator/verify`, on whichever network the requirement names: Kura's own or a Solana one.
    public func facilitatorVerify(_ request: FacilitatorRequest) async -> VerifyResponse {
        Self.isSolana(request) ? await solanaVerify(request) : await x402Verify(request)
    }

    /// `POST /facilitator/settle`, on whichever network the requirement names. A Solana settle answers success
    /// only to the settle that settled it (or the payment identifier's repeat), whatever `repeats` says.
    public func facilitatorSettle(
        _ request: FacilitatorRequest, repeats: X402SettleQuery.Repeat = .refuse, idempotencyKey: String? = nil
    ) async throws(KuraError) -> SettleResponse {
        guard !Self.isSolana(request) else { return try await solanaSettle(request, idempotencyKey: idempotencyKey) }
        return try await x402Settle(request, repeats: repeats, idempotencyKey: idempotencyKey)
    }

    /// `POST /facilitator/verify`: whether `settle` would accept the payment now. Reads only.
    public func x402Verify(_ request: FacilitatorRequest) async -> VerifyResponse {
        let canonical = try? request.canonicalParts()
        do throws(X402Refusal) {
            let checked = try await x402Check(
                request, now: clock.now().milliseconds,
                payloadBytes: canonical?.payload ?? (try? JSONValue.canonicalBytes(encoding: request.paymentPayload)))
            let key = canonical.map { VerifiedPayments.key(canonicalRequest: $0.request) }
            let cached = try await readRefusing { reads throws(X402Refusal) in
                try Self.x402State(checked, ReadSessionLedger(reads: reads))
            }
            if let cached { try Self.requireIdentifiedRepeat(checked, of: cached) }
            if let key { verifiedPayments.remember(key, checked) }
            return .valid(payer: checked.payer.id.rawValue)
        } catch {
            let reason = error.reason == .outcomeUnknown ? .unexpectedVerifyError : error.reason
            return .invalid(reason, error.detail, payer: Self.payerText(request))
        }
    }

    /// A payment settled already passes verify (and a settle that refuses repeats) only as the payment
    /// identifier's legitimate repeat of the same payload: a resource server may serve that again.
    static func requireIdentifiedRepeat(_ checked: CheckedX402Payment, of earlier: X402Settlement)
        throws(X402Refusal)
    {
        guard let id = checked.identifier, earlier.paymentIdentifier == id, earlier.payloadHash == checked.payloadHash
        else {
            throw X402Refusal(.kuraNonceUsed(checked.verified.scheme), "this authorization's nonce was already settled")
        }
    }

    /// `POST /facilitator/settle`: pays (`exact`) or locks as an escrow (`escrow`), once per authorization. A
    /// repeat gets what verify answers it (``X402SettleQuery/Repeat/refuse``, the default), or with
    /// `repeats: .answer` the first answer; `idempotencyKey` (the caller's, kept apart from the payer's own keys)
    /// records this call's settlement, so that its own retry gets it again.
    ///
    /// Throws only when the outcome is unknown: the writer's batch failed to write or commit, and a commit may
    /// have landed before its answer was lost (a PostgreSQL connection that closed). That is not a refusal: a
    /// resource server would answer 402 and its client pay again. The caller retries with the same
    /// `idempotencyKey` and gets the settlement if it landed (over HTTP a 503, which `KuraClient` retries so).
    public func x402Settle(
        _ request: FacilitatorRequest, repeats: X402SettleQuery.Repeat = .refuse, idempotencyKey: String? = nil
    ) async throws(KuraError) -> SettleResponse {
        let network = x402Network.id
        // A refusal names the authorization's payer: parsed from the request until it has been checked, then the
        // checked one (so that no refusal parses the proof again, inside the writer least of all).
        @Sendable func refused(_ refusal: X402Refusal, payer: String? = nil) -> SettleResponse {
            SettleResponse(
                success: false, errorReason: refusal.reason, errorMessage: refusal.detail,
                payer: payer ?? Self.payerText(request), transaction: "", network: network)
        }
        // The request's canonical bytes, made once: the verify cache's key and the command are both made of them,
        // and the payload's (a part of them) is the settlement's `payloadHash`.
        guard let canonical = try? request.canonicalParts() else {
            return refused(X402Refusal(.invalidPaymentRequirements, "the request is not canonical JSON"))
        }
        let requestBytes = canonical.request
        let checked: CheckedX402Payment
        // Set when the authorization's window has closed: it may no longer be settled, but a settled one is still
        // answered (the retry of a settle whose answer was lost).
        let expired: X402Refusal?
        let now = clock.now().milliseconds
        // The same request verified moments ago (the resource server's verify before it served): its form and
        // signature need no second check; the time window, and all that depends on state, are checked again.
        if let verified = verifiedPayments.checked(VerifiedPayments.key(canonicalRequest: requestBytes), now: now) {
            (checked, expired) = (verified, nil)
        } else {
            do throws(X402Refusal) {
                (checked, expired) = try await x402CheckSettled(request, now: now, payloadBytes: canonical.payload)
            } catch  where error.reason == .outcomeUnknown {
                throw KuraError(.storageUnavailable, error.detail)
            } catch {
                return refused(error)
            }
        }
        let payer = checked.authorization.payer
        // After the window only this authorization's own settlement is answered, so the answer tells no more than
        // "expired" (not the payer's balance, nor the identifiers it used). Under `refuse` a repeat is refused as
        // verify refuses it, and after the window verify answers "expired": only the same call's retry (its
        // Idempotency-Key, answered from the record before the command runs) gets the settlement again; without a
        // key there is none to answer. The retry is decided by the writer, never from a snapshot: its first call
        // may still be queued there (its client gave up waiting), and a refusal read before that call commits
        // would have the resource server answer 402 to a payer it charges (review finding).
        if let expired, repeats == .refuse && idempotencyKey == nil { return refused(expired, payer: payer) }
        let fees = configuration.fees
        let key = signer.key
        do throws(KuraError) {
            let reply = try await command(
                CanonicalCommand(operation: "x402.settle", canonicalRequest: requestBytes),
                by: Principal(party: checked.payer), idempotencyKey: repeats == .refuse ? idempotencyKey : nil,
                // Apart from the payer's own keys, and only a settlement is kept: a refusal writes nothing.
                keyScope: "x402 settle ", records: { $0.success }
            ) { (tx: inout WriteTransaction, context: CommandContext) throws(KuraError) -> SettleResponse in
                do {
                    let cached: X402Settlement?
                    if let expired {
                        guard let earlier = try Self.earlierSettlement(of: checked, WriterLedger(tx: tx)),
                            repeats == .answer
                        else { return refused(expired, payer: payer) }
                        cached = earlier
                    } else {
                        cached = try Self.x402State(checked, WriterLedger(tx: tx))
                    }
                    if let cached {
                        if repeats == .refuse { try Self.requireIdentifiedRepeat(checked, of: cached) }
                        return cached.response
                    }
                    return try Self.x402Settle(checked, network: network, fees: fees, key: key, context, &tx)
                } catch let refusal as X402Refusal {
                    // Nothing was appended: the refusal commits no event.
                    return refused(refusal, payer: payer)
                } catch {
                    throw error as? KuraError ?? KuraError(.internalError, "\(error)")
                }
            }
            return reply.value
        } catch  where error.code == .storageUnavailable || error.code == .storageFailure {
            throw error
        } catch {
            // After the window the answer says "expired" and nothing more: not even that the payer used this key.
            if let expired, error.code == .idempotencyConflict { return refused(expired, payer: payer) }
            return refused(X402Refusal(Self.x402Reason(for: error), error.detail), payer: payer)
        }
    }
}

/// A payment whose form, signature, terms and time window check out, with what settlement needs.
struct CheckedX402Payment: Sendable {
    let verified: VerifiedKuraPayment
    let payer: Party
    let payee: PartyID
    let asset: Asset
    let amount: Amount
    let identifier: String?
    let payloadHash: String
    let authorizationHash: String

    var authorization: KuraAuthorization { verified.authorization }
    /// The direct payment's or escrow's `paymentId`: the payment identifier, else one derived from the nonce.
    var paymentId: String { identifier ?? "x402_" + authorization.nonce }
}

extension KuraService {
    /// The payer an answer names: the authorization's, when the payload has one (refusals included).
    static func payerText(_ request: FacilitatorRequest) -> String? {
        (try? KuraPaymentProof.parse(request.paymentPayload.payload))?.authorization.payer
    }

    /// The checks that need no state beyond the payer's key: scheme, network, form, signature, terms, window.
    /// `payloadBytes` is the canonical JSON of the request's payment payload (``FacilitatorRequest/canonicalParts()``),
    /// nil if it has none.
    func x402Check(_ request: FacilitatorRequest, now: Int64, payloadBytes: [UInt8]?) async throws(X402Refusal)
        -> CheckedX402Payment
    {
        let requirements = request.paymentRequirements
        guard KuraScheme(rawValue: requirements.scheme) != nil else {
            throw X402Refusal(.unsupportedScheme, "'\(requirements.scheme)' is not a Kura scheme")
        }
        guard requirements.network == x402Network.id else {
            throw X402Refusal(
                .invalidNetwork, "this facilitator settles on \(x402Network.id), not \(requirements.network)")
        }
        let proof = try KuraPaymentProof.parse(request.paymentPayload.payload)
        var found: Party?
        if let id = PartyID(proof.authorization.payer) {
            do { found = try await read(.auth) { reads throws(KuraError) in try reads.party(id)?.party } } catch {
                // Not knowing the payer is not a refusal: a settle's retry after a lost answer must not be told "no".
                throw X402Refusal(.outcomeUnknown, "cannot read the payer: \(error.detail)")
            }
        }
        guard let payer = found else {
            throw X402Refusal(.invalidPayload, "the payer \(proof.authorization.payer) is not a Kura party")
        }
        let verified = try KuraScheme.verify(
            request.paymentPayload, against: requirements, on: x402Network, payerKey: payer.publicKey,
            nowMilliseconds: now, proof: proof)
        guard let payee = PartyID(requirements.payTo), payee != payer.id else {
            throw X402Refusal(.invalidPaymentRequirements, "payTo must be a Kura party other than the payer")
        }
        guard let asset = try? Asset(requirements.asset) else {
            throw X402Refusal(.invalidPaymentRequirements, "'\(requirements.asset)' is not a Kura asset")
        }
        guard requirements.amount.units > 0, let amount = try? Amount(units: requirements.amount.units) else {
            throw X402Refusal(.invalidPaymentRequirements, "the amount must be more than zero")
        }
        return CheckedX402Payment(
            verified: verified, payer: payer, payee: payee, asset: asset, amount: amount,
            identifier: try? PaymentIdentifier.id(in: request.paymentPayload.extensions),
            payloadHash: Hex.encode(SHA256.hash(payloadBytes ?? [])),
            authorizationHash: Hex.encode(SHA256.hash(verified.signedBytes)))
    }

    /// ``x402Check(_:now:payloadBytes:)`` for settle: an authorization whose window closed before `now` passes every other
    /// check as at the window's last moment and comes back with the refusal as `expired`, because a payment
    /// settled in its window is still answered after it; only a new settlement needs the window.
    func x402CheckSettled(_ request: FacilitatorRequest, now: Int64, payloadBytes: [UInt8]?) async throws(X402Refusal)
        -> (checked: CheckedX402Payment, expired: X402Refusal?)
    {
        do { return (try await x402Check(request, now: now, payloadBytes: payloadBytes), nil) } catch {
            guard KuraScheme.allCases.contains(where: { error.reason == .kuraValidBefore($0) }),
                let validBefore = try? KuraPaymentProof.parse(request.paymentPayload.payload).authorization.validBefore
            else { throw error }
            return (try await x402Check(request, now: validBefore.milliseconds - 1, payloadBytes: payloadBytes), error)
        }
    }

    /// This very authorization's settlement (its nonce, with the same authorization), and nothing else of the
    /// payer's state: all that settle consults once the window has closed.
    static func earlierSettlement(of payment: CheckedX402Payment, _ db: some X402Ledger) throws(KuraError)
        -> X402Settlement?
    {
        guard let earlier = try db.x402Settlement(payer: payment.payer.id, nonce: payment.authorization.nonce),
            earlier.authorizationHash == payment.authorizationHash
        else { return nil }
        return earlier
    }

    /// The checks against state: a reader's snapshot for verify, the writer's state for settle.
    /// Answers the earlier settlement this payment repeats, nil for a fresh one that can be settled now.
    static func x402State(_ payment: CheckedX402Payment, _ db: some X402Ledger) throws(X402Refusal)
        -> X402Settlement?
    {
        let scheme = payment.verified.scheme
        let payer = payment.payer.id
        func state<T>(_ body: () throws(KuraError) -> T) throws(X402Refusal) -> T {
            do { return try body() } catch {
                throw X402Refusal(.unexpectedSettleError, "cannot read the ledger: \(error.detail)")
            }
        }
        if let earlier = try state({ () throws(KuraError) in
            try db.x402Settlement(payer: payer, nonce: payment.authorization.nonce)
        }) {
            guard earlier.authorizationHash == payment.authorizationHash else {
                throw X402Refusal(.kuraNonceUsed(scheme), "the payer already settled another payment with this nonce")
            }
            return earlier
        }
        if let id = payment.identifier,
            let earlier = try state({ () throws(KuraError) in
                try db.x402Settlement(payer: payer, identifier: id)
            })
        {
            guard earlier.payloadHash == payment.payloadHash else {
                throw X402Refusal(
                    .paymentIdentifierConflict, "payment identifier '\(id)' was used with another payload")
            }
            return earlier
        }
        guard let current = try state({ () throws(KuraError) in try db.party(payer) }),
            current.status == .active
        else { throw X402Refusal(.invalidTransactionState, "the payer \(payer) is not active") }
        // The signature was checked with the key the payer had then; a key changed since does not carry it.
        guard current.publicKey == payment.payer.publicKey else {
            throw X402Refusal(.invalidPayload, "the payer's key changed since the authorization was checked")
        }
        guard let payee = try state({ () throws(KuraError) in try db.party(payment.payee) }),
            payee.status == .active
        else { throw X402Refusal(.invalidPaymentRequirements, "payTo \(payment.payee) is not an active Kura party") }
        let paymentId = payment.paymentId
        let used = try state({ () throws(KuraError) in try db.paymentExists(payer: payer, paymentId: paymentId) })
        if used {
            throw X402Refusal(.paymentIdentifierConflict, "the payer already made payment '\(payment.paymentId)'")
        }
        let available = try state({ () throws(KuraError) in try db.available(payer, payment.asset) })
        guard payment.amount <= available else {
            throw X402Refusal(
                .insufficientFunds,
                // Not how much: whoever holds the authorization (its payee) can ask verify as often as it likes.
                "\(payer) has less than \(payment.amount) \(payment.asset) available")
        }
        return nil
    }

    /// Settles a fresh payment inside the write transaction: the money event, then `x402.settled`.
    static func x402Settle(
        _ payment: CheckedX402Payment, network: String, fees: FeeSchedule, key: Ed25519.SecretKey,
        _ context: CommandContext, _ tx: inout WriteTransaction
    ) throws(KuraError) -> SettleResponse {
        let authorization = payment.authorization
        let payer = payment.payer.id
        let subject: String
        let transaction: String
        var kura: [String: JSONValue] = ["paymentId": .string(payment.paymentId)]
        switch payment.verified.scheme {
        case .exact:
            let request = PayRequest(
                payee: payment.payee, amount: payment.amount, asset: payment.asset, paymentId: payment.paymentId,
                resource: authorization.resource)
            let state = tx.state
            let payee = try state.requireParty(payment.payee)
            let settled = try PaymentEvent.decideSettle(
                id: PaymentID.derive(command: context.command, seq: context.seq), request: request, payer: payer,
                payee: payee, available: try state.available(payer, payment.asset), fees: fees,
                paymentIdUsed: try tx.version(of: Payment.stream(payer: payer, paymentId: payment.paymentId)) > 0,
                now: context.now
            ).signed(with: key)
            try context.append(
                [PaymentEvent.settled(settled)], to: Payment.stream(payer: payer, paymentId: payment.paymentId), &tx)
            subject = settled.id.rawValue
            transaction = settled.txSignature
            kura["payment"] = .string(subject)
        case .escrow:
            guard let extra = payment.verified.escrowTerms else {
                throw KuraError(.internalError, "an escrow payment without terms passed verification")
            }
            let terms = EscrowTerms(
                payer: payer, payee: payment.payee, amount: payment.amount, asset: payment.asset,
                deliverBy: context.now.adding(milliseconds: Int64(extra.deliverWithinSeconds) * 1000),
                confirmWindowMs: Int64(extra.confirmWindowSeconds) * 1000,
                disputeWindowMs: Int64(extra.disputeWindowSeconds) * 1000, resource: authorization.resource,
                paymentId: payment.paymentId)
            let id = EscrowID.derive(command: context.command, seq: context.seq)
            let events = try Escrow.decideLock(
                id: id, terms: terms, by: payer, now: context.now,
                context: EscrowContext(fees: fees, payerAvailable: try tx.state.available(payer, payment.asset)))
            try context.append(events, toNew: "escrow/\(id)", &tx)
            subject = id.rawValue
            transaction = id.rawValue
            kura["escrow"] = .string(subject)
        }
        let response = SettleResponse(
            success: true, payer: payer.rawValue, transaction: transaction, network: network,
            amount: authorization.amount, extensions: ["kura": .object(kura)])
        let settlement = X402Settlement(
            scheme: payment.verified.scheme.rawValue, payer: payer, nonce: authorization.nonce,
            authorizationHash: payment.authorizationHash, paymentIdentifier: payment.identifier,
            payloadHash: payment.payloadHash, subject: subject, response: response)
        // Settled only when `x402State` found no settlement of this nonce, and the stream holds nothing but the
        // settlement its row records: the stream is new, and its version need not be read from the log.
        try context.append(
            [X402Event.settled(settlement)], toNew: X402Settlement.stream(payer: payer, nonce: authorization.nonce),
            &tx)
        return response
    }

    /// The standard reason for a refusal that surfaced as a KuraError (a race lost inside the transaction).
    static func x402Reason(for error: KuraError) -> X402Reason {
        switch error.code {
        case .insufficientFunds: .insufficientFunds
        case .duplicatePayment: .paymentIdentifierConflict
        case .invalidRequest, .notFound, .forbidden: .invalidPaymentRequirements
        default: .unexpectedSettleError
        }
    }

    /// A read whose storage failure is a refusal (`unexpected_verify_error`), like every other verify answer.
    func readRefusing<T: Sendable>(_ body: @escaping @Sendable (any ReadSession) throws(X402Refusal) -> T)
        async throws(X402Refusal) -> T
    {
        let outcome: Result<T, X402Refusal>
        do throws(KuraError) {
            outcome = try await read { reads throws(KuraError) -> Result<T, X402Refusal> in
                do throws(X402Refusal) { return .success(try body(reads)) } catch { return .failure(error) }
            }
        } catch { throw X402Refusal(.unexpectedVerifyError, "cannot read the ledger: \(error.detail)") }
        return try outcome.get()
    }
}

/// What the x402 checks ask of the ledger: the writer's state (settle) or a reader's snapshot (verify).
protocol X402Ledger {
    func party(_ id: PartyID) throws(KuraError) -> Party?
    func available(_ party: PartyID, _ asset: Asset) throws(KuraError) -> Amount
    func paymentExists(payer: PartyID, paymentId: String) throws(KuraError) -> Bool
    func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402Settlement?
    func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402Settlement?
}

/// The writer's state, within one command, as an ``X402Ledger``.
struct WriterLedger: X402Ledger {
    let tx: WriteTransaction

    func party(_ id: PartyID) throws(KuraError) -> Party? { try tx.state.party(id) }

    func available(_ party: PartyID, _ asset: Asset) throws(KuraError) -> Amount {
        try tx.state.available(party, asset)
    }

    func paymentExists(payer: PartyID, paymentId: String) throws(KuraError) -> Bool {
        try tx.version(of: Payment.stream(payer: payer, paymentId: paymentId)) > 0
    }

    func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402Settlement? {
        try tx.state.x402Settlement(payer: payer, nonce: nonce).map(X402Settlement.decode)
    }

    func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402Settlement? {
        try tx.state.x402Settlement(payer: payer, identifier: identifier).map(X402Settlement.decode)
    }
}

/// A reader's snapshot as an ``X402Ledger``.
struct ReadSessionLedger: X402Ledger {
    let reads: any ReadSession

    func party(_ id: PartyID) throws(KuraError) -> Party? { try reads.party(id)?.party }

    func available(_ party: PartyID, _ asset: Asset) throws(KuraError) -> Amount { try reads.available(party, asset) }

    func paymentExists(payer: PartyID, paymentId: String) throws(KuraError) -> Bool {
        try reads.payment(payer: payer, paymentId: paymentId) != nil
    }

    func x402Settlement(payer: PartyID, nonce: String) throws(KuraError) -> X402Settlement? {
        try reads.x402Settlement(payer: payer, nonce: nonce).map(X402Settlement.decode)
    }

    func x402Settlement(payer: PartyID, identifier: String) throws(KuraError) -> X402Settlement? {
        try reads.x402Settlement(payer: payer, identifier: identifier).map(X402Settlement.decode)
    }
}

extension X402Settlement {
    /// The record a settlement row stores.
    static func decode(_ row: X402SettlementRow) throws(KuraError) -> X402Settlement {
        try RowJSON.decode(X402Settlement.self, Array(row.json.utf8))
    }
}

import KuraCrypto

/// A party's withdrawal to a Solana address (stream `withdrawal/<wdr_…>`).
///
/// `withdrawal.requested` moves the amount from the party's available balance to
/// `withdrawal/<id>/pending` and records the treasury's signed transfer *before* it is sent; so a crash at
/// any point leaves a withdrawal whose outcome is found by its signature's status, and it is never sent by
/// a second transaction. `withdrawal.completed` (one trust receipt, `txSignature` the Solana signature) pays
/// the pending amount out to `external`; `withdrawal.failed` (the transfer failed, or its blockhash expired
/// without it landing) returns it to the party.
public struct SolanaWithdrawal: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case pending, completed, failed
    }

    public var request: SolanaWithdrawalRequest
    public var state: State
    public var slot: UInt64?
    public var failure: SolanaFailure?

    /// The stream of a withdrawal.
    public static func stream(_ id: WithdrawalID) -> String { "withdrawal/\(id)" }

    /// Folds the stream's events; nil for an empty stream.
    public static func fold(_ events: [SolanaWithdrawalEvent]) -> SolanaWithdrawal? {
        var withdrawal: SolanaWithdrawal?
        for event in events {
            switch event {
            case .requested(let request, _): withdrawal = SolanaWithdrawal(request: request, state: .pending)
            case .completed(let settled, _):
                withdrawal?.state = .completed
                withdrawal?.slot = settled.slot
            case .failed(let failure, _):
                withdrawal?.state = .failed
                withdrawal?.failure = failure
            }
        }
        return withdrawal
    }

    /// Decides a request: a positive amount within the per-withdrawal limit, today's withdrawals plus this one
    /// within the daily limit, no more than the party has available, by an active party.
    public static func decideRequest(
        _ request: SolanaWithdrawalRequest, party: Party, available: Amount, withdrawnToday: Amount,
        limits: WithdrawalLimits
    ) throws(KuraError) -> [SolanaWithdrawalEvent] {
        guard party.status == .active else { throw KuraError(.forbidden, "\(party.id) is not active") }
        guard request.amount.units > 0 else { throw KuraError(.invalidRequest, "amount must be more than zero") }
        try request.validate()
        guard request.amount.units <= limits.perWithdrawal.units else {
            throw KuraError(
                .capExceeded,
                "a withdrawal is at most \(limits.perWithdrawal) \(request.asset), asked \(request.amount)")
        }
        guard withdrawnToday.units + request.amount.units <= limits.perDay.units else {
            throw KuraError(
                .capExceeded,
                "at most \(limits.perDay) \(request.asset) a day: \(withdrawnToday) already today, asked \(request.amount)"
            )
        }
        guard request.amount <= available else {
            throw KuraError(
                .insufficientFunds, "\(party.id) has \(available) \(request.asset) available, asked \(request.amount)")
        }
        return [
            .requested(
                request,
                postings: [
                    Posting(
                        from: .available(request.party), to: .withdrawalPending(request.id), asset: request.asset,
                        amount: request.amount)
                ])
        ]
    }

    /// Decides what an observation of the chain means for a pending withdrawal; nothing once decided.
    public func decide(_ observed: SolanaObservation, now: Timestamp) -> [SolanaWithdrawalEvent] {
        guard state == .pending else { return [] }
        switch observed {
        case .pending: return []
        case .confirmed(let slot):
            return [
                .completed(
                    SolanaSettled(signature: request.signature, slot: slot, at: now),
                    postings: [
                        Posting(
                            from: .withdrawalPending(request.id), to: .external, asset: request.asset,
                            amount: request.amount)
                    ])
            ]
        case .failed(let reason, let detail):
            return [
                .failed(
                    SolanaFailure(signature: request.signature, reason: reason, detail: detail, at: now),
                    postings: [
                        Posting(
                            from: .withdrawalPending(request.id), to: .available(request.party), asset: request.asset,
                            amount: request.amount)
                    ])
            ]
        }
    }
}

/// Limits on withdrawals to a chain, per party.
public struct WithdrawalLimits: Sendable, Equatable, Codable {
    /// The most one withdrawal may move.
    public var perWithdrawal: Amount
    /// The most a party may withdraw in one UTC day (failed withdrawals do not count).
    public var perDay: Amount
    public init(perWithdrawal: Amount, perDay: Amount) {
        self.perWithdrawal = perWithdrawal
        self.perDay = perDay
    }
}

/// The facts of a requested withdrawal, with the signed transfer that pays it.
public struct SolanaWithdrawalRequest: Codable, Sendable, Equatable {
    public var id: WithdrawalID
    public var party: PartyID
    /// The ledger asset, and the amount in its atomic units (the mint's).
    public var asset: Asset
    public var amount: Amount
    /// `solana`.
    public var rail: String
    /// The CAIP-2 network, the mint, and the destination: an owner address, paid at its associated token
    /// account.
    public var network: String
    public var mint: String
    public var destination: String
    public var destinationAccount: String
    /// The treasury's signed `TransferChecked` (standard base64), its signature and the blockhash it is valid
    /// against: once that blockhash expires without the signature landing, it never will.
    public var transaction: String
    public var signature: String
    public var blockhash: String
    public var lastValidBlockHeight: UInt64
    public var requestedAt: Timestamp

    public init(
        id: WithdrawalID, party: PartyID, asset: Asset, amount: Amount, network: String, mint: String,
        destination: String, destinationAccount: String, transaction: String, signature: String, blockhash: String,
        lastValidBlockHeight: UInt64, requestedAt: Timestamp
    ) {
        self.id = id
        self.party = party
        self.asset = asset
        self.amount = amount
        self.rail = "solana"
        self.network = network
        self.mint = mint
        self.destination = destination
        self.destinationAccount = destinationAccount
        self.transaction = transaction
        self.signature = signature
        self.blockhash = blockhash
        self.lastValidBlockHeight = lastValidBlockHeight
        self.requestedAt = requestedAt
    }

    func validate() throws(KuraError) {
        guard SolanaText.isBase58(destination, bytes: 32), SolanaText.isBase58(destinationAccount, bytes: 32),
            SolanaText.isBase58(mint, bytes: 32), SolanaText.isBase58(signature, bytes: 64),
            SolanaText.isBase58(blockhash, bytes: 32)
        else { throw KuraError(.invalidRequest, "the withdrawal names a malformed address, signature or blockhash") }
    }
}

/// The events of ``SolanaWithdrawal``.
public enum SolanaWithdrawalEvent: DomainEvent, Sendable, Equatable {
    case requested(SolanaWithdrawalRequest, postings: [Posting])
    case completed(SolanaSettled, postings: [Posting])
    case failed(SolanaFailure, postings: [Posting])

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case requested = "withdrawal.requested"
        case completed = "withdrawal.completed"
        case failed = "withdrawal.failed"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .requested: .requested
        case .completed: .completed
        case .failed: .failed
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var postings: [Posting] {
        switch self {
        case .requested(_, let p), .completed(_, let p), .failed(_, let p): p
        }
    }

    private struct Requested: Codable {
        var request: SolanaWithdrawalRequest, postings: [Posting]
    }
    private struct Completed: Codable {
        var settled: SolanaSettled, postings: [Posting]
    }
    private struct Failed: Codable {
        var failure: SolanaFailure, postings: [Posting]
    }

    public var payload: JSONValue {
        switch self {
        case .requested(let request, let postings): EventPayload.encode(Requested(request: request, postings: postings))
        case .completed(let settled, let postings): EventPayload.encode(Completed(settled: settled, postings: postings))
        case .failed(let failure, let postings): EventPayload.encode(Failed(failure: failure, postings: postings))
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .requested:
            let body = try EventPayload.decode(Requested.self, from: payload, eventType: type)
            self = .requested(body.request, postings: body.postings)
        case .completed:
            let body = try EventPayload.decode(Completed.self, from: payload, eventType: type)
            self = .completed(body.settled, postings: body.postings)
        case .failed:
            let body = try EventPayload.decode(Failed.self, from: payload, eventType: type)
            self = .failed(body.failure, postings: body.postings)
        }
    }
}

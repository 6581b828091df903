import KuraCrypto

/// An x402 `exact` payment on Solana that Kura settles as the fee payer, one per transaction message hash
/// (stream `solana/payment/<message hash>`).
///
/// Kura's ledger moves nothing: the money moves on chain. What the log holds is the claim that makes
/// settlement happen once: `solana.submitted` is appended before the transaction is sent, by exactly
/// one settle; every other settle of the same message finds it and never sends. Then
/// `solana.settled` (the one trust receipt, whose `txSignature` is the Solana signature) or
/// `solana.failed`.
public struct SolanaPayment: Sendable, Equatable, Codable {
    /// Where the payment is.
    public enum State: String, Sendable, Codable {
        /// Sent (or about to be): the outcome is not known yet.
        case submitted
        /// Confirmed on chain.
        case settled
        /// Failed on chain, refused by the node, or expired without landing.
        case failed
    }

    /// What was submitted.
    public var record: SolanaPaymentRecord
    public var state: State
    /// The slot it landed in, once settled.
    public var slot: UInt64?
    /// Why it failed, once failed: a reason code and a sentence.
    public var failure: SolanaFailure?
    /// Once settled, the key hash of the call told of it (``SolanaSettled/answeredKeyHash``).
    public var answeredKeyHash: String?

    /// The stream of a message hash.
    public static func stream(messageHash: String) -> String { "solana/payment/\(messageHash)" }

    /// Folds the stream's events; nil for an empty stream.
    public static func fold(_ events: [SolanaPaymentEvent]) -> SolanaPayment? {
        var payment: SolanaPayment?
        for event in events {
            switch event {
            case .submitted(let record): payment = SolanaPayment(record: record, state: .submitted)
            case .settled(let outcome):
                payment?.state = .settled
                payment?.slot = outcome.slot
                payment?.answeredKeyHash = outcome.answeredKeyHash
            case .failed(let failure):
                payment?.state = .failed
                payment?.failure = failure
            }
        }
        return payment
    }

    /// Decides the claim: the first settle of a message submits it; any later one gets nothing to append and
    /// must reconcile with the payment as it stands.
    public static func decideSubmit(_ record: SolanaPaymentRecord, existing: SolanaPayment?) throws(KuraError)
        -> [SolanaPaymentEvent]
    {
        guard existing == nil else { return [] }
        try record.validate()
        return [.submitted(record)]
    }

    /// Decides what an observation of the chain means for a submitted payment; nothing once it is decided. A
    /// success is told to the call whose key hash is `answering` (``SolanaSettled/answeredKeyHash``).
    public func decide(_ observed: SolanaObservation, now: Timestamp, answering keyHash: String? = nil)
        -> [SolanaPaymentEvent]
    {
        guard state == .submitted else { return [] }
        switch observed {
        case .pending: return []
        case .confirmed(let slot):
            return [
                .settled(SolanaSettled(signature: record.signature, slot: slot, at: now, answeredKeyHash: keyHash))
            ]
        case .failed(let reason, let detail):
            return [.failed(SolanaFailure(signature: record.signature, reason: reason, detail: detail, at: now))]
        }
    }
}

/// What the chain says about a sent transaction, as the service read it.
public enum SolanaObservation: Sendable, Equatable {
    /// Not known yet, and its blockhash is still valid: it may still land.
    case pending
    /// Landed without error at the required commitment.
    case confirmed(slot: UInt64)
    /// Landed with an error, refused by the node, or its blockhash expired without it landing: it never will.
    case failed(reason: String, detail: String)
}

/// The facts of a submitted x402 payment on Solana.
public struct SolanaPaymentRecord: Codable, Sendable, Equatable {
    /// The CAIP-2 network.
    public var network: String
    /// The message hash (base58), the key of the stream.
    public var messageHash: String
    /// The transaction's signature: Kura's as fee payer, its ID on the network.
    public var signature: String
    /// The co-signed transaction as sent (standard base64).
    public var transaction: String
    /// Who paid (the transfer's authority) and who was paid (`payTo`), Solana addresses.
    public var payer: String
    public var payTo: String
    /// The parties the trust receipt names: the Kura party holding the address's key, or `pty_<address>`.
    public var payerParty: PartyID
    public var payeeParty: PartyID
    /// The mint (as a Kura asset name) and the amount transferred.
    public var asset: Asset
    public var amount: Amount
    /// Lowercase hex SHA-256 of the canonical JSON of the `paymentPayload`, and its payment identifier.
    public var payloadHash: String
    public var paymentIdentifier: String?
    /// The settle call that claimed it, if it sent an `Idempotency-Key`: lowercase hex SHA-256 of the key, a line
    /// feed and ``payloadHash``. That call's retry while it still waits for the chain is told to come back.
    public var settleKeyHash: String?
    /// When it was submitted.
    public var submittedAt: Timestamp

    public init(
        network: String, messageHash: String, signature: String, transaction: String, payer: String, payTo: String,
        payerParty: PartyID, payeeParty: PartyID, asset: Asset, amount: Amount, payloadHash: String,
        paymentIdentifier: String?, settleKeyHash: String? = nil, submittedAt: Timestamp
    ) {
        self.network = network
        self.messageHash = messageHash
        self.signature = signature
        self.transaction = transaction
        self.payer = payer
        self.payTo = payTo
        self.payerParty = payerParty
        self.payeeParty = payeeParty
        self.asset = asset
        self.amount = amount
        self.payloadHash = payloadHash
        self.paymentIdentifier = paymentIdentifier
        self.settleKeyHash = settleKeyHash
        self.submittedAt = submittedAt
    }

    func validate() throws(KuraError) {
        guard SolanaText.isBase58(messageHash, bytes: 32), SolanaText.isBase58(signature, bytes: 64),
            SolanaText.isBase58(payer, bytes: 32), SolanaText.isBase58(payTo, bytes: 32)
        else { throw KuraError(.invalidRequest, "a Solana payment names a malformed address, hash or signature") }
        guard amount.units > 0 else { throw KuraError(.invalidRequest, "a Solana payment moves more than zero") }
    }
}

/// A confirmation.
public struct SolanaSettled: Codable, Sendable, Equatable {
    public var signature: String
    public var slot: UInt64
    public var at: Timestamp
    /// The settle call told of this success (the call that recorded it, or, when the reconciler recorded it, the
    /// call that claimed the payment), as ``SolanaPaymentRecord/settleKeyHash`` names a call: its key and the payload
    /// it presented. That call's retry is answered the success again, and no other call is. Absent when that call
    /// sent no key.
    public var answeredKeyHash: String?

    public init(signature: String, slot: UInt64, at: Timestamp, answeredKeyHash: String? = nil) {
        self.signature = signature
        self.slot = slot
        self.at = at
        self.answeredKeyHash = answeredKeyHash
    }
}

/// A failure: the x402 reason code (`transaction_failed`, …) and a sentence for people.
public struct SolanaFailure: Codable, Sendable, Equatable {
    public var signature: String
    public var reason: String
    public var detail: String
    public var at: Timestamp
    public init(signature: String, reason: String, detail: String, at: Timestamp) {
        self.signature = signature
        self.reason = reason
        self.detail = detail
        self.at = at
    }
}

/// The events of ``SolanaPayment``.
public enum SolanaPaymentEvent: DomainEvent, Sendable, Equatable {
    case submitted(SolanaPaymentRecord)
    case settled(SolanaSettled)
    case failed(SolanaFailure)

    /// The event types of this aggregate, a closed set: what the log's `type` and a receipt's `kind` are made
    /// of. Reputation switches over it (``ReceiptKind``), so a kind renamed or added here is a compile error
    /// there, never a receipt silently counted for nothing.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case submitted = "solana.submitted"
        case settled = "solana.settled"
        case failed = "solana.failed"
    }

    /// Which kind of event this is.
    public var kind: Kind {
        switch self {
        case .submitted: .submitted
        case .settled: .settled
        case .failed: .failed
        }
    }

    /// The stable type string in the log.
    public var type: String { kind.rawValue }

    public var payload: JSONValue {
        switch self {
        case .submitted(let record): EventPayload.encode(record)
        case .settled(let settled): EventPayload.encode(settled)
        case .failed(let failure): EventPayload.encode(failure)
        }
    }

    public init(type: String, payload: JSONValue) throws(KuraError) {
        guard let kind = Kind(rawValue: type) else { throw EventPayload.unknown(type) }
        switch kind {
        case .submitted:
            self = .submitted(try EventPayload.decode(SolanaPaymentRecord.self, from: payload, eventType: type))
        case .settled:
            self = .settled(try EventPayload.decode(SolanaSettled.self, from: payload, eventType: type))
        case .failed:
            self = .failed(try EventPayload.decode(SolanaFailure.self, from: payload, eventType: type))
        }
    }
}

/// Checks of Solana text the core can make with base58 alone.
public enum SolanaText {
    /// Whether `text` is base58 of exactly `bytes` bytes.
    public static func isBase58(_ text: String, bytes: Int) -> Bool {
        text.utf8.count <= 90 && Base58.decode(text)?.count == bytes
    }

    /// The party a Solana address stands for in receipts when no Kura party holds its key: `pty_` and the
    /// base58 of its 32 bytes (Kura's own party IDs are 16 bytes, so the two never collide).
    public static func party(forAddress address: String) -> PartyID { PartyID(unchecked: "pty_" + address) }
}

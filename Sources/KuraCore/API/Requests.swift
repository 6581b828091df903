import KuraCrypto

/// A request body that refuses unknown fields: a typo must not silently become a default.
public protocol StrictRequest: Codable, Sendable {
    /// The members a request may have.
    static var fields: Set<String> { get }
    /// Whether the route hands the operation the body's bytes unparsed, for a body read by rules of its own (the
    /// standard x402 facilitator's, which answers a malformed one with a refusal in a 200, not a 400). False
    /// unless a request type says otherwise: the route parses the body as strict JSON.
    static var readsBodyBytes: Bool { get }
    /// Decodes from JSON; unknown members, wrong types and bad values are `invalid_request`. A request of
    /// several shapes (``DepositRequest``) chooses its shape here.
    static func decode(_ json: JSONValue) throws(KuraError) -> Self
    /// The members of the request's nested objects (a signed voucher's `voucher`), by the member that holds
    /// them: unknown ones are refused there too, as the schema's `additionalProperties: false` says.
    static var nestedFields: [String: Set<String>] { get }
}

extension StrictRequest {
    public static var readsBodyBytes: Bool { false }
    public static var nestedFields: [String: Set<String>] { [:] }
}

extension StrictRequest {
    /// Decodes from JSON; unknown members, wrong types and bad values are `invalid_request`.
    public static func decode(_ json: JSONValue) throws(KuraError) -> Self {
        guard case .object(let members) = json else {
            throw KuraError(.invalidRequest, "the body must be a JSON object")
        }
        // The least unknown member is named, so that the answer does not depend on hashing (no sort: a body
        // without one, every valid request, filters to nothing).
        if let unknown = members.keys.filter({ !fields.contains($0) }).min() {
            throw KuraError(.invalidRequest, "unknown field '\(unknown.prefix(64))'")
        }
        for (name, known) in nestedFields {
            if case .object(let nested)? = members[name],
                let unknown = nested.keys.filter({ !known.contains($0) }).min()
            {
                throw KuraError(.invalidRequest, "unknown field '\(name).\(unknown.prefix(64))'")
            }
        }
        do { return try json.decode(Self.self) } catch {
            throw KuraError(.invalidRequest, "invalid body: \(error.reason)")
        }
    }
}

/// `POST /v1/parties`.
public struct RegisterPartyRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["name", "roles", "publicKey"]
    /// A display name.
    public var name: String
    /// Any of agent, provider, arbiter, operator.
    public var roles: [Party.Role]
    /// Standard base64 of the 32-byte Ed25519 public key.
    public var publicKey: String

    public init(name: String, roles: [Party.Role], publicKey: String) {
        self.name = name
        self.roles = roles
        self.publicKey = publicKey
    }
}

/// The answer to a registration: the party, its API key (shown once) and its passport.
public struct PartyRegistration: Codable, Sendable, Equatable {
    public var party: Party
    /// Present only in the first answer; a replay of the same request omits it (Kura keeps only its hash).
    public var apiKey: String?
    public var passport: Passport

    public init(party: Party, apiKey: String?, passport: Passport) {
        self.party = party
        self.apiKey = apiKey
        self.passport = passport
    }
}

/// `POST /v1/accounts/{party}/deposits` and `/withdrawals`.
public struct FundsRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["asset", "amount", "reference"]
    public var asset: Asset
    public var amount: Amount
    /// The operator's reference for the transfer outside Kura.
    public var reference: String?

    public init(asset: Asset, amount: Amount, reference: String? = nil) {
        self.asset = asset
        self.amount = amount
        self.reference = reference
    }
}

/// A party's money: `{party, balances: [{asset, available, held}]}`.
public struct AccountView: Codable, Sendable, Equatable {
    public struct Balance: Codable, Sendable, Equatable {
        public var asset: Asset
        public var available: UInt64
        public var held: UInt64

        public init(asset: Asset, available: UInt64, held: UInt64) {
            self.asset = asset
            self.available = available
            self.held = held
        }
    }
    public var party: PartyID
    public var balances: [Balance]

    public init(party: PartyID, balances: [Balance]) {
        self.party = party
        self.balances = balances
    }
}

/// `POST /v1/escrows`.
public struct OpenEscrowRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = [
        "payee", "amount", "asset", "deliverBy", "confirmWindowMs", "disputeWindowMs", "resource", "paymentId", "memo",
    ]
    public var payee: PartyID
    public var amount: Amount
    public var asset: Asset
    public var deliverBy: Timestamp
    public var confirmWindowMs: Int64?
    public var disputeWindowMs: Int64?
    public var resource: String?
    public var paymentId: String?
    public var memo: String?

    public init(
        payee: PartyID, amount: Amount, asset: Asset, deliverBy: Timestamp, confirmWindowMs: Int64? = nil,
        disputeWindowMs: Int64? = nil, resource: String? = nil, paymentId: String? = nil, memo: String? = nil
    ) {
        self.payee = payee
        self.amount = amount
        self.asset = asset
        self.deliverBy = deliverBy
        self.confirmWindowMs = confirmWindowMs
        self.disputeWindowMs = disputeWindowMs
        self.resource = resource
        self.paymentId = paymentId
        self.memo = memo
    }
}

extension OpenEscrowRequest: CanonicalJSONWritable {
    /// The members of the `Encodable` form in canonical order: the command an escrow's opening hashes (its
    /// identifier, its idempotency hash) is made from these bytes, once per request (`OpenEscrowRequestTests`
    /// holds them to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] {
        var json = CanonicalObjectWriter(capacity: 192)
        try json.unsigned("amount", amount.units)
        json.string("asset", asset.name)
        if let confirmWindowMs { try json.integer("confirmWindowMs", confirmWindowMs) }
        try json.integer("deliverBy", deliverBy.milliseconds)
        if let disputeWindowMs { try json.integer("disputeWindowMs", disputeWindowMs) }
        if let memo { json.string("memo", memo) }
        json.string("payee", payee.rawValue)
        if let paymentId { json.string("paymentId", paymentId) }
        if let resource { json.string("resource", resource) }
        return json.finish()
    }
}

/// `POST /v1/escrows/{id}/deliver`.
public struct DeliverRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["evidence"]
    /// Lowercase hex SHA-256 of what was delivered.
    public var evidence: String
    public init(evidence: String) { self.evidence = evidence }
}

/// `POST /v1/escrows/{id}/dispute`.
public struct DisputeRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["reason", "evidence", "statement"]
    public var reason: String
    /// Lowercase hex SHA-256 digests of the payer's evidence.
    public var evidence: [String]?
    /// An optional short statement for the panel (at most 2000 characters).
    public var statement: String?
    public init(reason: String, evidence: [String]? = nil, statement: String? = nil) {
        self.reason = reason
        self.evidence = evidence
        self.statement = statement
    }
}

/// An empty body, for confirm, cancel and refund.
public struct EmptyRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = []
    public init() {}
}

/// The escrow actions after creation.
public enum EscrowAction: String, Sendable, CaseIterable {
    case deliver, confirm, dispute, cancel, refund
}

/// The answer to a sweep: what the sweeper did.
public struct SweepReport: Sendable, Equatable, Codable {
    /// Escrows released because their confirm window passed.
    public var released: [EscrowID] = []
    /// Escrows returned to the payer because nothing was delivered in time.
    public var expired: [EscrowID] = []
    /// Disputes a deadline moved on (response window, ruling deadline or appeal window closed).
    public var disputes: [DisputeID] = []
    /// Channels a deadline moved on (expired into closing, or closed after the challenge period).
    public var channels: [ChannelID] = []
    /// Facilitator reservations voided because they expired unsettled; their holds went back.
    public var voided: [ReservationID] = []
    /// Mandates past their expiry; their remainders went back to their agents.
    public var expiredMandates: [MandateID] = []

    public init() {}
}

/// A page of a list, with the cursor for the next page (nil when this is the last).
public struct Page<Item: Sendable & Codable>: Sendable, Codable {
    /// The items.
    public let items: [Item]
    /// Pass as `cursor` to get the next page.
    public let nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

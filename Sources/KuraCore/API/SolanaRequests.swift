import KuraCrypto

/// A withdrawal to Solana as asked over HTTP or the CLI: `{asset, amount, rail: "solana", destination, network?}`.
public struct SolanaWithdrawalAsk: Codable, Sendable, Equatable {
    public var asset: Asset
    public var amount: Amount
    public var rail: String
    /// The owner address paid (at its associated token account).
    public var destination: String
    /// The CAIP-2 network; may be left out when Kura has one Solana network.
    public var network: String?

    public init(asset: Asset, amount: Amount, destination: String, network: String? = nil) {
        self.asset = asset
        self.amount = amount
        self.rail = "solana"
        self.destination = destination
        self.network = network
    }
}

/// A deposit proven on Solana: `{rail: "solana", tx: <signature>, network?}`.
public struct SolanaDepositProof: Codable, Sendable, Equatable {
    public var rail: String
    public var tx: String
    public var network: String?

    public init(tx: String, network: String? = nil) {
        self.rail = "solana"
        self.tx = tx
        self.network = network
    }
}

/// What a withdrawal looks like to its party.
public struct WithdrawalView: Codable, Sendable, Equatable {
    public var id: WithdrawalID
    public var party: PartyID
    public var asset: Asset
    public var amount: Amount
    public var rail: String
    public var network: String
    public var destination: String
    public var signature: String
    /// `pending`, `completed` or `failed`.
    public var state: String
    public var slot: UInt64?
    public var failure: String?
    public var requestedAt: Timestamp

    public init(_ withdrawal: SolanaWithdrawal) {
        let request = withdrawal.request
        id = request.id
        party = request.party
        asset = request.asset
        amount = request.amount
        rail = request.rail
        network = request.network
        destination = request.destination
        signature = request.signature
        state = withdrawal.state.rawValue
        slot = withdrawal.slot
        failure = withdrawal.failure.map { "\($0.reason): \($0.detail)" }
        requestedAt = request.requestedAt
    }
}

/// What an accepted on-chain receipt (seed dialect) proves, as the provider asked it checked.
public struct ChainReceiptAsk: Codable, Sendable, Equatable {
    public var network: String
    /// The transaction signature (`X-Payment-Receipt`).
    public var signature: String
    /// `X-Payment-ID`: the Memo the transaction must carry.
    public var paymentId: String
    /// The owner whose token account must have been paid, the mint, and the least amount.
    public var payTo: String
    public var asset: String
    public var amount: Amount

    public init(network: String, signature: String, paymentId: String, payTo: String, asset: String, amount: Amount) {
        self.network = network
        self.signature = signature
        self.paymentId = paymentId
        self.payTo = payTo
        self.asset = asset
        self.amount = amount
    }
}

extension SolanaDepositProof: StrictRequest {
    public static let fields: Set<String> = ["rail", "tx", "network"]
}

extension SolanaWithdrawalAsk: StrictRequest {
    public static let fields: Set<String> = ["rail", "asset", "amount", "destination", "network"]
}

extension ChainReceiptAsk: StrictRequest {
    public static let fields: Set<String> = ["network", "signature", "paymentId", "payTo", "asset", "amount"]
}

/// A transfer on one of two rails: the ledger's (an operator's entry, `FundsRequest`) or Solana's
/// (`"rail": "solana"`, `Solana`'s members). Each shape is strict about its own members.
public enum RailRequest<Solana: StrictRequest & Equatable>: StrictRequest, Equatable {
    case ledger(FundsRequest)
    case solana(Solana)

    public static var fields: Set<String> { FundsRequest.fields.union(Solana.fields) }

    public static func decode(_ json: JSONValue) throws(KuraError) -> Self {
        json["rail"] == "solana" ? .solana(try Solana.decode(json)) : .ledger(try FundsRequest.decode(json))
    }

    public init(from decoder: any Decoder) throws {
        self = try Self.decode(try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .ledger(let request): try request.encode(to: encoder)
        case .solana(let request): try request.encode(to: encoder)
        }
    }
}

/// `POST /v1/accounts/{party}/deposits`: money recorded by an operator, or proven on Solana.
public typealias DepositRequest = RailRequest<SolanaDepositProof>

/// `POST /v1/accounts/{party}/withdrawals`: money paid out by an operator, or sent to a Solana address.
public typealias WithdrawalRequest = RailRequest<SolanaWithdrawalAsk>

/// What a withdrawal answers: the account it changed (200), or a withdrawal to Solana as it stands (201, at
/// `/v1/withdrawals/{id}`).
public enum WithdrawalOutcome: Codable, Sendable, Equatable {
    case account(AccountView)
    case solana(WithdrawalView)

    /// Where a withdrawal to Solana lives; nil for the ledger's (no resource of its own).
    public var location: String? {
        if case .solana(let withdrawal) = self { "/v1/withdrawals/\(withdrawal.id)" } else { nil }
    }

    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        // Only a withdrawal to Solana names its rail.
        self =
            json["rail"] == nil
            ? .account(try json.decode(AccountView.self)) : .solana(try json.decode(WithdrawalView.self))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .account(let account): try account.encode(to: encoder)
        case .solana(let withdrawal): try withdrawal.encode(to: encoder)
        }
    }
}

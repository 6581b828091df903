import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import KuraX402

/// What a route behind ``X402PaymentMiddleware`` costs and how it may be paid: the price, asset and payee, the
/// accepted Kura schemes (with the escrow terms), the deadlines, and the Kura instance that settles.
public struct X402Offer: Sendable {
    /// The Kura instance's network (`kura:<key ID>`).
    public var network: String
    /// Kura's log key: it signs each direct payment's record (`txSignature`), so a seed receipt checks offline.
    public var settlementKey: Ed25519.PublicKey
    /// Who is paid: this provider.
    public var payTo: PartyID
    public var asset: Asset
    /// The price of one request.
    public var price: Amount
    /// The schemes offered, in the order of `accepts`.
    public var schemes: [KuraScheme] = [.exact, .escrow]
    /// The terms of the `escrow` scheme.
    public var escrowTerms = EscrowTermsExtra(
        deliverWithinSeconds: 300, confirmWindowSeconds: 86_400, disputeWindowSeconds: 3600)
    /// How long a v2 authorization may live (`maxTimeoutSeconds`).
    public var maxTimeoutSeconds: UInt64 = 60
    /// The seed dialect's deadline: a 402 quotes `now + this`; a payment settled later is refused.
    public var seedDeadlineSeconds: UInt64 = 300
    /// The public URL prefix of the provider (`https://provider.example`): a resource is this plus its path.
    /// Nil: `http://` and the request's authority (Host).
    public var baseURL: String?
    /// For people, in `resource.description`.
    public var description: String?
    /// The paid answer's media type.
    public var mimeType: String? = "application/json"
    /// When set, the seed dialect asks for a payment on Solana instead of through Kura's ledger:
    /// `X-Payment-Network` is the Solana network, `-Token` the mint, `-Recipient` the owner paid, and the
    /// receipt is the transaction's signature, checked by Kura (`POST /v1/solana/receipts`).
    public var solanaSeed: SolanaSeedOffer?

    /// An offer settled by the instance with `network` and log key `settlementKey`.
    public init(
        network: String, settlementKey: Ed25519.PublicKey, payTo: PartyID, asset: Asset, price: Amount,
        baseURL: String?
    ) {
        self.network = network
        self.settlementKey = settlementKey
        self.payTo = payTo
        self.asset = asset
        self.price = price
        self.baseURL = baseURL
    }

    /// An offer for the Kura instance behind `client`, reading its network and key from `/facilitator/supported`.
    public static func fetch(
        from client: KuraClient, payTo: PartyID, asset: Asset, price: Amount, baseURL: String?
    ) async throws -> X402Offer {
        let supported = try await client.x402Supported()
        guard let network = supported.kinds.first(where: { KuraNetwork(id: $0.network) != nil })?.network,
            let keyText = supported.signers[KuraNetwork.wildcard]?.first,
            let key = try? Ed25519.PublicKey(base64: keyText)
        else {
            throw KuraError(.internalError, "Kura's facilitator names no kura network and key")
        }
        return X402Offer(
            network: network, settlementKey: key, payTo: payTo, asset: asset, price: price, baseURL: baseURL)
    }

    /// The resource at `path`, asked for at `authority` (the Host the client used).
    public func resource(path: String, authority: String?) -> ResourceInfo {
        var base = baseURL ?? "http://\(authority ?? "localhost")"
        while base.hasSuffix("/") { base.removeLast() }
        return ResourceInfo(url: base + path, description: description, mimeType: mimeType)
    }

    /// One `PaymentRequirements` per scheme offered.
    public func requirements() -> [PaymentRequirements] {
        schemes.map { scheme in
            PaymentRequirements(
                scheme: scheme.rawValue, network: network, amount: X402Amount(units: price.units)!,
                asset: asset.name, payTo: payTo.rawValue, maxTimeoutSeconds: maxTimeoutSeconds,
                extra: scheme == .escrow ? escrowTerms.extra : nil)
        }
    }

    /// The seed dialect's request, with a fresh payment ID that names its deadline: `kura_<deadline>_<32 hex>`.
    public func seedRequest(now: Date) -> SeedPaymentRequest {
        let deadline = EpochSeconds(UInt64(now.timeIntervalSince1970) + seedDeadlineSeconds)!
        let paymentID = "kura_\(deadline)_" + Hex.encode(SecureRandom.bytes(16))
        if let solana = solanaSeed {
            return SeedPaymentRequest(
                amount: X402Amount(units: solana.price.units)!, token: solana.mint, recipient: solana.payTo,
                network: solana.network, deadline: deadline, paymentID: paymentID)
        }
        return SeedPaymentRequest(
            amount: X402Amount(units: price.units)!, token: asset.name, recipient: payTo.rawValue, network: network,
            deadline: deadline, paymentID: paymentID)
    }

    /// How far this provider's clock may run ahead of Kura's when a seed receipt's deadline (quoted on this
    /// clock) is compared with its payment's `settledAt` (on Kura's).
    static let clockSkewAllowanceMs: Int64 = 120_000

    /// The deadline a payment ID of ``seedRequest(now:)`` names; nil for any other ID.
    static func deadline(ofPaymentID id: String) -> EpochSeconds? {
        let parts = id.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "kura", parts[2].utf8.count == 32, Hex.decode(String(parts[2])) != nil
        else { return nil }
        return EpochSeconds(text: String(parts[1]))
    }

    /// Checks a seed retry offline: the receipt is standard base64 of a direct payment's canonical JSON,
    /// signed by Kura, for this payment ID, paying this payee at least the price in this asset, settled by the
    /// deadline the ID names, which lies at most ``seedDeadlineSeconds`` after the payment; and shown by `now`
    /// at most ``seedDeadlineSeconds`` after that deadline.
    public func checkSeedReceipt(_ retry: SeedPaymentRetry, now: Date = Date()) throws(X402Refusal) -> Payment {
        guard let bytes = Base64.decode(retry.receipt), let json = try? JSONValue.parse(bytes),
            let payment = try? json.decode(Payment.self)
        else {
            throw X402Refusal(.invalidPayload, "X-Payment-Receipt must be base64 of a Kura payment record")
        }
        guard payment.hasValidSignature(settlementKey) else {
            throw X402Refusal(.kuraSignature(.exact), "the receipt is not signed by this Kura instance")
        }
        guard payment.paymentId == retry.paymentID else {
            throw X402Refusal(.invalidPayload, "the receipt is for payment '\(payment.paymentId)', not X-Payment-ID")
        }
        guard let deadline = Self.deadline(ofPaymentID: retry.paymentID) else {
            throw X402Refusal(.invalidPaymentRequirements, "X-Payment-ID is not one this provider quoted")
        }
        guard payment.payee == payTo else {
            throw X402Refusal(.kuraRecipientMismatch(.exact), "the payment paid \(payment.payee)")
        }
        guard payment.asset == asset else {
            throw X402Refusal(.kuraAssetMismatch(.exact), "the payment is in \(payment.asset)")
        }
        guard payment.amount >= price else {
            throw X402Refusal(.kuraValueMismatch(.exact), "the payment is \(payment.amount), the price \(price)")
        }
        guard payment.settledAt.milliseconds <= deadline.milliseconds else {
            throw X402Refusal(.kuraValidBefore(.exact), "the payment settled after the deadline \(deadline)")
        }
        // The payer may make up an ID of this form: one whose deadline lies further after its payment than this
        // provider quotes is none it quoted, and a receipt is good until as long after its deadline, so that one
        // kept or made up is not good for ever wherever a receipt book forgot it (review finding).
        // The deadline is on this provider's clock, `settledAt` on Kura's: the first check allows them to differ.
        let window = Int64(seedDeadlineSeconds) * 1000
        guard deadline.milliseconds <= payment.settledAt.milliseconds + window + Self.clockSkewAllowanceMs else {
            throw X402Refusal(
                .invalidPaymentRequirements, "X-Payment-ID names a deadline further out than this provider quotes")
        }
        guard Int64(now.timeIntervalSince1970 * 1000) <= deadline.milliseconds + window else {
            throw X402Refusal(.kuraValidBefore(.exact), "the receipt's deadline \(deadline) passed too long ago")
        }
        return payment
    }
}

/// The seed dialect's terms when it is paid on Solana: the network, the owner whose associated token
/// account is paid, the mint, and the price in the mint's atomic units.
public struct SolanaSeedOffer: Sendable, Equatable {
    public var network: String
    public var payTo: String
    public var mint: String
    public var price: Amount

    public init(network: String, payTo: String, mint: String, price: Amount) {
        self.network = network
        self.payTo = payTo
        self.mint = mint
        self.price = price
    }
}

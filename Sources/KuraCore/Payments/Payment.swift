import KuraCrypto

/// Identifies a direct payment (`pmt_…`), derived from the paying command like every Kura ID.
public struct PaymentID: KuraIdentifier {
    public static let prefix = "pmt"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// The settlement record of a direct payment: payer → payee now, less Kura's settlement fee.
///
/// `txSignature` is the proof on the rail that settled it. The rail is Kura's own ledger, so it is Kura's
/// Ed25519 signature (the log key) over the RFC 8785 canonical JSON of the record without `txSignature`
/// (``signedBytes()``), in base58; anyone holding the log's verifier key can check it.
public struct Payment: Sendable, Equatable, Hashable, Codable {
    /// Kura's ID of the payment.
    public var id: PaymentID
    /// The payer's own ID of the payment, unique per payer (an x402 payment ID).
    public var paymentId: String
    public var payer: PartyID
    public var payee: PartyID
    /// What the payer paid: `net + fee`.
    public var amount: Amount
    public var asset: Asset
    /// What the payee received.
    public var net: Amount
    /// Kura's settlement fee (the fee schedule's settlement rate, rounded down).
    public var fee: Amount
    /// The x402 resource paid for, if any.
    public var resource: String?
    public var settledAt: Timestamp
    /// Base58 of Kura's Ed25519 signature over ``signedBytes()``; empty until signed.
    public var txSignature: String

    public init(
        id: PaymentID, paymentId: String, payer: PartyID, payee: PartyID, amount: Amount, asset: Asset, net: Amount,
        fee: Amount, resource: String?, settledAt: Timestamp, txSignature: String = ""
    ) {
        self.id = id
        self.paymentId = paymentId
        self.payer = payer
        self.payee = payee
        self.amount = amount
        self.asset = asset
        self.net = net
        self.fee = fee
        self.resource = resource
        self.settledAt = settledAt
        self.txSignature = txSignature
    }

    /// The bytes Kura signs: the canonical JSON of the record without `txSignature`.
    /// Empty for a record that does not encode (an integer beyond ±2^53−1): no signature verifies over it.
    public func signedBytes() -> [UInt8] { (try? write(CanonicalObjectWriter.self, signed: false)) ?? [] }

    /// The record signed with `key`.
    public func signed(with key: Ed25519.SecretKey) -> Payment {
        var copy = self
        copy.txSignature = Base58.encode(key.signature(for: signedBytes()))
        return copy
    }

    /// Whether `txSignature` is `key`'s signature over the record.
    public func hasValidSignature(_ key: Ed25519.PublicKey) -> Bool {
        guard let raw = Base58.decode(txSignature) else { return false }
        return key.isValidSignature(raw, for: signedBytes())
    }

    /// The stream of a payer's payment ID: one stream per (payer, paymentId), so the ID is unique per payer.
    public static func stream(payer: PartyID, paymentId: String) -> String { "payment/\(payer)/\(paymentId)" }

    /// A payment ID: 16 to 128 characters of `A-Z a-z 0-9 - _`, the x402 payment-identifier rule.
    public static func isValidPaymentId(_ text: String) -> Bool {
        (16...128).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }
}

/// `POST /v1/payments`: the caller pays `payee` now.
public struct PayRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["payee", "amount", "asset", "paymentId", "resource"]
    public var payee: PartyID
    public var amount: Amount
    public var asset: Asset
    /// The caller's ID of the payment, unique per payer (16–128 of `A-Z a-z 0-9 - _`).
    public var paymentId: String
    /// The x402 resource paid for.
    public var resource: String?

    public init(payee: PartyID, amount: Amount, asset: Asset, paymentId: String, resource: String? = nil) {
        self.payee = payee
        self.amount = amount
        self.asset = asset
        self.paymentId = paymentId
        self.resource = resource
    }
}

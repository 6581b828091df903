import KuraCrypto

/// What a settlement did, as the rail that executed it signs it: `{v, rail, subject, lane?, payer, payee, amount,
/// fee, net, asset, settledAt}`. On Kura's own ledger rail, `txSignature` is base58 of Kura's Ed25519 signature
/// over this record's RFC 8785 canonical JSON. Facilitator reservations and direct payments share the format.
public struct SettlementRecord: Sendable, Equatable, Hashable, Codable {
    /// The record format version.
    public static let version = 1
    /// The name of Kura's built-in rail: the settlement is the ledger postings of its event.
    public static let ledgerRail = "kura-ledger"

    public var v: Int = SettlementRecord.version
    /// The rail that executed it, e.g. `kura-ledger`.
    public var rail: String
    /// What was settled: a reservation ID, or a payment ID.
    public var subject: String
    /// The facilitator lane, for reservations.
    public var lane: Lane?
    public var payer: PartyID
    public var payee: PartyID
    /// The gross amount; `net + fee == amount`.
    public var amount: Amount
    public var fee: Amount
    public var net: Amount
    public var asset: Asset
    public var settledAt: Timestamp

    public init(
        rail: String, subject: String, lane: Lane?, payer: PartyID, payee: PartyID, amount: Amount, fee: Amount,
        net: Amount, asset: Asset, settledAt: Timestamp
    ) {
        self.rail = rail
        self.subject = subject
        self.lane = lane
        self.payer = payer
        self.payee = payee
        self.amount = amount
        self.fee = fee
        self.net = net
        self.asset = asset
        self.settledAt = settledAt
    }

    /// The bytes a rail signs: the record's canonical JSON.
    public func canonicalBytes() -> [UInt8] {
        // Only an integer beyond ±2^53−1 fails, and amounts and times are held below it.
        (try? canonicalJSON()) ?? []
    }

    /// Kura's ledger-rail signature: base58 of the Ed25519 signature over ``canonicalBytes()``. Deterministic.
    public func ledgerSignature(with key: Ed25519.SecretKey) -> String {
        Base58.encode(key.signature(for: canonicalBytes()))
    }

    /// Whether `txSignature` is `key`'s ledger-rail signature of this record.
    public func verifyLedgerSignature(_ txSignature: String, with key: Ed25519.PublicKey) -> Bool {
        guard let raw = Base58.decode(txSignature) else { return false }
        return key.isValidSignature(raw, for: canonicalBytes())
    }
}

extension SettlementRecord: CanonicalJSONWritable {
    /// The synthesized `Encodable` form's members in canonical order: signed by the ledger rail and carried by
    /// `reservation.settled` on every settle (`ReservationPayloadTests` holds it to the `Encodable` form).
    public func canonicalJSON() throws(JSONError) -> [UInt8] { try write(CanonicalObjectWriter.self) }

    /// The members, for either form.
    func write<Writer: JSONObjectWriting>(_ writer: Writer.Type) throws(JSONError) -> Writer.Output {
        var json = Writer(capacity: 320)
        try json.unsigned("amount", amount.units)
        json.string("asset", asset.name)
        try json.unsigned("fee", fee.units)
        if let lane { json.string("lane", lane.rawValue) }
        try json.unsigned("net", net.units)
        json.string("payee", payee.rawValue)
        json.string("payer", payer.rawValue)
        json.string("rail", rail)
        try json.integer("settledAt", settledAt.milliseconds)
        json.string("subject", subject)
        try json.integer("v", Int64(v))
        return json.finish()
    }
}

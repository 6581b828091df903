import KuraCrypto

/// `POST /v1/channels`: the caller, as agent, deposits into a new channel for a provider.
public struct OpenChannelRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["provider", "asset", "amount", "challengePeriodMs", "expiresAt"]
    public var provider: PartyID
    public var asset: Asset
    public var amount: Amount
    /// Default one hour.
    public var challengePeriodMs: Int64?
    public var expiresAt: Timestamp

    /// The challenge period when none is given: one hour.
    public static let defaultChallengePeriodMs: Int64 = 3_600_000

    public init(provider: PartyID, asset: Asset, amount: Amount, challengePeriodMs: Int64? = nil, expiresAt: Timestamp)
    {
        self.provider = provider
        self.asset = asset
        self.amount = amount
        self.challengePeriodMs = challengePeriodMs
        self.expiresAt = expiresAt
    }
}

/// `POST /v1/channels/{id}/topup`.
public struct TopUpRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["amount"]
    public var amount: Amount
    public init(amount: Amount) { self.amount = amount }
}

/// `POST /v1/channels/{id}/settle`: a voucher and the agent's signature.
extension SignedVoucher: StrictRequest {
    public static let fields: Set<String> = ["voucher", "signature"]
    public static var nestedFields: [String: Set<String>] { ["voucher": ChannelVoucher.fields] }
}

/// `POST /v1/channels/{id}/close`: the provider may settle a last voucher in the same call.
public struct CloseChannelRequest: StrictRequest, Equatable {
    public static let fields: Set<String> = ["voucher", "signature"]
    public static var nestedFields: [String: Set<String>] { ["voucher": ChannelVoucher.fields] }
    public var voucher: ChannelVoucher?
    public var signature: String?
    public init(_ last: SignedVoucher? = nil) {
        voucher = last?.voucher
        signature = last?.signature
    }

    /// The last voucher and its signature's bytes, if given; one without the other is `invalid_request`.
    public func lastVoucher() throws(KuraError) -> (ChannelVoucher, [UInt8])? {
        switch (voucher, signature) {
        case (let voucher?, let signature?):
            return (voucher, try SignedVoucher(voucher: voucher, signatureText: signature).signatureBytes())
        case (nil, nil): return nil
        default: throw KuraError(.invalidRequest, "a last voucher comes with its signature")
        }
    }
}

/// The actions on an existing channel.
public enum ChannelAction: String, Sendable, CaseIterable {
    case topup, settle, close
}

import KuraCrypto

/// What someone asks of an existing channel. `expire` and `finalize` come from the sweeper, with no actor.
public enum ChannelCommand: Sendable, Equatable {
    /// The agent adds funds.
    case topUp(Amount)
    /// The provider settles a voucher signed by the agent.
    case settle(ChannelVoucher, signature: [UInt8])
    /// The provider closes at once (optionally settling a last voucher), or the agent starts a close.
    case close(ChannelVoucher?, signature: [UInt8]?)
    /// The channel's expiry passed: it starts closing.
    case expire
    /// The challenge period ended: the rest goes back to the agent.
    case finalize

    /// The command's name, for messages.
    public var name: String {
        switch self {
        case .topUp: "top up"
        case .settle: "settle"
        case .close: "close"
        case .expire: "expire"
        case .finalize: "finalize"
        }
    }
}

/// What channel decisions need beyond the channel: read by KuraService from projections.
public struct ChannelContext: Sendable, Equatable {
    public var fees: FeeSchedule
    /// The agent's available balance in the channel's asset (open and top-up read it).
    public var agentAvailable: Amount
    /// The agent's registered key: open pins it as the channel's voucher key; settle reads it for channels
    /// opened before keys were pinned.
    public var agentKey: Ed25519.PublicKey?
    /// The floor under new channels' terms (open reads it).
    public var policy: ChannelPolicy
    /// A settle's voucher as checked before the command reached the writer (``CheckedVoucher``), if it was.
    public var checked: CheckedVoucher?

    /// Creates a context.
    public init(
        fees: FeeSchedule = FeeSchedule(), agentAvailable: Amount = .zero, agentKey: Ed25519.PublicKey? = nil,
        policy: ChannelPolicy = ChannelPolicy(), checked: CheckedVoucher? = nil
    ) {
        self.fees = fees
        self.agentAvailable = agentAvailable
        self.agentKey = agentKey
        self.policy = policy
        self.checked = checked
    }

    /// Whether `signature` is `key`'s over `voucher`: answered by ``checked`` when that check was made with the
    /// same key over the same voucher and signature, verified here otherwise.
    func isSigned(_ voucher: ChannelVoucher, _ signature: [UInt8], by key: Ed25519.PublicKey) -> Bool {
        if let checked, checked.key == key, checked.voucher == voucher, checked.signature == signature { return true }
        return voucher.isSigned(by: key, signature: signature)
    }
}

/// A voucher whose signature was verified with `key` outside the single writer, where it needs no ordering:
/// the writer then compares the channel's voucher key with `key` instead of verifying again, and verifies
/// itself when they differ. Made only by verifying: the initialiser fails on a signature that does not verify.
public struct CheckedVoucher: Sendable, Equatable {
    public let voucher: ChannelVoucher
    public let signature: [UInt8]
    public let key: Ed25519.PublicKey

    /// The voucher checked against `key`; nil when `signature` is not `key`'s over it.
    public init?(_ voucher: ChannelVoucher, signature: [UInt8], key: Ed25519.PublicKey) {
        guard voucher.isSigned(by: key, signature: signature) else { return nil }
        self.voucher = voucher
        self.signature = signature
        self.key = key
    }
}

/// The terms of a new channel.
public struct ChannelTerms: Sendable, Equatable, Codable {
    public var provider: PartyID
    public var asset: Asset
    public var amount: Amount
    public var challengePeriodMs: Int64
    public var expiresAt: Timestamp

    /// Creates terms.
    public init(provider: PartyID, asset: Asset, amount: Amount, challengePeriodMs: Int64, expiresAt: Timestamp) {
        self.provider = provider
        self.asset = asset
        self.amount = amount
        self.challengePeriodMs = challengePeriodMs
        self.expiresAt = expiresAt
    }
}

/// A ledger account, written on the wire as its path: `party/<pty_…>/available`, `escrow/<esc_…>/held`,
/// `reservation/<res_…>/held`, `channel/<ch_…>/held`, `fees`, `external`, `mandate/<mdt_…>/funds`,
/// `position/<pos_…>/collateral` or `position/<pos_…>/debt`.
///
/// An enum rather than a bare string so that a posting can only name an account that exists in the design.
public enum AccountName: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// A party's spendable balance.
    case available(PartyID)
    /// Funds locked in an escrow.
    case escrowHeld(EscrowID)
    /// Funds reserved by the facilitator between verify and settle.
    case reservationHeld(ReservationID)
    /// Funds deposited into a pre-funded channel.
    case channelHeld(ChannelID)
    /// Kura's fee income.
    case fees
    /// The world outside Kura: deposits come from it and withdrawals go to it, so it goes negative.
    case external
    /// An enterprise mandate's prefunded balance, drawn by facilitator reservations.
    case mandateFunds(MandateID)
    /// Collateral locked in a crypto-fast position, in the collateral's own asset.
    case positionCollateral(PositionID)
    /// A withdrawal on its way out to a chain: debited from the party before anything is sent, paid out
    /// to `external` once the transfer is confirmed, or returned to the party if it fails.
    case withdrawalPending(WithdrawalID)
    /// A crypto-fast position's credit line: negative by what the agent owes (reserved plus settled, unpaid);
    /// never positive.
    case positionDebt(PositionID)

    /// Parses and validates an account path.
    public init(validating text: String) throws(KuraError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where parts[0] == "fees": self = .fees
        case 1 where parts[0] == "external": self = .external
        case 3 where parts[0] == "party" && parts[2] == "available":
            self = .available(try PartyID(validating: parts[1]))
        case 3 where parts[0] == "escrow" && parts[2] == "held":
            self = .escrowHeld(try EscrowID(validating: parts[1]))
        case 3 where parts[0] == "reservation" && parts[2] == "held":
            self = .reservationHeld(try ReservationID(validating: parts[1]))
        case 3 where parts[0] == "channel" && parts[2] == "held":
            self = .channelHeld(try ChannelID(validating: parts[1]))
        case 3 where parts[0] == "mandate" && parts[2] == "funds":
            self = .mandateFunds(try MandateID(validating: parts[1]))
        case 3 where parts[0] == "position" && parts[2] == "collateral":
            self = .positionCollateral(try PositionID(validating: parts[1]))
        case 3 where parts[0] == "withdrawal" && parts[2] == "pending":
            self = .withdrawalPending(try WithdrawalID(validating: parts[1]))
        case 3 where parts[0] == "position" && parts[2] == "debt":
            self = .positionDebt(try PositionID(validating: parts[1]))
        default:
            throw KuraError(.invalidRequest, "'\(text.prefix(120))' is not a ledger account")
        }
    }

    public init?(_ description: String) {
        guard let name = try? AccountName(validating: description) else { return nil }
        self = name
    }

    /// The account path as written on the wire.
    public var rawValue: String {
        switch self {
        case .available(let id): "party/\(id)/available"
        case .escrowHeld(let id): "escrow/\(id)/held"
        case .reservationHeld(let id): "reservation/\(id)/held"
        case .channelHeld(let id): "channel/\(id)/held"
        case .fees: "fees"
        case .external: "external"
        case .mandateFunds(let id): "mandate/\(id)/funds"
        case .positionCollateral(let id): "position/\(id)/collateral"
        case .positionDebt(let id): "position/\(id)/debt"
        case .withdrawalPending(let id): "withdrawal/\(id)/pending"
        }
    }

    /// Whether the account may go below zero: `external` (net deposits) and a position's debt (credit drawn).
    public var mayBeNegative: Bool {
        switch self {
        case .external, .positionDebt: true
        default: false
        }
    }

    /// Whether this is one of the `…/held` accounts that hold funds on someone's behalf.
    public var isHeld: Bool {
        switch self {
        case .escrowHeld, .reservationHeld, .channelHeld, .mandateFunds, .positionCollateral, .withdrawalPending: true
        case .available, .fees, .external, .positionDebt: false
        }
    }

    public var description: String { rawValue }
    public static func < (lhs: AccountName, rhs: AccountName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(validating: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

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

    /// Parses and validates an account path. Read in place (no array of parts): catch-up reads two per posting of
    /// every event another writer appended (issue 16).
    public init(validating text: String) throws(KuraError) {
        func refused() -> KuraError { KuraError(.invalidRequest, "'\(text.prefix(120))' is not a ledger account") }
        if text == "fees" {
            self = .fees
            return
        }
        if text == "external" {
            self = .external
            return
        }
        let slash = UInt8(ascii: "/")
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(of: slash), let last = utf8.lastIndex(of: slash), first != last,
            !utf8[utf8.index(after: first)..<last].contains(slash)
        else { throw refused() }
        let id = String(text[utf8.index(after: first)..<last])
        switch (text[..<first], text[utf8.index(after: last)...]) {
        case ("party", "available"): self = .available(try PartyID(validating: id))
        case ("escrow", "held"): self = .escrowHeld(try EscrowID(validating: id))
        case ("reservation", "held"): self = .reservationHeld(try ReservationID(validating: id))
        case ("channel", "held"): self = .channelHeld(try ChannelID(validating: id))
        case ("mandate", "funds"): self = .mandateFunds(try MandateID(validating: id))
        case ("position", "collateral"): self = .positionCollateral(try PositionID(validating: id))
        case ("withdrawal", "pending"): self = .withdrawalPending(try WithdrawalID(validating: id))
        case ("position", "debt"): self = .positionDebt(try PositionID(validating: id))
        default: throw refused()
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

    /// Whether the balance is kept on its aggregate's row, not on a balance row of its own: what an open escrow or
    /// reservation holds is its amount (``Escrow/held(in:)``, ``Reservation/held(in:)``). One row fewer to write,
    /// at a random place in the balances' B-tree, for each escrow and two for each x402 pair (issue 15).
    public var isKeptOnItsAggregate: Bool {
        switch self {
        case .escrowHeld, .reservationHeld: true
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

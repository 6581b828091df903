import KuraCrypto

/// A typed identifier printed as `<prefix>_<base58>`, e.g. `esc_3mJr7AoUXx2Wqd`.
/// New identifiers are derived from content, never from a random source, so a replay reproduces them.
public protocol KuraIdentifier: Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The text before the underscore, e.g. `esc`.
    static var prefix: String { get }
    /// The full text, prefix included.
    var rawValue: String { get }
    /// Wraps text already known to be valid.
    init(unchecked rawValue: String)
}

extension KuraIdentifier {
    /// Parses and validates `<prefix>_<base58 of 1…32 bytes>`.
    public init(validating text: String) throws(KuraError) {
        guard Self.isValid(text) else {
            throw KuraError(.invalidRequest, "'\(text.prefix(80))' is not a valid \(Self.prefix)_… identifier")
        }
        self.init(unchecked: text)
    }

    /// `<prefix>_` and at most 64 characters of Base58 for 1 to 32 bytes, read in place: every posting of every
    /// event a writer catches up on validates two of these (issue 16).
    static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        let prefix = Self.prefix.utf8
        guard utf8.count > prefix.count + 1, utf8.count <= prefix.count + 1 + 64, utf8.starts(with: prefix) else {
            return false
        }
        let underscore = utf8.index(utf8.startIndex, offsetBy: prefix.count)
        guard utf8[underscore] == UInt8(ascii: "_") else { return false }
        return Base58.isValid(utf8[utf8.index(after: underscore)...], maxBytes: 32)
    }

    public init?(_ description: String) {
        guard let value = try? Self(validating: description) else { return nil }
        self = value
    }

    /// Derives an identifier: the first 16 bytes of SHA-256 over the canonical JSON of
    /// `{"command": <the creating command>, "seq": <its global sequence number>}`.
    public static func derive(command: JSONValue, seq: UInt64) -> Self {
        guard let canonical = try? CanonicalCommand(command) else {
            return Self(unchecked: prefix + "_" + Base58.encode(SHA256.hash([]).prefix(16)))
        }
        return derive(command: canonical, seq: seq)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

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

/// Identifies an escrowed payment (`esc_…`).
public struct EscrowID: KuraIdentifier {
    public static let prefix = "esc"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a facilitator reservation (`res_…`).
public struct ReservationID: KuraIdentifier {
    public static let prefix = "res"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a dispute (`dsp_…`).
public struct DisputeID: KuraIdentifier {
    public static let prefix = "dsp"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a party: an agent, provider, arbiter or operator (`pty_…`).
public struct PartyID: KuraIdentifier {
    public static let prefix = "pty"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a pre-funded channel (`ch_…`).
public struct ChannelID: KuraIdentifier {
    public static let prefix = "ch"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an enterprise mandate (`mdt_…`).
public struct MandateID: KuraIdentifier {
    public static let prefix = "mdt"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a collateral position (`pos_…`).
public struct PositionID: KuraIdentifier {
    public static let prefix = "pos"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a withdrawal to a chain (`wdr_…`).
public struct WithdrawalID: KuraIdentifier {
    public static let prefix = "wdr"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an event (`evt_…`): derived from the event's hash.
public struct EventID: KuraIdentifier {
    public static let prefix = "evt"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// The event ID for an event hash: base58 of its first 16 bytes.
    public init(eventHash: [UInt8]) {
        self.init(unchecked: Self.prefix + "_" + Base58.encode(eventHash.prefix(16)))
    }
}

import KuraCrypto

/// Whether a party may act. `revoked` is final.
public enum PartyStatus: String, Sendable, Codable, CaseIterable {
    case active, suspended, revoked
}

/// A registered participant: an agent, provider, arbiter or operator, known by its Ed25519 key.
///
/// Wire shape: `{"id", "name", "roles": [sorted strings], "publicKey": base64, "status"}`. The same shape,
/// canonicalized, is what a ``Passport`` signs.
public struct Party: Sendable, Equatable, Hashable, Codable {
    /// What a party may do. Roles gate commands in KuraService; `operator` also gates party administration.
    public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
        case agent, provider, arbiter, `operator`
        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Longest name, in Unicode scalars (scalars rather than characters, so the byte size is bounded too).
    public static let maxNameLength = 100

    /// The party's identifier (`pty_…`).
    public let id: PartyID
    /// A display name for people.
    public let name: String
    /// Its roles; never empty.
    public let roles: Set<Role>
    /// The key that signs its requests and rulings; the party may rotate it (`party.key_rotated`).
    public internal(set) var publicKey: Ed25519.PublicKey
    /// Whether it may act.
    public internal(set) var status: PartyStatus

    /// Creates a party record, validating the name and that it has at least one role.
    public init(
        id: PartyID, name: String, roles: Set<Role>, publicKey: Ed25519.PublicKey, status: PartyStatus = .active
    )
        throws(KuraError)
    {
        try Party.validateName(name)
        guard !roles.isEmpty else { throw KuraError(.invalidRequest, "a party needs at least one role") }
        self.id = id
        self.name = name
        self.roles = roles
        self.publicKey = publicKey
        self.status = status
    }

    /// Checks a display name: 1–100 Unicode scalars, not all whitespace, no control or line-break characters
    /// (names end up in logs and terminals, where those would forge lines).
    public static func validateName(_ name: String) throws(KuraError) {
        guard !name.isEmpty, name.contains(where: { !$0.isWhitespace }),
            TextRules.isPlainText(name, max: maxNameLength)
        else {
            throw KuraError(
                .invalidRequest,
                "a party name is 1 to \(maxNameLength) characters, not all blank, without control or line-break characters"
            )
        }
    }

    /// Whether the party is active and holds `role`.
    public func canAct(as role: Role) -> Bool { status == .active && roles.contains(role) }

    /// The wire object as JSON, roles sorted; this is what a passport signs.
    public var json: JSONValue {
        .object([
            "id": .string(id.rawValue), "name": .string(name),
            "roles": .array(roles.sorted().map { .string($0.rawValue) }),
            "publicKey": .string(publicKey.base64), "status": .string(status.rawValue),
        ])
    }

    private enum CodingKeys: String, CodingKey { case id, name, roles, publicKey, status }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(roles.sorted(), forKey: .roles)
        try c.encode(publicKey.base64, forKey: .publicKey)
        try c.encode(status, forKey: .status)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let roleList = try c.decode([Role].self, forKey: .roles)
        let roles = Set(roleList)
        guard roles.count == roleList.count else {
            // A duplicate would be signed over as one role; refusing it keeps one wire form per record.
            throw DecodingError.dataCorruptedError(forKey: .roles, in: c, debugDescription: "duplicate role")
        }
        let key: Ed25519.PublicKey
        do { key = try Ed25519.PublicKey(base64: try c.decode(String.self, forKey: .publicKey)) } catch let error
            as CryptoError
        {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: c, debugDescription: error.reason)
        }
        do {
            try self.init(
                id: c.decode(PartyID.self, forKey: .id), name: c.decode(String.self, forKey: .name), roles: roles,
                publicKey: key, status: c.decode(PartyStatus.self, forKey: .status))
        } catch let error as KuraError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }
}

import KuraCrypto

/// A Solana cluster as x402 v2 names it (CAIP-2): `solana:` and the first 32 characters of the base58 of its
/// genesis hash, e.g. `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp` for mainnet-beta.
public struct SolanaNetwork: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The CAIP-2 namespace.
    public static let namespace = "solana"
    /// The pattern matching every Solana network, for `SupportedResponse.signers`.
    public static let wildcard = "solana:*"

    /// Mainnet-beta.
    public static let mainnet = SolanaNetwork(unchecked: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp")
    /// Devnet.
    public static let devnet = SolanaNetwork(unchecked: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1")
    /// Testnet.
    public static let testnet = SolanaNetwork(unchecked: "solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z")

    /// `solana:` and its reference.
    public let id: String

    /// Reads a network ID: `solana:` and 1 to 32 base58 characters.
    public init(id: String) throws(SolanaError) {
        let prefix = Self.namespace + ":"
        let reference = id.dropFirst(prefix.count)
        guard id.hasPrefix(prefix), (1...32).contains(reference.utf8.count),
            Base58.decode(String(reference)) != nil
        else { throw SolanaError(.invalidBase58, "\(SolanaText.quote(id)) is not solana: and a genesis hash prefix") }
        self.id = id
    }

    /// The network of the cluster with this genesis hash.
    public init(genesisHash: SolanaHash) {
        id = Self.namespace + ":" + String(genesisHash.base58.prefix(32))
    }

    init(unchecked id: String) { self.id = id }

    public var description: String { id }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(id: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.detail))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(id)
    }
}

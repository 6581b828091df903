import Foundation
import KuraCore
import KuraCrypto

/// A small lock; Foundation's NSLock under a name that reads well here.
final class NSLockLike: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// The authenticated caller of a command.
public struct Principal: Sendable, Equatable {
    /// The party, as of authentication.
    public let party: Party
    /// Its identifier.
    public var id: PartyID { party.id }
    /// The hash of the API key it authenticated with (nil: a signed request, or a principal made in-process):
    /// every command checks it is still the party's key.
    public let apiKeyHash: String?
    /// The key that signed the request it authenticated with (nil: an API key, or a principal made in-process):
    /// every command checks it is still the party's key, as for ``apiKeyHash``.
    public let signingKey: Ed25519.PublicKey?

    /// Wraps a party; `apiKeyHash` when it authenticated with an API key, `signingKey` with a signed request.
    public init(party: Party, apiKeyHash: String? = nil, signingKey: Ed25519.PublicKey? = nil) {
        self.party = party
        self.apiKeyHash = apiKeyHash
        self.signingKey = signingKey
    }

    /// Whether it came from a request's credential, which a command checks against the log's state
    /// (``WriterState/requireCurrent(_:)``); principals made in-process are checked by their command.
    var authenticated: Bool { apiKeyHash != nil || signingKey != nil }
}

/// A command's answer, and whether it was replayed from an earlier request with the same Idempotency-Key.
public struct Reply<Value: Sendable>: Sendable {
    /// The answer.
    public let value: Value
    /// True when nothing new happened: the stored answer to the same key and request was returned.
    public let replayed: Bool
}

extension JSONValue {
    /// Encodes a value the service produced; a failure is a programming error.
    static func of(_ value: some Encodable) throws(KuraError) -> JSONValue {
        do { return try JSONValue(encoding: value) } catch {
            throw KuraError(.internalError, "cannot encode \(type(of: value)): \(error.reason)")
        }
    }

    /// A request made for the account of `party` named in the path (`/v1/accounts/{id}/…`): its JSON with
    /// `party` added, so that the command (its idempotency hash, its derived IDs) names the account too, and one
    /// `Idempotency-Key` used for two accounts is a conflict, not the first one's answer.
    static func of(_ request: some Encodable, forAccountOf party: PartyID) throws(KuraError) -> JSONValue {
        guard case .object(var members) = try of(request) else { return try of(request) }
        members["party"] = .string(party.rawValue)
        return .object(members)
    }

    /// A typed request's canonical bytes, straight from `Encodable` (by the request itself when it is
    /// ``CanonicalJSONWritable``): the bytes `of(_:)` and `canonicalBytes()` give, without the value between. One
    /// those bytes refuse is refused as that way refuses it: `internal_error` when it cannot be encoded,
    /// `invalid_request` when it has no canonical JSON.
    static func canonicalRequest(_ request: some Encodable) throws(KuraError) -> [UInt8] {
        if let bytes = try? canonicalBytes(encoding: request) { return bytes }
        let json = try of(request)
        do { return try json.canonicalBytes() } catch {
            throw KuraError(.invalidRequest, "request is not canonical JSON: \(error.reason)")
        }
    }

    func decoded<T: Decodable>(as type: T.Type) throws(KuraError) -> T {
        do { return try decode(T.self) } catch {
            throw KuraError(.internalError, "cannot decode \(T.self): \(error.reason)")
        }
    }
}

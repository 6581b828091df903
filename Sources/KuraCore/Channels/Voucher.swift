import KuraCrypto

/// A channel voucher: the agent's promise that the provider may take `cumulativeAmount` in all from the
/// channel. The agent signs, with Ed25519, the RFC 8785 canonical JSON of
/// `{"channel", "cumulativeAmount", "sequence"}`. Amounts only grow: a voucher at or below what was
/// already settled, or with a sequence not above the last settled one, is worth nothing.
public struct ChannelVoucher: Sendable, Equatable, Hashable, Codable {
    /// Its members: anything else in a request is refused (``StrictRequest/nestedFields``).
    public static let fields: Set<String> = ["channel", "cumulativeAmount", "sequence"]
    public var channel: ChannelID
    /// Everything the provider may have taken from the channel, this voucher included (units).
    public var cumulativeAmount: Amount
    /// Strictly increasing per channel; at most 2^53−1.
    public var sequence: UInt64

    /// Creates a voucher.
    public init(channel: ChannelID, cumulativeAmount: Amount, sequence: UInt64) {
        self.channel = channel
        self.cumulativeAmount = cumulativeAmount
        self.sequence = sequence
    }

    /// The bytes the agent signs.
    public func signingBytes() throws(KuraError) -> [UInt8] {
        guard sequence >= 1, sequence <= Amount.maxUnits else {
            throw KuraError(.invalidRequest, "a voucher's sequence is 1 to 2^53-1")
        }
        do { return try JSONValue.canonicalBytes(encoding: self) } catch {
            throw KuraError(.invalidRequest, "the voucher does not encode: \(error.reason)")
        }
    }

    /// The agent's signature.
    public func signed(with key: Ed25519.SecretKey) throws(KuraError) -> [UInt8] {
        key.signature(for: try signingBytes())
    }

    /// Whether `signature` is the agent's over this voucher.
    public func isSigned(by key: Ed25519.PublicKey, signature: [UInt8]) -> Bool {
        guard let bytes = try? signingBytes() else { return false }
        return key.isValidSignature(signature, for: bytes)
    }
}

/// A voucher and its signature, as requests and the `Kura-Channel-Voucher` header carry them.
public struct SignedVoucher: Sendable, Equatable, Hashable, Codable {
    public var voucher: ChannelVoucher
    /// Standard base64 of the agent's 64-byte Ed25519 signature.
    public var signature: String

    /// Wraps a voucher and its signature.
    public init(voucher: ChannelVoucher, signature: [UInt8]) {
        self.voucher = voucher
        self.signature = Base64.encode(signature)
    }

    /// Wraps a voucher and its signature as text (checked by ``signatureBytes()``).
    public init(voucher: ChannelVoucher, signatureText: String) {
        self.voucher = voucher
        self.signature = signatureText
    }

    /// Signs `voucher` with the agent's key.
    public init(_ voucher: ChannelVoucher, key: Ed25519.SecretKey) throws(KuraError) {
        self.init(voucher: voucher, signature: try voucher.signed(with: key))
    }

    /// The signature's bytes, or `voucher_invalid`.
    public func signatureBytes() throws(KuraError) -> [UInt8] {
        guard let bytes = Ed25519.signature(base64: signature) else {
            throw KuraError(.voucherInvalid, "a voucher signature is standard base64 of 64 bytes")
        }
        return bytes
    }
}

extension SignedVoucher {
    /// The HTTP header that carries a voucher on a paid call.
    public static let headerName = "Kura-Channel-Voucher"
    /// The header of a channel-paid route's refusal (402, or 503 when its check failed) naming the price per call.
    public static let priceHeaderName = "Kura-Channel-Price"
    /// The header of a paid answer naming the cumulative amount the provider accepted.
    public static let acceptedHeaderName = "Kura-Channel-Accepted"
    /// The longest header value accepted (a voucher is about 250 bytes).
    public static let maxHeaderLength = 1024

    /// The header value: unpadded base64url of the canonical JSON `{"signature", "voucher"}`.
    public func headerValue() throws(KuraError) -> String {
        do { return Base64.urlEncode(try JSONValue.canonicalBytes(encoding: self)) } catch {
            throw KuraError(.invalidRequest, "the voucher does not encode: \(error.reason)")
        }
    }

    /// Reads a header value; anything malformed is `voucher_invalid`, never a crash.
    public init(headerValue: String) throws(KuraError) {
        guard headerValue.utf8.count <= Self.maxHeaderLength, let bytes = Base64.urlDecode(headerValue) else {
            throw KuraError(
                .voucherInvalid, "\(Self.headerName) is not base64url of at most \(Self.maxHeaderLength) bytes")
        }
        do {
            let json = try JSONValue.parse(bytes)
            guard case .object(let members) = json, Set(members.keys) == ["voucher", "signature"] else {
                throw KuraError(.voucherInvalid, "\(Self.headerName) holds {voucher, signature} and nothing else")
            }
            self = try json.decode(SignedVoucher.self)
        } catch let error as KuraError {
            throw error
        } catch {
            throw KuraError(.voucherInvalid, "\(Self.headerName) is not a signed voucher: \(error)")
        }
    }
}

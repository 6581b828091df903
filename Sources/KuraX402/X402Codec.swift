import KuraCrypto

/// The wire codecs of x402 v2 over HTTP (coinbase/x402 `specs/transports-v2/http.md`): each header value
/// is standard base64 of the message's JSON; facilitator bodies are the JSON itself.
///
/// Kura writes the JSON in RFC 8785 canonical form, so one message has one header value. It reads any
/// strict JSON (see `JSONValue.parse`), in this order, refusing at the first failure with an ``X402Error``:
/// length, base64, JSON object, `x402Version`, field types, field rules.
public enum X402Codec {
    /// The header names of both directions.
    public enum Header {
        /// Server → client, with a 402: base64 of ``PaymentRequired``.
        public static let paymentRequired = "PAYMENT-REQUIRED"
        /// Client → server, on the paid retry: base64 of ``PaymentPayload``.
        public static let paymentSignature = "PAYMENT-SIGNATURE"
        /// Server → client, with the paid answer: base64 of ``SettleResponse``.
        public static let paymentResponse = "PAYMENT-RESPONSE"
    }

    /// The header value for `message`: base64 of its canonical JSON.
    public static func header(_ message: some X402Message) throws(X402Error) -> String {
        Base64.encode(try json(message))
    }

    /// The canonical JSON bytes of `message`.
    public static func json(_ message: some X402Message) throws(X402Error) -> [UInt8] {
        do { return try JSONValue.canonicalBytes(encoding: message) } catch {
            throw X402Error(.invalidField, reason: type(of: message).malformedReason, error.reason)
        }
    }

    /// Reads a header value.
    public static func decode<M: X402Message>(_ type: M.Type, header text: String) throws(X402Error) -> M {
        guard text.utf8.count <= X402Limits.maxHeaderBytes else {
            throw X402Error(
                .tooLong, reason: M.malformedReason,
                "the header is \(text.utf8.count) bytes, more than \(X402Limits.maxHeaderBytes)")
        }
        guard !text.isEmpty, let bytes = Base64.decode(text) else {
            throw X402Error(.notBase64, reason: M.malformedReason, "the header is not standard padded base64")
        }
        return try decode(M.self, json: bytes)
    }

    /// Reads JSON bytes (a facilitator request or answer body).
    public static func decode<M: X402Message>(_ type: M.Type, json bytes: [UInt8]) throws(X402Error) -> M {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw X402Error(.notJSON, reason: M.malformedReason, "not JSON: \(error.reason)")
        }
        return try decode(M.self, value: value)
    }

    /// Reads a parsed JSON value.
    public static func decode<M: X402Message>(_ type: M.Type, value: JSONValue) throws(X402Error) -> M {
        guard case .object = value else {
            throw X402Error(.notJSON, reason: M.malformedReason, "the JSON must be an object")
        }
        for path in M.versionPaths {
            let name = path.joined(separator: ".")
            var parent: JSONValue? = value
            for key in path.dropLast() { parent = parent?[key] }
            // A nested message that is absent or not an object is the field checks' to refuse, not this one.
            guard case .object(let members)? = parent else { continue }
            guard let version = members[path.last ?? ""] else {
                throw X402Error(.unsupportedVersion, reason: .invalidX402Version, "\(name) is missing")
            }
            guard version.int64Value == Int64(Rules.version) else {
                throw X402Error(
                    .unsupportedVersion, reason: .invalidX402Version,
                    "\(name) must be \(Rules.version), got \(WireText.quote(describe(version)))")
            }
        }
        let message: M
        do { message = try value.decode(M.self) } catch {
            throw X402Error(.invalidField, reason: M.malformedReason, error.reason)
        }
        do { try message.validate() } catch {
            throw X402Error(.invalidField, reason: M.malformedReason, error.detail)
        }
        return message
    }

    private static func describe(_ value: JSONValue) -> String {
        (try? value.canonicalString()) ?? "?"
    }
}

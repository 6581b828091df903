import KuraCrypto

/// The `payment-identifier` extension (coinbase/x402 `specs/extensions/payment_identifier.md`): the client
/// puts an idempotency key in `extensions["payment-identifier"].info.id`; the same ID with the same payload
/// gets the cached answer, the same ID with another payload is refused.
public enum PaymentIdentifier {
    /// The extension's key in `extensions`.
    public static let name = "payment-identifier"
    /// The ID rule, for error messages.
    static let rule = "must be 16 to 128 characters of A-Z, a-z, 0-9, '-' and '_'"

    /// Whether `id` follows the extension's format: 16–128 characters, alphanumeric, hyphen, underscore.
    /// Kura applies the same rule to the seed dialect's `X-Payment-ID`.
    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        return (16...128).contains(bytes.count)
            && bytes.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }

    /// The ID in `extensions`, nil when the extension or its `id` is absent; throws when present but not a string.
    public static func id(in extensions: [String: JSONValue]?) throws(X402FieldProblem) -> String? {
        guard let entry = extensions?[name] else { return nil }
        guard case .object = entry else { throw X402FieldProblem("extensions.\(name) must be an object") }
        guard let info = entry["info"] else { return nil }
        guard case .object = info else { throw X402FieldProblem("extensions.\(name).info must be an object") }
        guard let id = info["id"] else { return nil }
        guard let text = id.stringValue else { throw X402FieldProblem("extensions.\(name).info.id must be a string") }
        return text
    }

    /// What a server or facilitator advertises in `PaymentRequired.extensions`: `{info: {required}, schema}`.
    /// The schema is the specification's example plus the `pattern` its "id Format" section states in words,
    /// which makes it equal to what the official Python SDK declares (`declare_payment_identifier_extension`).
    public static func offer(required: Bool) -> JSONValue {
        [
            "info": ["required": .bool(required)],
            "schema": [
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": [
                    "required": ["type": "boolean"],
                    "id": [
                        "type": "string", "minLength": 16, "maxLength": 128, "pattern": "^[a-zA-Z0-9_-]+$",
                    ],
                ],
                "required": ["required"],
            ],
        ]
    }

    /// The client's echo of `offer` with its `id` appended to `info`, as the extension asks.
    public static func echo(_ offer: JSONValue, id: String) -> JSONValue {
        guard case .object(var entry) = offer else { return ["info": ["required": false, "id": .string(id)]] }
        var info = entry["info"]?.objectValue ?? [:]
        info["id"] = .string(id)
        entry["info"] = .object(info)
        return .object(entry)
    }
}

import Hummingbird
import KuraCore
import KuraCrypto

/// Renders answers as RFC 8785 canonical JSON, so the same value is always the same bytes (a replayed
/// idempotent answer is byte-identical to the first).
enum JSONResponse {
    static let mediaType = "application/json"

    /// An answer as canonical JSON, 200; the catalog's route sets the status and headers of a created or
    /// replayed answer.
    static func make(_ value: some Encodable) throws(KuraError) -> Response {
        let bytes: [UInt8]
        do { bytes = try JSONValue.canonicalBytes(encoding: value) } catch {
            throw KuraError(.internalError, "cannot encode the answer: \(error.reason)")
        }
        return RawResponse.make(bytes, contentType: mediaType)
    }

    /// A page of a list as `{items, nextCursor}`; `nextCursor` is always present, `null` on the last page, so
    /// clients need not test for a missing member.
    static func page<Item>(_ page: Page<Item>) throws(KuraError) -> Response {
        let items: JSONValue
        do { items = try JSONValue(encoding: page.items) } catch {
            throw KuraError(.internalError, "cannot encode \(Item.self) items: \(error.reason)")
        }
        return try make(["items": items, "nextCursor": page.nextCursor.map { .string($0) } ?? .null] as JSONValue)
    }
}

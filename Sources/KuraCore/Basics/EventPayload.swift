import KuraCrypto

/// Converts the Codable body of a domain event to and from the JSON payload stored in the log.
enum EventPayload {
    /// The body as JSON. Encoding fails only for an integer beyond ±2^53−1, which `decide` never produces
    /// (it validates times and windows), so a failure here is a programming error, not bad input.
    static func encode(_ body: some Encodable) -> JSONValue {
        do { return try JSONValue(encoding: body) } catch {
            preconditionFailure("event payload does not encode: \(error.reason)")
        }
    }

    /// Reads a body back from the log; a payload that does not match its type is `invalid_request`.
    static func decode<Body: Decodable>(_ type: Body.Type, from payload: JSONValue, eventType: String)
        throws(KuraError) -> Body
    {
        do { return try payload.decode(Body.self) } catch {
            throw KuraError(.invalidRequest, "payload of \(eventType) does not decode: \(error.reason)")
        }
    }

    /// The error for a type string this aggregate does not know.
    static func unknown(_ type: String) -> KuraError {
        KuraError(.unknownEventType, "unknown event type '\(type.prefix(80))'")
    }
}

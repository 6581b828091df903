import KuraCore
import KuraCrypto
import KuraTesting
import Testing

/// `OpenEscrowRequest.canonicalJSON()` writes the request member by member; its `Encodable` form through a
/// `JSONValue` is the reference (the command an escrow's identifier is derived from is made of these bytes).
@Suite("open-escrow request canonical JSON, member by member, against the Encodable path")
struct OpenEscrowRequestTests {
    static let assets = ["USDC", "EURC", "So11111111111111111111111111111111111111112"]

    static func request(_ random: inout SplitMix64, everyMember: Bool = false) throws -> OpenEscrowRequest {
        var wire: [String: JSONValue] = [
            "payee": WireSamples.identifier("pty", &random), "amount": WireSamples.time(&random),
            "asset": .string(Self.assets.randomElement(using: &random)!),
            "deliverBy": WireSamples.time(&random),
        ]
        for key in ["confirmWindowMs", "disputeWindowMs"] where everyMember || Bool.random(using: &random) {
            wire[key] = WireSamples.time(&random)
        }
        for key in ["resource", "paymentId", "memo"] where everyMember || Bool.random(using: &random) {
            wire[key] = .string(WireSamples.text(&random))
        }
        return try OpenEscrowRequest.decode(.object(wire))
    }

    @Test("3,000 seeded requests, every optional member present and absent, signed times: the same bytes")
    func seededRequests() throws {
        var random = SplitMix64(seed: 4_041)
        for n in 0..<3_000 {
            var request = try Self.request(&random)
            if Bool.random(using: &random) {
                request.deliverBy = Timestamp(milliseconds: -request.deliverBy.milliseconds)
            }
            if let window = request.confirmWindowMs, Bool.random(using: &random) { request.confirmWindowMs = -window }
            let expected = try JSONValue(encoding: request).canonicalBytes()
            #expect(try request.canonicalJSON() == expected, "request \(n)")
            #expect(try JSONValue.canonicalBytes(encoding: request) == expected, "request \(n), through the protocol")
        }
    }

    /// The answer to a body with unknown members names the first in sorted order, whatever the map's hashing.
    @Test("unknown members are refused, naming the first in sorted order")
    func unknownMembers() throws {
        var random = SplitMix64(seed: 31)
        guard case .object(var wire) = try JSONValue(encoding: Self.request(&random)) else { return }
        for extra in ["zeta", "colour", "Zulu", "mu"] { wire[extra] = .bool(true) }
        let error = #expect(throws: KuraError.self) { try OpenEscrowRequest.decode(.object(wire)) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.detail == "unknown field 'Zulu'")
    }

    @Test("integers beyond ±2^53-1 are refused by both ways")
    func inexactIntegers() throws {
        var random = SplitMix64(seed: 7)
        var request = try Self.request(&random, everyMember: true)
        request.disputeWindowMs = 1 << 60
        #expect(throws: JSONError.self) { try request.canonicalJSON() }
        #expect(throws: JSONError.self) { try JSONValue(encoding: request).canonicalBytes() }
        request.disputeWindowMs = 1
        request.deliverBy = Timestamp(milliseconds: -(1 << 54))
        #expect(throws: JSONError.self) { try request.canonicalJSON() }
        #expect(throws: JSONError.self) { try JSONValue(encoding: request).canonicalBytes() }
    }

    /// A stored property added later and left out of `canonicalJSON()` would change every escrow's identifier
    /// from the `Encodable` form's: with every optional member set, both have one member per stored property.
    @Test("a request with every member set: one member per stored property, the same bytes")
    func everyStoredProperty() throws {
        var random = SplitMix64(seed: 12)
        let request = try Self.request(&random, everyMember: true)
        guard case .object(let members) = try JSONValue(encoding: request) else {
            Issue.record("a request is not a JSON object")
            return
        }
        #expect(members.count == Mirror(reflecting: request).children.count)
        #expect(try request.canonicalJSON() == JSONValue(encoding: request).canonicalBytes())
    }
}

import KuraCore
import KuraCrypto
import Testing

/// Review finding: an unknown member inside a request's nested object (a voucher, a ruling) was dropped, though
/// the schema says `additionalProperties: false` there as at the top.
@Suite("requests: unknown members of nested objects are refused")
struct NestedMembersTests {
    static let voucher = ChannelVoucher(
        channel: try! ChannelID(validating: "ch_fixture"), cumulativeAmount: try! Amount(units: 5), sequence: 1)
    static let ruling = RulingStatement(
        disputeId: try! DisputeID(validating: "dsp_fixture"), round: 1, arbiter: try! PartyID(validating: "pty_arb"),
        refundBps: 5_000, reason: "half", at: Timestamp(milliseconds: 1_000))

    /// The request's JSON with `extra` added inside its member `nested`.
    static func body(_ request: some Encodable, adding extra: String, inside nested: String) throws -> JSONValue {
        guard case .object(var members) = try JSONValue(encoding: request),
            case .object(var inner)? = members[nested]
        else { throw KuraError(.internalError, "not an object") }
        inner[extra] = "x"
        members[nested] = .object(inner)
        return .object(members)
    }

    @Test("a voucher, to settle or to close a channel, with a member it does not have")
    func voucher() throws {
        let signed = SignedVoucher(voucher: Self.voucher, signature: [1, 2, 3])
        let close = CloseChannelRequest(signed)
        #expect(try SignedVoucher.decode(try JSONValue(encoding: signed)) == signed)
        #expect(try CloseChannelRequest.decode(try JSONValue(encoding: close)) == close)
        let settling = try Self.body(signed, adding: "note", inside: "voucher")
        let closing = try Self.body(close, adding: "note", inside: "voucher")
        let refusals = [
            #expect(throws: KuraError.self) { try SignedVoucher.decode(settling) },
            #expect(throws: KuraError.self) { try CloseChannelRequest.decode(closing) },
        ]
        for error in refusals {
            #expect(error?.code == .invalidRequest)
            #expect(error?.detail.contains("voucher.note") == true, "\(String(describing: error))")
        }
    }

    @Test("a ruling statement with a member it does not have")
    func ruling() throws {
        let request = RulingRequest(ruling: Self.ruling, signature: "c2ln", reason: "half")
        #expect(try RulingRequest.decode(try JSONValue(encoding: request)) == request)
        let error = #expect(throws: KuraError.self) {
            try RulingRequest.decode(try Self.body(request, adding: "appealable", inside: "ruling"))
        }
        #expect(error?.detail.contains("ruling.appealable") == true, "\(String(describing: error))")
    }

    @Test("the members listed are the members each type writes")
    func fieldsMatchTheEncoding() throws {
        var full = Self.ruling
        full.quality = 50
        #expect(try JSONValue(encoding: full).objectValue.map { Set($0.keys) } == RulingStatement.fields)
        #expect(try JSONValue(encoding: Self.voucher).objectValue.map { Set($0.keys) } == ChannelVoucher.fields)
    }
}

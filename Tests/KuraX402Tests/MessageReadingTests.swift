import KuraCrypto
import KuraTesting
import KuraX402
import Testing

/// A type's `Decodable` form alone, hiding that it can read itself (`JSONMemberReadable`): the reference.
struct DecodableOnly<T: Decodable>: Decodable {
    let value: T
    init(from decoder: any Decoder) throws { value = try T(from: decoder) }
}

/// The paid path's messages read themselves from their members (`X402Message+Reading.swift`); `Decodable` through
/// `JSONValueDecoder` is the reference. A reader may give up where `Decodable` reads (it then reads), but whatever
/// it reads must be what `Decodable` reads, and what `Decodable` refuses it must not read.
@Suite("x402 messages read member by member, against Decodable")
struct MessageReadingTests {
    struct Tally {
        var read = 0
        var refused = 0
        var leftToDecodable = 0
    }

    /// One member somewhere in the object removed, made null, replaced, given an odd number or string, or an
    /// unknown member added.
    static func mutate(_ value: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        guard case .object(var members) = value, let key = members.keys.sorted().randomElement(using: &rng) else {
            return JSONSamples.value(&rng)
        }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: members[key] = nil
        case 1: members[key] = .null
        case 2: members[key] = JSONSamples.value(&rng)
        case 3: members["unknown\(Int.random(in: 0...3, using: &rng))"] = JSONSamples.value(&rng)
        case 4:
            members[key] = .number([-1, 0.5, -0.0, 9_007_199_254_740_992, 1e300, 3].randomElement(using: &rng)!)
        case 5: members[key] = .string(["01", "-1", "9007199254740992", "12", "1.0", " 7"].randomElement(using: &rng)!)
        default: members[key] = mutate(members[key]!, &rng)
        }
        return .object(members)
    }

    static func check<T: JSONMemberReadable & Encodable & Equatable>(
        _ value: T, _ rng: inout SplitMix64, _ tally: inout Tally
    ) throws {
        let json = try JSONValue(encoding: value)
        #expect(try T(reading: JSONMembers(json.objectValue ?? [:])) == value, "\(T.self) as written")
        for _ in 0..<4 {
            var mutated = json
            for _ in 0...Int.random(in: 0...1, using: &rng) { mutated = mutate(mutated, &rng) }
            let reference = try? mutated.decode(DecodableOnly<T>.self).value
            let read = mutated.objectValue.flatMap { try? T(reading: JSONMembers($0)) }
            let decoded = try? mutated.decode(T.self)
            #expect(decoded == reference, "\(T.self): \(mutated)")
            if let read {
                #expect(read == reference, "\(T.self) read: \(mutated)")
                tally.read += 1
            } else if reference == nil {
                tally.refused += 1
            } else {
                tally.leftToDecodable += 1
            }
        }
    }

    static func settleResponse(_ rng: inout SplitMix64) -> SettleResponse {
        let success = Bool.random(using: &rng)
        return SettleResponse(
            success: success, errorReason: success ? nil : .insufficientFunds,
            errorMessage: Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil,
            payer: Bool.random(using: &rng) ? PaymentSamples.text(&rng) : nil, transaction: PaymentSamples.text(&rng),
            network: PaymentSamples.text(&rng),
            amount: Bool.random(using: &rng) ? X402Amount(units: PaymentSamples.units(&rng)) : nil,
            extensions: Bool.random(using: &rng) ? PaymentSamples.object(&rng) : nil)
    }

    @Test("2,000 seeded messages of each kind, as written and with members mutated: what Decodable reads")
    func seededMessages() throws {
        var rng = SplitMix64(seed: 0x7265_6164)
        var tally = Tally()
        for _ in 0..<2_000 {
            let payment = PaymentSamples.payment(&rng)
            try Self.check(payment, &rng, &tally)
            try Self.check(payment.accepted, &rng, &tally)
            let requirements = PaymentSamples.requirements(&rng)
            try Self.check(FacilitatorRequest(paymentPayload: payment, paymentRequirements: requirements), &rng, &tally)
            let authorization = PaymentSamples.authorization(&rng)
            try Self.check(authorization, &rng, &tally)
            try Self.check(
                KuraPaymentProof(signature: PaymentSamples.text(&rng), authorization: authorization), &rng, &tally)
            try Self.check(Self.settleResponse(&rng), &rng, &tally)
            let valid = Bool.random(using: &rng)
            try Self.check(
                valid
                    ? VerifyResponse.valid(payer: PaymentSamples.text(&rng))
                    : .invalid(.invalidPayload, "no", payer: nil),
                &rng, &tally)
        }
        // Both outcomes are exercised, and the reader gives up rarely where Decodable reads.
        #expect(tally.read > 10_000 && tally.refused > 10_000, "\(tally)")
        #expect(tally.leftToDecodable * 100 < tally.read, "\(tally)")
    }

    @Test("an x402 refusal is worded as before: the reader gives up and Decodable refuses")
    func refusalsUnchanged() throws {
        let header = try X402Codec.header(try X402Examples.payment(X402Examples.exact))
        var json = try JSONValue.parse(Base64.decode(header)!)
        json = json.setting(["accepted", "maxTimeoutSeconds"], "60")
        do {
            _ = try X402Codec.decode(PaymentPayload.self, value: json)
            Issue.record("read a string timeout")
        } catch {
            #expect(error.reason == .invalidPayload)
            #expect("\(error)".contains("maxTimeoutSeconds"), "\(error)")
        }
    }
}

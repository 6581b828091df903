import Foundation
import KuraCrypto
import KuraTesting
import KuraX402
import Testing

@Suite("x402 v2 header codecs")
struct V2CodecTests {
    static let required = try! JSONValue(encoding: X402Examples.paymentRequired)

    @Test("each message survives encode → header → decode unchanged")
    func roundTrips() throws {
        let requiredHeader = try X402Codec.header(X402Examples.paymentRequired)
        #expect(try X402Codec.decode(PaymentRequired.self, header: requiredHeader) == X402Examples.paymentRequired)
        let payment = try X402Examples.payment(X402Examples.escrow)
        #expect(try X402Codec.decode(PaymentPayload.self, header: try X402Codec.header(payment)) == payment)
        let request = FacilitatorRequest(paymentPayload: payment, paymentRequirements: X402Examples.escrow)
        #expect(try X402Codec.decode(FacilitatorRequest.self, json: try X402Codec.json(request)) == request)
        let settle = SettleResponse(
            success: true, payer: X402Examples.payer, transaction: "3yZe7d", network: X402Examples.network.id,
            extensions: ["escrow": ["escrowId": "esc_1"]])
        #expect(try X402Codec.decode(SettleResponse.self, header: try X402Codec.header(settle)) == settle)
        let supported = SupportedResponse(
            kinds: KuraScheme.allCases.map { SupportedKind(scheme: $0.rawValue, network: X402Examples.network.id) },
            extensions: [PaymentIdentifier.name], signers: [KuraNetwork.wildcard: ["key"]])
        #expect(try X402Codec.decode(SupportedResponse.self, json: try X402Codec.json(supported)) == supported)
        let refused = VerifyResponse.invalid(.insufficientFunds, "no", payer: X402Examples.payer)
        #expect(try X402Codec.decode(VerifyResponse.self, json: try X402Codec.json(refused)) == refused)
    }

    @Test("the header is base64 of canonical JSON, with the specification's field names")
    func wireShape() throws {
        let bytes = try #require(Base64.decode(try X402Codec.header(X402Examples.paymentRequired)))
        let json = try JSONValue.parse(bytes)
        #expect(try json.canonicalBytes() == bytes)
        #expect(json["x402Version"] == 2)
        #expect(json["accepts"]?.arrayValue?.first?["amount"] == "250000")
        #expect(json["accepts"]?.arrayValue?.first?["maxTimeoutSeconds"] == 60)
        #expect(json["accepts"]?.arrayValue?.last?["extra"]?["paymentFlow"] == "escrow")
        #expect(
            Set(json["accepts"]?.arrayValue?.first?.objectValue?.keys ?? [:].keys)
                == ["scheme", "network", "amount", "asset", "payTo", "maxTimeoutSeconds"])
    }

    /// The examples of the HTTP transport specification, copied into Fixtures/x402 with their source.
    @Test("the specification's own example headers decode")
    func specificationExamples() throws {
        struct File: Decodable {
            struct Entry: Decodable {
                let name: String
                let value: String
            }
            let headers: [Entry]
        }
        let file = try JSONDecoder().decode(
            File.self, from: Data(contentsOf: X402Examples.fixture("spec-http-examples.json")))
        #expect(file.headers.count == 4)
        for entry in file.headers {
            switch entry.name {
            case X402Codec.Header.paymentRequired:
                let required = try X402Codec.decode(PaymentRequired.self, header: entry.value)
                #expect(required.accepts.first?.amount.units == 10_000)
                #expect(required.accepts.first?.network == "eip155:84532")
            case X402Codec.Header.paymentSignature:
                let payment = try X402Codec.decode(PaymentPayload.self, header: entry.value)
                #expect(payment.accepted.payTo == "0x209693Bc6afc0C5328bA36FaF03C514EF312287C")
            default:
                let settle = try X402Codec.decode(SettleResponse.self, header: entry.value)
                #expect(settle.success == (settle.errorReason == nil))
            }
        }
    }

    typealias Case = (label: String, header: String, kind: X402Error.Kind, reason: X402Reason)

    static func field(_ label: String, _ path: [String], _ value: JSONValue?) -> Case {
        (label, header(required.setting(path, value)), .invalidField, .invalidPaymentRequirements)
    }

    static let malformedRequired: [Case] = [
        ("empty", "", .notBase64, .invalidPaymentRequirements),
        ("not base64", "not base64!", .notBase64, .invalidPaymentRequirements),
        ("missing padding", "eyJhIjoxfQ", .notBase64, .invalidPaymentRequirements),
        ("url-safe alphabet", "eyJ4NDAyVmVyc2lvbiI6Mn0-_w==", .notBase64, .invalidPaymentRequirements),
        ("line break", "eyJh\nIjoxfQ==", .notBase64, .invalidPaymentRequirements),
        (
            "too long", String(repeating: "A", count: X402Limits.maxHeaderBytes + 4), .tooLong,
            .invalidPaymentRequirements
        ),
        ("not JSON", header("not json"), .notJSON, .invalidPaymentRequirements),
        ("an array", header("[1]"), .notJSON, .invalidPaymentRequirements),
        ("duplicate key", header(#"{"x402Version":2,"x402Version":2}"#), .notJSON, .invalidPaymentRequirements),
        ("trailing data", header(#"{"x402Version":2} {}"#), .notJSON, .invalidPaymentRequirements),
        ("number overflow", header(#"{"x402Version":1e400}"#), .notJSON, .invalidPaymentRequirements),
        (
            "invalid UTF-8", Base64.encode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), .notJSON,
            .invalidPaymentRequirements
        ),
        ("no version", header(required.setting(["x402Version"], nil)), .unsupportedVersion, .invalidX402Version),
        ("version 1", header(required.setting(["x402Version"], 1)), .unsupportedVersion, .invalidX402Version),
        ("version as text", header(required.setting(["x402Version"], "2")), .unsupportedVersion, .invalidX402Version),
        ("version 2.5", header(required.setting(["x402Version"], 2.5)), .unsupportedVersion, .invalidX402Version),
        field("no resource", ["resource"], nil),
        field("no resource url", ["resource", "url"], nil),
        field("resource url with a space", ["resource", "url"], "https://a b"),
        field("no accepts", ["accepts"], nil),
        field("empty accepts", ["accepts"], []),
        field("accepts not an array", ["accepts"], ["scheme": "exact"]),
        field("amount as a number", ["accepts", "0", "amount"], 250_000),
        field("amount with a leading zero", ["accepts", "0", "amount"], "0250000"),
        field("negative amount", ["accepts", "0", "amount"], "-1"),
        field("amount with a plus", ["accepts", "0", "amount"], "+5"),
        field("amount in exponent form", ["accepts", "0", "amount"], "25e4"),
        field("fractional amount", ["accepts", "0", "amount"], "2.5"),
        field("amount 2^53", ["accepts", "0", "amount"], "9007199254740992"),
        field("amount 2^64", ["accepts", "0", "amount"], "18446744073709551616"),
        field("amount with a space", ["accepts", "0", "amount"], " 5"),
        field("empty amount", ["accepts", "0", "amount"], ""),
        field("amount in Arabic-Indic digits", ["accepts", "0", "amount"], "١٢"),
        field("missing amount", ["accepts", "1", "amount"], nil),
        field("network without namespace", ["accepts", "0", "network"], "base"),
        field("network with two colons", ["accepts", "0", "network"], "kura:a:b"),
        field("scheme in capitals", ["accepts", "0", "scheme"], "Exact"),
        field("negative timeout", ["accepts", "0", "maxTimeoutSeconds"], -1),
        field("fractional timeout", ["accepts", "0", "maxTimeoutSeconds"], 1.5),
        field("huge timeout", ["accepts", "0", "maxTimeoutSeconds"], 1e300),
        field("timeout as text", ["accepts", "0", "maxTimeoutSeconds"], "60"),
        field("empty payTo", ["accepts", "0", "payTo"], ""),
        field("asset with a space", ["accepts", "0", "asset"], "US DC"),
        field("extra not an object", ["accepts", "0", "extra"], "x"),
        field("error with a control character", ["error"], "a\u{7}b"),
        field("extensions not an object", ["extensions"], [1]),
    ]

    @Test("a malformed PAYMENT-REQUIRED is a typed refusal", arguments: malformedRequired)
    func malformedPaymentRequired(_ c: Case) {
        #expect {
            _ = try X402Codec.decode(PaymentRequired.self, header: c.header)
        } throws: { error in
            guard let error = error as? X402Error else { return false }
            return error.kind == c.kind && error.reason == c.reason && !error.detail.isEmpty
        }
    }

    @Test("the edges of the rules are accepted")
    func edgesAccepted() throws {
        let largest = Self.required.setting(["accepts", "0", "amount"], "9007199254740991")
        #expect(
            try X402Codec.decode(PaymentRequired.self, header: header(largest)).accepts[0].amount.units
                == 9_007_199_254_740_991)
        let zero = Self.required.setting(["accepts", "0", "amount"], "0")
        #expect(try X402Codec.decode(PaymentRequired.self, header: header(zero)).accepts[0].amount.units == 0)
        let unknown = Self.required.setting(["futureField"], "ignored")
        #expect(try X402Codec.decode(PaymentRequired.self, header: header(unknown)) == X402Examples.paymentRequired)
        let nullError = Self.required.setting(["error"], .null)
        #expect(try X402Codec.decode(PaymentRequired.self, header: header(nullError)).error == nil)
    }

    @Test("a malformed PAYMENT-SIGNATURE is refused with invalid_payload")
    func malformedPaymentSignature() throws {
        let payment = try JSONValue(encoding: try X402Examples.payment(X402Examples.exact))
        let cases: [(JSONValue, X402Error.Kind, X402Reason)] = [
            (payment.setting(["x402Version"], 3), .unsupportedVersion, .invalidX402Version),
            (payment.setting(["accepted"], nil), .invalidField, .invalidPayload),
            (payment.setting(["payload"], "sig"), .invalidField, .invalidPayload),
            (payment.setting(["accepted", "amount"], "1.0"), .invalidField, .invalidPayload),
            (
                payment.setting(["extensions", "payment-identifier", "info", "id"], "short"), .invalidField,
                .invalidPayload
            ),
            (payment.setting(["extensions", "payment-identifier", "info", "id"], 7), .invalidField, .invalidPayload),
            (payment.setting(["extensions", "payment-identifier"], "x"), .invalidField, .invalidPayload),
        ]
        for (json, kind, reason) in cases {
            let error = #expect(throws: X402Error.self) {
                try X402Codec.decode(PaymentPayload.self, header: header(json))
            }
            #expect(error?.kind == kind && error?.reason == reason, "\(String(describing: error))")
        }
        let body = FacilitatorRequest(
            paymentPayload: try X402Examples.payment(X402Examples.exact), paymentRequirements: X402Examples.exact)
        let inner = try JSONValue(encoding: body).setting(["paymentPayload", "x402Version"], 1)
        let error = #expect(throws: X402Error.self) {
            try X402Codec.decode(FacilitatorRequest.self, json: try inner.canonicalBytes())
        }
        #expect(error?.reason == .invalidX402Version && error?.detail.contains("paymentPayload.x402Version") == true)
    }

    @Test("inconsistent answers are refused: a refusal without a reason, a failed settlement with a transaction")
    func inconsistentAnswers() throws {
        let verify: JSONValue = ["isValid": false]
        #expect(throws: X402Error.self) { try X402Codec.decode(VerifyResponse.self, value: verify) }
        let settle: JSONValue = [
            "success": false, "errorReason": "insufficient_funds", "transaction": "x", "network": "kura:00000000",
        ]
        #expect(throws: X402Error.self) { try X402Codec.decode(SettleResponse.self, value: settle) }
    }
}

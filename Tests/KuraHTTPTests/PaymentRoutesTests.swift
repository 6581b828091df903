import Foundation
import HTTPTypes
import HummingbirdTesting
import KuraClient
import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("direct payments over HTTP")
struct PaymentRoutesTests {
    static let paymentId = "pay_7d5d747be160e280504c099d984bcfe0"

    static func body(payee: PartyID, amount: UInt64, paymentId: String = paymentId) -> JSONValue {
        [
            "payee": .string(payee.rawValue), "amount": .number(Double(amount)), "asset": "USDC",
            "paymentId": .string(paymentId), "resource": "https://provider.example/v1/forecast",
        ]
    }

    @Test("pay: the payee gets the amount less 10 bps, one event, one receipt, a txSignature Kura's log key checks")
    func pay() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 1_000_000)
            let seqBefore = try await fixture.seq()

            let paid = try await api.send(
                .post, "/v1/payments", as: .bearer(payer.apiKey), json: Self.body(payee: payee.id, amount: 250_001))
            #expect(paid.status == .created, "\(paid)")
            #expect(paid.headers[.location] == "/v1/payments/\(Self.paymentId)")
            // 250_001 × 10 / 10_000 = 250.001, rounded down to 250.
            #expect(paid.json["fee"]?.uint64Value == 250 && paid.json["net"]?.uint64Value == 249_751)
            #expect(try await api.available(payer.id) == 1_000_000 - 250_001)
            #expect(try await api.available(payee.id) == 249_751)
            #expect(try await fixture.fees() == 250)
            #expect(try await fixture.service.ledgerViolations().isEmpty)
            #expect(try await fixture.seq() == seqBefore + 1, "one event")

            let payment = try paid.decode(Payment.self)
            #expect(payment.id.rawValue.hasPrefix("pmt_"))
            #expect(payment.hasValidSignature(fixture.service.signer.key.publicKey))
            var forged = payment
            forged.net = try Amount(units: 250_001)
            #expect(!forged.hasValidSignature(fixture.service.signer.key.publicKey))

            let receipts = try await api.send(.get, "/v1/receipts?kind=payment.settled")
            let receipt = try #require(receipts.json["items"]?.arrayValue?.last)
            #expect(receipt["outcome"] == "settled" && receipt["subject"]?.stringValue == payment.id.rawValue)
            #expect(receipt["amount"]?.uint64Value == 250_001 && receipt["payee"]?.stringValue == payee.id.rawValue)

            let mine = try await api.send(.get, "/v1/payments/\(Self.paymentId)", as: .bearer(payer.apiKey))
            #expect(mine.status == .ok && mine.json == paid.json)
            let theirs = try await api.send(
                .get, "/v1/payments/\(Self.paymentId)?payer=\(payer.id)", as: .bearer(payee.apiKey))
            #expect(theirs.status == .ok && theirs.json == paid.json)

            let replay = try await fixture.service.replay()
            #expect(replay.before == replay.after, "the payments table rebuilds from the log")
        }
    }

    @Test("refusals: a used paymentId, too little money, bad input, a stranger; none writes anything")
    func refusals() async throws {
        let fixture = try await HTTPFixture()
        try await fixture.test { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            let stranger = try await api.register("stranger")
            try await api.deposit(payer.id, 1_000)
            let first = try await api.send(
                .post, "/v1/payments", as: .bearer(payer.apiKey), json: Self.body(payee: payee.id, amount: 100),
                idempotencyKey: "k1")
            #expect(first.status == .created)
            let again = try await api.send(
                .post, "/v1/payments", as: .bearer(payer.apiKey), json: Self.body(payee: payee.id, amount: 100),
                idempotencyKey: "k1")
            #expect(again.status == .created && again.replayed && again.json == first.json)
            let seq = try await fixture.seq()

            let cases: [(JSONValue, Int, String)] = [
                (Self.body(payee: payee.id, amount: 100), 409, "duplicate_payment"),
                (
                    Self.body(payee: payee.id, amount: 5_000, paymentId: "pay_other_payment_01"), 422,
                    "insufficient_funds"
                ),
                (Self.body(payee: payee.id, amount: 1, paymentId: "short"), 400, "invalid_request"),
                (Self.body(payee: payee.id, amount: 1, paymentId: "pay/with/slashes/0001"), 400, "invalid_request"),
                (Self.body(payee: payer.id, amount: 1, paymentId: "pay_to_myself_000001"), 400, "invalid_request"),
                (Self.body(payee: payee.id, amount: 0, paymentId: "pay_zero_amount_0001"), 400, "invalid_request"),
                (Self.body(payee: payee.id, amount: 1).setting("extra", 1), 400, "invalid_request"),
            ]
            for (json, status, code) in cases {
                let answer = try await api.send(.post, "/v1/payments", as: .bearer(payer.apiKey), json: json)
                #expect(Int(answer.status.code) == status && answer.code == code, "\(json) → \(answer)")
            }
            #expect(try await fixture.seq() == seq, "no refusal wrote an event")

            // A payment ID is the payer's choice and may be guessable: to a stranger a payment of someone else's
            // and no payment at all are the same 404, so it learns nothing of the payer's activity (review finding).
            let hidden = try await api.send(
                .get, "/v1/payments/\(Self.paymentId)?payer=\(payer.id)", as: .bearer(stranger.apiKey))
            let absent = try await api.send(
                .get, "/v1/payments/pay_no_such_payment_1?payer=\(payer.id)", as: .bearer(stranger.apiKey))
            #expect(hidden.status == .notFound && absent.status == .notFound, "\(hidden) \(absent)")
            #expect(
                hidden.json["detail"]
                    == absent.json["detail"]?.stringValue.map {
                        .string($0.replacingOccurrences(of: "pay_no_such_payment_1", with: Self.paymentId))
                    })
            let missing = try await api.send(.get, "/v1/payments/pay_no_such_payment_1", as: .bearer(payer.apiKey))
            #expect(missing.status == .notFound)
            let bad = try await api.send(.get, "/v1/payments/short", as: .bearer(payer.apiKey))
            #expect(bad.status == .badRequest)
        }
    }
}

extension JSONValue {
    fileprivate func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }
}

@Suite("direct payments through KuraClient")
struct PaymentClientTests {
    @Test("KuraClient pays over TCP and reads the payment back as its payee; a duplicate is a typed 409")
    func clientCalls() async throws {
        let fixture = try await HTTPFixture(label: "payments-client")
        try await fixture.test(.live) { api in
            let payer = try await api.register("payer")
            let payee = try await api.register("payee")
            try await api.deposit(payer.id, 10_000)
            let port = try #require(api.client.port)
            let asPayer = KuraClient(baseURL: "http://127.0.0.1:\(port)", apiKey: payer.apiKey)
            let request = PayRequest(
                payee: payee.id, amount: try Amount(units: 2_000), asset: try Asset("USDC"),
                paymentId: PaymentRoutesTests.paymentId)
            let payment = try await asPayer.pay(request)
            #expect(payment.net.units == 1_998 && payment.fee.units == 2)
            #expect(payment.hasValidSignature(fixture.service.signer.key.publicKey))
            let asPayee = KuraClient(baseURL: "http://127.0.0.1:\(port)", apiKey: payee.apiKey)
            #expect(try await asPayee.payment(PaymentRoutesTests.paymentId, payer: payer.id) == payment)
            let duplicate = await #expect(throws: KuraClientError.self) { try await asPayer.pay(request) }
            #expect(
                duplicate?.status == 409 && duplicate?.code == "duplicate_payment", "\(String(describing: duplicate))")
        }
    }
}

import KuraCore
import KuraCrypto
import KuraTesting
import Testing

@Suite("direct payments: decide, postings, signature")
struct PaymentTests {
    static let payer = PartyID(unchecked: "pty_payer1")
    static let payee = try! Party(
        id: PartyID(unchecked: "pty_payee1"), name: "payee", roles: [.provider], publicKey: TestKeys.publicKey("payee"))
    static let id = PaymentID.derive(command: ["op": "payment.pay"], seq: 7)
    static let now = Timestamp(milliseconds: 1_795_564_800_000)

    static func request(amount: UInt64 = 100_001, paymentId: String = "pay_7d5d747be160e280504c099d984bcfe0")
        throws -> PayRequest
    {
        PayRequest(payee: payee.id, amount: try Amount(units: amount), asset: try Asset("USDC"), paymentId: paymentId)
    }

    static func decide(
        _ request: PayRequest, payee: Party = payee, available: UInt64 = 1_000_000, used: Bool = false
    ) throws(KuraError) -> Payment {
        try PaymentEvent.decideSettle(
            id: id, request: request, payer: payer, payee: payee, available: try Amount(units: available),
            fees: FeeSchedule(), paymentIdUsed: used, now: now)
    }

    @Test("the settlement fee is 10 bps rounded down; the postings move exactly the amount and sum to zero")
    func split() throws {
        let payment = try Self.decide(try Self.request())
        #expect(payment.fee.units == 100 && payment.net.units == 100_001 - 100)
        let event = PaymentEvent.settled(payment)
        #expect(event.type == "payment.settled")
        #expect(event.postings.allSatisfy { $0.from == .available(Self.payer) })
        #expect(event.postings.map(\.amount.units).reduce(0, +) == 100_001)
        #expect(try PaymentEvent(type: event.type, payload: event.payload) == event)
        // Below 1000 units the fee rounds to zero and no fee posting is made.
        #expect(PaymentEvent.settled(try Self.decide(try Self.request(amount: 999))).postings.count == 1)
    }

    @Test("refusals: a used paymentId, too little money, a bad paymentId, zero, paying oneself, an inactive payee")
    func refusals() throws {
        var suspended = Self.payee
        suspended = try Party(
            id: suspended.id, name: "payee", roles: [.provider], publicKey: suspended.publicKey, status: .suspended)
        let cases: [(PayRequest, Party, UInt64, Bool, KuraError.Code)] = [
            (try Self.request(), Self.payee, 1_000_000, true, .duplicatePayment),
            (try Self.request(), Self.payee, 100_000, false, .insufficientFunds),
            (try Self.request(paymentId: "too-short"), Self.payee, 1_000_000, false, .invalidRequest),
            (try Self.request(paymentId: "pay_with spaces_0001"), Self.payee, 1_000_000, false, .invalidRequest),
            (try Self.request(amount: 0), Self.payee, 1_000_000, false, .invalidRequest),
            (try Self.request(), suspended, 1_000_000, false, .forbidden),
        ]
        for (request, payee, available, used, code) in cases {
            let error = #expect(throws: KuraError.self) {
                try Self.decide(request, payee: payee, available: available, used: used)
            }
            #expect(error?.code == code, "\(request.paymentId): \(String(describing: error))")
        }
        var toSelf = try Self.request()
        toSelf.payee = Self.payer
        let selfPayee = try Party(id: Self.payer, name: "me", roles: [.agent], publicKey: TestKeys.publicKey("payer"))
        #expect(throws: KuraError.self) { try Self.decide(toSelf, payee: selfPayee) }
    }

    @Test("txSignature: base58 of Ed25519 over the canonical record without it; any change breaks it")
    func signature() throws {
        let key = TestKeys.secretKey("service")
        let payment = try Self.decide(try Self.request()).signed(with: key)
        let raw = try #require(Base58.decode(payment.txSignature))
        #expect(raw.count == 64)
        #expect(!String(decoding: payment.signedBytes(), as: UTF8.self).contains("txSignature"))
        #expect(payment.hasValidSignature(key.publicKey))
        #expect(!payment.hasValidSignature(TestKeys.publicKey("other")))
        var changed = payment
        changed.fee = try Amount(units: 0)
        #expect(!changed.hasValidSignature(key.publicKey))
        // Ed25519 is deterministic: the same record signs the same way, so replays reproduce the log.
        #expect(try Self.decide(try Self.request()).signed(with: key) == payment)
    }
}

import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

@Suite("direct payment receipts")
struct PaymentReceiptTests {
    @Test("a payment's receipt is in the log, proven by a bundle, and fits Schemas/receipt.schema.json")
    func receipt() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let request = PayRequest(
            payee: world.payee.id, amount: try Amount(units: 42_000), asset: usdc,
            paymentId: "pay_receipt_test_00001", resource: "https://provider.example/v1/forecast")
        let payment = try await world.service.pay(request, by: world.db.principal(world.payer), idempotencyKey: nil)
            .value
        let page = try await world.service.receipts(
            party: world.payee.id, kind: "payment.settled", cursor: nil, limit: 10)
        let receipt = try #require(page.items.first)
        #expect(page.items.count == 1)
        #expect(receipt.subject == payment.id.rawValue && receipt.outcome == "settled")
        #expect(receipt.payer == world.payer.id && receipt.amount.units == 42_000 && receipt.fee == nil)
        let checker = try SchemaChecker(root: try ReceiptSchemaTests.schema("receipt.schema.json"))
        #expect(checker.problems(try JSONValue(encoding: receipt)) == [])
        let bundle = try await world.service.bundle(receipt.index)
        #expect(bundle["receipt"] == (try JSONValue(encoding: receipt)))
        #expect(try await world.service.ledgerViolations().isEmpty)
    }
}

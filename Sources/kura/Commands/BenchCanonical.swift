import ArgumentParser
import KuraCore
import KuraCrypto
import KuraTesting
import KuraX402

/// `kura bench canonical`: RFC 8785 bytes of receipts (the writer makes one per receipt, as its leaf) straight
/// from `Encodable`, and member by member as `Receipt.leafBytes()` writes them, beside the path through a
/// `JSONValue` that both replaced, on one core in the same run.
struct BenchCanonical: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canonical",
        abstract:
            "Canonical JSON of receipts/s on one core: member by member, straight, through JSONValue (the baseline); settlement records; x402 requests; a catch-up's read of postings.",
        discussion: """
            Example: kura bench canonical --receipts 2000 --seconds 3
            Rates are per second of the measuring thread's CPU time. Every path must give the same bytes.
            """)

    @Option(help: "Distinct receipts (seeded), cycled through.")
    var receipts: Int = 2000
    @Option(help: "Seconds per measurement.")
    var seconds: Double = 3

    func run() async throws {
        try await reportingErrors {
            let values = try SyntheticReceipts.make(payments: max(1, receipts / 2), seed: 15)
            for receipt in values {
                let reference = try JSONValue(encoding: receipt).canonicalBytes()
                guard try JSONValue.canonicalBytes(encoding: EncodableForm(receipt)) == reference,
                    try receipt.leafBytes() == reference
                else { throw KuraError(.internalError, "the paths disagree on receipt \(receipt.index)") }
            }
            print(
                "\(values.count) receipts, \(try JSONValue.canonicalBytes(encoding: values[0]).count) bytes the first")
            let baseline = BenchSupport.callsPerCPUSecond(count: values.count, seconds: seconds, calls: nil) { i in
                (try? JSONValue(encoding: values[i]).canonicalBytes()) != nil
            }
            print(String(format: "through JSONValue (baseline): %9.0f receipts/s", baseline))
            // Through its `Encodable` form only: a receipt handed over as itself would write its own bytes.
            let direct = BenchSupport.callsPerCPUSecond(count: values.count, seconds: seconds, calls: nil) { i in
                (try? JSONValue.canonicalBytes(encoding: EncodableForm(values[i]))) != nil
            }
            print(String(format: "straight from Encodable:      %9.0f receipts/s (%.2f×)", direct, direct / baseline))
            let members = BenchSupport.callsPerCPUSecond(count: values.count, seconds: seconds, calls: nil) { i in
                (try? values[i].leafBytes()) != nil
            }
            print(
                String(format: "member by member (leafBytes): %9.0f receipts/s (%.2f×)", members, members / baseline))
            try settlementRecords(count: max(1, receipts / 2))
            try facilitatorRequests(count: max(1, receipts / 2))
            try catchUpPostings(count: max(1, receipts / 2))
        }
    }

    /// What a writer's catch-up reads of each `escrow.locked` another node appended: its postings. The baseline
    /// parses the whole stored payload; `JSONValue.member` reads the one member and skips the rest.
    func catchUpPostings(count: Int) throws {
        let payloads = try (0..<count).map { n throws -> [UInt8] in
            let payer = PartyID.derive(command: ["payer": .number(Double(n % 97))], seq: 1)
            let payee = PartyID.derive(command: ["payee": .number(Double(n % 13))], seq: 2)
            let terms = EscrowTerms(
                payer: payer, payee: payee, amount: try Amount(units: UInt64(1_000 + n * 37)), asset: try Asset("USDC"),
                deliverBy: Timestamp(milliseconds: 1_800_000_000_000 + 86_400_000),
                resource: n % 2 == 0 ? "https://api.example/v1/forecast?day=\(n)" : nil)
            let events = try Escrow.decideLock(
                id: EscrowID.derive(command: ["escrow": .number(Double(n))], seq: UInt64(n + 3)), terms: terms,
                by: payer, now: Timestamp(milliseconds: 1_800_000_000_000),
                context: EscrowContext(payerAvailable: try Amount(units: 1 << 40)))
            return try events[0].payload.canonicalBytes()
        }
        func postings(_ member: JSONValue?) throws -> Int {
            guard case .array(let items)? = member else { throw KuraError(.internalError, "no postings") }
            return try items.map { item throws(KuraError) in try Posting(json: item) }.count
        }
        for bytes in payloads
        where try postings(JSONValue.parse(bytes)["postings"])
            != postings(JSONValue.member("postings", ofObject: bytes))
        {
            throw KuraError(.internalError, "the paths disagree on a payload")
        }
        let baseline = BenchSupport.callsPerCPUSecond(count: payloads.count, seconds: seconds, calls: nil) { i in
            (try? postings(JSONValue.parse(payloads[i])["postings"])) != nil
        }
        print(
            String(
                format:
                    "catch-up, escrow.locked's postings, whole payload parsed (baseline): %9.0f events/s (%d bytes)",
                baseline, payloads[0].count))
        let member = BenchSupport.callsPerCPUSecond(count: payloads.count, seconds: seconds, calls: nil) { i in
            (try? postings(JSONValue.member("postings", ofObject: payloads[i]))) != nil
        }
        print(
            String(
                format: "catch-up, escrow.locked's postings, member read alone:               %9.0f events/s (%.2f×)",
                member, member / baseline))
    }

    /// What the writer encodes for one x402 `exact` settlement: the `payment.settled` and `x402.settled`
    /// payloads (each as a JSON value and as canonical bytes), the bytes Kura signs, and the two rows. The
    /// baseline is how it was done before the records wrote themselves: through `Encodable` and a `JSONValue`.
    func settlementRecords(count: Int) throws {
        let key = try Ed25519.SecretKey(seed: [UInt8](repeating: 9, count: 32))
        let records = try (0..<count).map { n throws in
            let payer = PartyID(unchecked: "pty_payer\(n % 97)")
            let units = UInt64(1_000 + n * 37)
            let fee = try Amount(units: units / 100)
            let payment = Payment(
                id: PaymentID(unchecked: "pmt_\(String(n, radix: 36))Xq7bV2mC9"), paymentId: "pay-\(n)-7f3a9c2e1b4d",
                payer: payer, payee: PartyID(unchecked: "pty_provider\(n % 13)"), amount: try Amount(units: units),
                asset: try Asset("USDC"), net: try Amount(units: units - fee.units), fee: fee,
                resource: n % 2 == 0 ? "https://api.example/v1/forecast?day=\(n)" : nil,
                settledAt: Timestamp(milliseconds: 1_800_000_000_000 + Int64(n))
            ).signed(with: key)
            let response = SettleResponse(
                success: true, payer: payer.rawValue, transaction: payment.txSignature, network: "kura:cf36394f",
                amount: X402Amount(text: String(units)),
                extensions: [
                    "kura": .object(["paymentId": .string(payment.paymentId), "payment": .string(payment.id.rawValue)])
                ])
            let settlement = X402Settlement(
                scheme: "exact", payer: payer, nonce: String(repeating: "\(n % 10)", count: 64),
                authorizationHash: String(repeating: "a", count: 64),
                paymentIdentifier: n % 3 == 0 ? nil : payment.paymentId,
                payloadHash: String(repeating: "b", count: 64), subject: payment.id.rawValue, response: response)
            return (PaymentEvent.settled(payment), X402Event.settled(settlement))
        }
        func throughJSONValue(_ i: Int) throws -> Int {
            let (paid, settled) = records[i]
            let payment = paid.payment
            let payload = try JSONValue(encoding: EncodableForm(SettledForm(payment: payment, postings: paid.postings)))
            guard case .object(var signed) = try JSONValue(encoding: EncodableForm(payment)) else { return 0 }
            signed.removeValue(forKey: "txSignature")
            let record = try JSONValue(encoding: EncodableForm(settled.settlement))
            return try payload.canonicalBytes().count + JSONValue.object(signed).canonicalBytes().count
                + record.canonicalBytes().count + JSONValue.canonicalBytes(encoding: EncodableForm(payment)).count
                + JSONValue.canonicalBytes(encoding: EncodableForm(settled.settlement)).count
        }
        func memberByMember(_ i: Int) throws -> Int {
            let (paid, settled) = records[i]
            let payload = paid.encodedPayload
            let record = settled.encodedPayload
            return try (payload.canonical?.count ?? 0) + paid.payment.signedBytes().count
                + (record.canonical?.count ?? 0)
                + JSONValue.canonicalBytes(encoding: paid.payment).count
                + JSONValue.canonicalBytes(encoding: settled.settlement).count
        }
        for i in records.indices where try throughJSONValue(i) != memberByMember(i) {
            throw KuraError(.internalError, "the paths disagree on settlement \(i)")
        }
        let baseline = BenchSupport.callsPerCPUSecond(count: records.count, seconds: seconds, calls: nil) { i in
            (try? throughJSONValue(i)) != nil
        }
        print(String(format: "x402 settlement records through JSONValue (baseline): %9.0f settlements/s", baseline))
        let members = BenchSupport.callsPerCPUSecond(count: records.count, seconds: seconds, calls: nil) { i in
            (try? memberByMember(i)) != nil
        }
        print(
            String(
                format: "x402 settlement records member by member:             %9.0f settlements/s (%.2f×)", members,
                members / baseline))
    }
}

/// `payment.settled`'s members as its `Encodable` form has them.
private struct SettledForm: Encodable {
    let payment: Payment
    let postings: [Posting]
}

/// A value's `Encodable` form alone, hiding that it can write its own canonical bytes (`CanonicalJSONWritable`).
struct EncodableForm<Value: Encodable>: Encodable {
    let value: Value
    init(_ value: Value) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

import ArgumentParser
import KuraCore
import KuraCrypto
import KuraTesting

/// `kura bench canonical`: RFC 8785 bytes of receipts (the writer makes one per receipt, as its leaf) straight
/// from `Encodable`, and member by member as `Receipt.leafBytes()` writes them, beside the path through a
/// `JSONValue` that both replaced, on one core in the same run.
struct BenchCanonical: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canonical",
        abstract:
            "Canonical JSON of receipts/s on one core: member by member, straight, through JSONValue (the baseline).",
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
        }
    }
}

/// A value's `Encodable` form alone, hiding that it can write its own canonical bytes (`CanonicalJSONWritable`).
private struct EncodableForm<Value: Encodable>: Encodable {
    let value: Value
    init(_ value: Value) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

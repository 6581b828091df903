import Foundation
import KuraCrypto
import KuraSolana
import KuraTesting
import Testing

/// Docs/solana.md's worked example is real: this test renders it from the solders fixture with Kura's code
/// and fails if the page differs.
@Suite("Docs/solana.md")
struct SolanaDocsTests {
    static let exampleName = "exact token, payer signed, fee payer slot empty"

    /// The example: the transaction in base64, then every field of its bytes in order.
    static func workedExample() throws -> String {
        let vector = try #require(SolanaVectors.shared.transactions.first { $0.name == exampleName })
        let tx = try SolanaTransaction(base64: vector.transaction)
        let message = tx.message
        var lines: [String] = []
        func row(_ bytes: [UInt8], _ field: String) {
            let shown =
                bytes.count > 8 ? Hex.encode(bytes.prefix(4)) + "…" + Hex.encode(bytes.suffix(2)) : Hex.encode(bytes)
            lines.append("| \(bytes.count) | `\(shown)` | \(field) |")
        }
        lines.append("| bytes | hex | field |")
        lines.append("| --- | --- | --- |")
        row([UInt8(tx.signatures.count)], "compact-u16: \(tx.signatures.count) signatures")
        for (i, signature) in tx.signatures.enumerated() {
            let who = i == 0 ? "the fee payer's (empty until Kura signs)" : "the payer's"
            row(signature.bytes, "signature \(i), \(who): `\(signature.isEmpty ? "64 zero bytes" : signature.base58)`")
        }
        row([0x80], "message version prefix: v0")
        let header = message.header
        row(
            [header.numRequiredSignatures, header.numReadonlySignedAccounts, header.numReadonlyUnsignedAccounts],
            "header: \(header.numRequiredSignatures) signers, \(header.numReadonlySignedAccounts) of them read-only, "
                + "\(header.numReadonlyUnsignedAccounts) read-only non-signers")
        row([UInt8(message.accountKeys.count)], "compact-u16: \(message.accountKeys.count) account keys")
        for (i, key) in message.accountKeys.enumerated() {
            let role = message.isSigner(i) ? "signer" : "non-signer"
            let access = message.isWritable(i) ? "writable" : "read-only"
            row(key.bytes, "key \(i) (\(role), \(access)): `\(key.base58)`")
        }
        row(message.recentBlockhash.bytes, "recent blockhash: `\(message.recentBlockhash.base58)`")
        row([UInt8(message.instructions.count)], "compact-u16: \(message.instructions.count) instructions")
        for (i, instruction) in message.instructions.enumerated() {
            let decoded = try DecodedInstruction.decode(instruction, in: message)
            let what: String
            switch decoded {
            case .setComputeUnitLimit(let units): what = "SetComputeUnitLimit(\(units))"
            case .setComputeUnitPrice(let price): what = "SetComputeUnitPrice(\(price) micro-lamports)"
            case .transferChecked(let transfer):
                what = "TransferChecked(\(transfer.amount), decimals \(transfer.decimals))"
            case .memo(let text, _): what = "Memo(\"\(text)\")"
            case .unknown(let program, _): what = "unknown instruction of \(program)"
            }
            var bytes: [UInt8] = [instruction.programIDIndex, UInt8(instruction.accounts.count)] + instruction.accounts
            bytes += [UInt8(instruction.data.count)] + instruction.data
            row(
                bytes,
                "instruction \(i): program key \(instruction.programIDIndex), accounts \(instruction.accounts), "
                    + "data `\(Hex.encode(instruction.data))`: \(what)")
        }
        row([UInt8(message.addressTableLookups.count)], "compact-u16: no address table lookups")
        lines.append("")
        lines.append(
            "message hash (BLAKE3 of \"solana-tx-message-v1\" and the \(tx.messageBytes.count) message bytes): "
                + "`\(tx.messageHash.base58)`")
        return lines.joined(separator: "\n")
    }

    static func page() throws -> String {
        try String(contentsOf: VectorFixtures.root.appendingPathComponent("Docs/solana.md"), encoding: .utf8)
    }

    @Test("the worked example is Kura's reading of the solders transaction")
    func workedExampleIsTrue() throws {
        let vector = try #require(SolanaVectors.shared.transactions.first { $0.name == Self.exampleName })
        let page = try Self.page()
        let example = try Self.workedExample()
        #expect(page.contains(example), "Docs/solana.md should contain:\n\(example)")
        #expect(page.contains(vector.transaction))
        // The byte counts of the table add up to the transaction.
        let total = example.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("| "), let field = line.split(separator: "|").first else { return nil }
            return Int(field.trimmingCharacters(in: .whitespaces))
        }.reduce(0, +)
        #expect(total == (Base64.decode(vector.transaction)?.count ?? 0))
    }

    @Test("every reason code on the page is one Kura uses, and every one Kura uses is on the page")
    func reasonCodes() throws {
        let page = try Self.page()
        for reason in SolanaDocsTests.reasons { #expect(page.contains("`\(reason)`"), "\(reason)") }
    }

    static let reasons = [
        "unsupported_scheme", "invalid_network", "network_mismatch", "invalid_exact_svm_payload_missing_fee_payer",
        "fee_payer_not_managed_by_facilitator", "invalid_exact_svm_payload_transaction_could_not_be_decoded",
        "invalid_exact_svm_payload_transaction_instructions_length",
        "invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction",
        "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction",
        "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high",
        "invalid_exact_svm_payload_no_transfer_instruction", "invalid_exact_svm_payload_unknown_fourth_instruction",
        "invalid_exact_svm_payload_unknown_fifth_instruction", "invalid_exact_svm_payload_unknown_sixth_instruction",
        "invalid_exact_svm_payload_memo_count", "invalid_exact_svm_payload_memo_mismatch",
        "invalid_exact_svm_payload_lookup_table_account",
        "invalid_exact_svm_payload_transaction_fee_payer_transferring_funds", "invalid_exact_svm_payload_mint_mismatch",
        "invalid_exact_svm_payload_recipient_mismatch", "invalid_exact_svm_payload_amount_insufficient",
        "invalid_exact_svm_payload_signature", "transaction_simulation_failed", "transaction_failed",
        "duplicate_settlement", "unexpected_settle_error", "unexpected_verify_error",
    ]
}

/// Prints the worked example (run with KURA_PRINT_DOCS=1 to refresh the page by hand).
@Test("print the worked example", .enabled(if: ProcessInfo.processInfo.environment["KURA_PRINT_DOCS"] == "1"))
func printWorkedExample() throws {
    print("=====BEGIN=====\n" + (try SolanaDocsTests.workedExample()) + "\n=====END=====")
}

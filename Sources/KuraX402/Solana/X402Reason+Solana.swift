/// The reason codes of the `exact` scheme on Solana, spelled as the official SDKs spell them
/// (coinbase/x402 `python/x402/mechanisms/svm/constants.py` and the TypeScript facilitator, which agree).
/// Two are Kura's, named by the same pattern: ``svmSignature`` (the SDKs leave a bad signature to the
/// simulation) and ``svmAccountsFromLookupTable``.
extension X402Reason {
    /// `accepted.network` is not the requirement's network.
    public static let svmNetworkMismatch = X402Reason(rawValue: "network_mismatch")
    /// `extra.feePayer` is absent or not a string.
    public static let svmMissingFeePayer = X402Reason(rawValue: "invalid_exact_svm_payload_missing_fee_payer")
    /// `extra.feePayer`, or the transaction's fee payer, is not a key this facilitator holds.
    public static let svmFeePayerNotManaged = X402Reason(rawValue: "fee_payer_not_managed_by_facilitator")
    /// `payload.transaction` is not a transaction.
    public static let svmUndecodable = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_could_not_be_decoded")
    /// Fewer than 3 or more than 6 instructions.
    public static let svmInstructionsLength = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_instructions_length")
    /// The first instruction is not `SetComputeUnitLimit`.
    public static let svmComputeLimit = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction")
    /// The second instruction is not `SetComputeUnitPrice`.
    public static let svmComputePrice = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction")
    /// The compute unit price is above the cap.
    public static let svmComputePriceTooHigh = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high")
    /// The third instruction is not a `TransferChecked` of Token or Token-2022.
    public static let svmNoTransfer = X402Reason(rawValue: "invalid_exact_svm_payload_no_transfer_instruction")
    /// An optional instruction (4th, 5th, 6th) is neither Memo nor Lighthouse.
    public static let svmUnknownFourth = X402Reason(rawValue: "invalid_exact_svm_payload_unknown_fourth_instruction")
    public static let svmUnknownFifth = X402Reason(rawValue: "invalid_exact_svm_payload_unknown_fifth_instruction")
    public static let svmUnknownSixth = X402Reason(rawValue: "invalid_exact_svm_payload_unknown_sixth_instruction")
    /// `extra.memo` is set and the transaction has not exactly one Memo instruction.
    public static let svmMemoCount = X402Reason(rawValue: "invalid_exact_svm_payload_memo_count")
    /// `extra.memo` is set and the Memo says something else.
    public static let svmMemoMismatch = X402Reason(rawValue: "invalid_exact_svm_payload_memo_mismatch")
    /// The fee payer is the transfer's authority or source, or appears in an instruction's accounts.
    public static let svmFeePayerTransferring = X402Reason(
        rawValue: "invalid_exact_svm_payload_transaction_fee_payer_transferring_funds")
    /// The mint is not `asset`.
    public static let svmMintMismatch = X402Reason(rawValue: "invalid_exact_svm_payload_mint_mismatch")
    /// The destination is not the associated token account of `payTo`.
    public static let svmRecipientMismatch = X402Reason(rawValue: "invalid_exact_svm_payload_recipient_mismatch")
    /// The amount is less than required.
    public static let svmAmountInsufficient = X402Reason(rawValue: "invalid_exact_svm_payload_amount_insufficient")
    /// Kura's: a required signer other than the fee payer has not signed, or not validly.
    public static let svmSignature = X402Reason(rawValue: "invalid_exact_svm_payload_signature")
    /// Kura's: an account the checks must name (the transfer's) is loaded from an address lookup table.
    public static let svmAccountsFromLookupTable = X402Reason(
        rawValue: "invalid_exact_svm_payload_lookup_table_account")
    /// The cluster's simulation of the co-signed transaction failed.
    public static let svmSimulationFailed = X402Reason(rawValue: "transaction_simulation_failed")
    /// Sending or confirming the transaction failed.
    public static let svmTransactionFailed = X402Reason(rawValue: "transaction_failed")
    /// The transaction is being settled by another request.
    public static let duplicateSettlement = X402Reason(rawValue: "duplicate_settlement")
}

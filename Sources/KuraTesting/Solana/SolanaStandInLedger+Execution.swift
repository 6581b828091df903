import KuraCrypto
import KuraSolana

/// A refusal the stand-in answers as a JSON-RPC error.
public struct StandInRPCError: Error, Sendable {
    public let code: Int
    public let message: String
    public let data: JSONValue?
}

extension SolanaStandInLedger {
    /// The outcome of running a transaction against a copy of the state.
    struct Run {
        var error: JSONValue?
        var logs: [String]
        var after: State
        var pre: [JSONValue]
        var post: [JSONValue]
        var fee: UInt64
    }

    /// `simulateTransaction` with signature verification: the error the transaction would end in, and logs.
    public func simulate(_ transaction: SolanaTransaction) throws(StandInRPCError) -> (
        error: JSONValue?, logs: [String]
    ) {
        try state.withLock { state throws(StandInRPCError) in
            state.simulateCalls += 1
            try Self.verifySignatures(transaction)
            if state.failSimulations > 0 {
                state.failSimulations -= 1
                return (state.simulationError, ["Program log: injected simulation failure"])
            }
            let run = Self.run(transaction, on: state)
            return (run.error, run.logs)
        }
    }

    /// `sendTransaction` with preflight: verify, simulate, and land (unless sends are being dropped).
    public func send(_ transaction: SolanaTransaction) throws(StandInRPCError) -> SolanaSignature {
        try state.withLock { state throws(StandInRPCError) in
            state.sendCalls += 1
            state.slot += 1
            try Self.verifySignatures(transaction)
            let signature = transaction.id
            let preflight: JSONValue?
            var logs: [String]
            if state.failSimulations > 0 {
                state.failSimulations -= 1
                (preflight, logs) = (state.simulationError, ["Program log: injected simulation failure"])
            } else if state.landed[signature] != nil || state.landedMessages.contains(transaction.messageHash) {
                (preflight, logs) = ("AlreadyProcessed", [])
            } else {
                let run = Self.run(transaction, on: state)
                (preflight, logs) = (run.error, run.logs)
            }
            if let preflight {
                throw StandInRPCError(
                    code: -32002, message: "Transaction simulation failed: \(Self.describe(preflight))",
                    data: ["err": preflight, "logs": .array(logs.map(JSONValue.string)), "accounts": nil])
            }
            if state.dropSends > 0 {
                state.dropSends -= 1
                return signature
            }
            let run = Self.run(transaction, on: state)
            state = run.after
            state.landed[signature] = Landed(
                slot: state.slot, transaction: transaction, error: run.error, fee: run.fee, logs: run.logs,
                preTokenBalances: run.pre, postTokenBalances: run.post)
            state.landedMessages.insert(transaction.messageHash)
            state.executions[signature, default: 0] += 1
            return signature
        }
    }

    /// `getSignatureStatuses`: advances one slot, then answers each signature's status (null when unknown
    /// or while confirmations are lost).
    public func statuses(_ signatures: [SolanaSignature]) -> [JSONValue] {
        state.withLock { state in
            state.slot += 1
            return signatures.map { signature in
                guard !state.confirmationsLost, let landed = state.landed[signature] else { return .null }
                let level = Self.level(of: landed, at: state.slot, lag: finalityLag)
                let status: JSONValue = landed.error.map { ["Err": $0] } ?? ["Ok": nil]
                return [
                    "slot": .number(Double(landed.slot)),
                    "confirmations": level == .finalized ? nil : .number(Double(state.slot - landed.slot)),
                    "err": landed.error ?? nil, "status": status, "confirmationStatus": .string(level.rawValue),
                ]
            }
        }
    }

    /// `getTransaction` at `commitment`: null when unknown, not yet at that commitment, or confirmations lost.
    public func fetchTransaction(_ signature: SolanaSignature, commitment: SolanaCommitment) -> JSONValue {
        state.withLock { state in
            guard !state.confirmationsLost, let landed = state.landed[signature],
                Self.level(of: landed, at: state.slot, lag: finalityLag) >= commitment
            else { return .null }
            let status: JSONValue = landed.error.map { ["Err": $0] } ?? ["Ok": nil]
            return [
                "slot": .number(Double(landed.slot)), "blockTime": .number(Double(1_795_564_800 + landed.slot / 2)),
                "version": landed.transaction.message.version == .v0 ? 0 : "legacy",
                "transaction": [.string(landed.transaction.base64), "base64"],
                "meta": [
                    "err": landed.error ?? nil, "status": status, "fee": .number(Double(landed.fee)),
                    "preBalances": [], "postBalances": [], "innerInstructions": [],
                    "logMessages": .array(landed.logs.map(JSONValue.string)),
                    "preTokenBalances": .array(landed.preTokenBalances),
                    "postTokenBalances": .array(landed.postTokenBalances),
                    "loadedAddresses": ["writable": [], "readonly": []], "computeUnitsConsumed": 450,
                ],
            ]
        }
    }

    /// `getAccountInfo` (base64): a mint (82 bytes), a token account (165 bytes), a system account, or null.
    public func accountInfo(_ address: SolanaPublicKey) -> JSONValue {
        state.withLock { state in
            func info(_ owner: SolanaPublicKey, _ data: [UInt8], lamports: UInt64) -> JSONValue {
                [
                    "data": [.string(Base64.encode(data)), "base64"], "executable": false,
                    "lamports": .number(Double(lamports)), "owner": .string(owner.base58),
                    "rentEpoch": 0, "space": .number(Double(data.count)),
                ]
            }
            if let mint = state.mints[address] {
                var data = [UInt8](repeating: 0, count: 82)
                data.replaceSubrange(36..<44, with: LittleEndianBytes.uint64(mint.supply))
                data[44] = mint.decimals
                data[45] = 1
                return info(mint.program, data, lamports: 1_461_600)
            }
            if let account = state.tokenAccounts[address] {
                var data = [UInt8](repeating: 0, count: 165)
                data.replaceSubrange(0..<32, with: account.mint.bytes)
                data.replaceSubrange(32..<64, with: account.owner.bytes)
                data.replaceSubrange(64..<72, with: LittleEndianBytes.uint64(account.amount))
                data[108] = 1
                return info(account.program, data, lamports: 2_039_280)
            }
            if let lamports = state.lamports[address] { return info(SolanaPrograms.system, [], lamports: lamports) }
            return .null
        }
    }

    /// Whether `blockhash` is still valid.
    public func isValid(_ blockhash: SolanaHash) -> Bool { state.withLock { $0.blockhashes[blockhash] != nil } }

    /// The current slot, advancing it.
    func tick() -> UInt64 {
        state.withLock { state in
            state.slot += 1
            return state.slot
        }
    }

    // MARK: Execution

    static func level(of landed: Landed, at slot: UInt64, lag: UInt64) -> SolanaCommitment {
        let age = slot - landed.slot
        return age >= lag ? .finalized : age >= 1 ? .confirmed : .processed
    }

    static func verifySignatures(_ transaction: SolanaTransaction) throws(StandInRPCError) {
        guard transaction.checkSignatures().allSatisfy({ $0 == .valid }) else {
            throw StandInRPCError(code: -32003, message: "Transaction signature verification failure", data: nil)
        }
    }

    static func describe(_ error: JSONValue) -> String { (try? error.canonicalString()) ?? "error" }

    /// Runs `transaction` on a copy of `state`: the copy after it (fees charged even when an instruction
    /// fails, as on the cluster), its error, logs and token balances.
    static func run(_ transaction: SolanaTransaction, on state: State) -> Run {
        let message = transaction.message
        var next = state
        let fee = feePerSignature * UInt64(message.header.numRequiredSignatures)
        guard state.blockhashes[message.recentBlockhash] != nil else {
            return Run(error: "BlockhashNotFound", logs: [], after: state, pre: [], post: [], fee: 0)
        }
        guard message.addressTableLookups.isEmpty else {
            return Run(error: "AddressLookupTableNotFound", logs: [], after: state, pre: [], post: [], fee: 0)
        }
        guard let paid = state.lamports[message.feePayer], paid >= fee else {
            return Run(error: "InsufficientFundsForFee", logs: [], after: state, pre: [], post: [], fee: 0)
        }
        next.lamports[message.feePayer] = paid - fee
        let pre = tokenBalances(message, next)
        var work = next
        var logs: [String] = []
        for (i, instruction) in message.instructions.enumerated() {
            let program = message.program(of: instruction)
            logs.append("Program \(program) invoke [1]")
            if let failure = execute(instruction, i, in: message, &work) {
                logs.append("Program \(program) failed")
                // All or nothing: only the fee stays charged.
                return Run(
                    error: ["InstructionError": [.number(Double(i)), failure]], logs: logs, after: next, pre: pre,
                    post: pre, fee: fee)
            }
            logs.append("Program \(program) success")
        }
        return Run(error: nil, logs: logs, after: work, pre: pre, post: tokenBalances(message, work), fee: fee)
    }

    static func execute(
        _ instruction: CompiledInstruction, _ index: Int, in message: SolanaMessage, _ state: inout State
    ) -> JSONValue? {
        let decoded: DecodedInstruction
        do { decoded = try DecodedInstruction.decode(instruction, in: message) } catch {
            return "InvalidInstructionData"
        }
        switch decoded {
        case .setComputeUnitLimit, .setComputeUnitPrice:
            return nil
        case .memo(_, let signers):
            for signer in signers {
                guard let key = signer.staticKey, let at = message.accountKeys.firstIndex(of: key), message.isSigner(at)
                else { return "MissingRequiredSignature" }
            }
            return nil
        case .transferChecked(let transfer):
            return executeTransfer(transfer, instruction, in: message, &state)
        case .unknown(let program, _):
            if program == SolanaPrograms.lighthouse { return Optional<JSONValue>.none }
            return "UnsupportedProgramId"
        }
    }

    // SPL Token error numbers (spl-token `TokenError`).
    static let insufficientFunds: JSONValue = ["Custom": 1]
    static let mintMismatch: JSONValue = ["Custom": 3]
    static let ownerMismatch: JSONValue = ["Custom": 4]
    static let mintDecimalsMismatch: JSONValue = ["Custom": 18]

    static func executeTransfer(
        _ transfer: TransferChecked, _ instruction: CompiledInstruction, in message: SolanaMessage, _ state: inout State
    ) -> JSONValue? {
        guard let source = transfer.source.staticKey, let mint = transfer.mint.staticKey,
            let destination = transfer.destination.staticKey, let authority = transfer.authority.staticKey
        else { return "InvalidAccountData" }
        guard let from = state.tokenAccounts[source], let to = state.tokenAccounts[destination],
            let mintState = state.mints[mint]
        else { return "InvalidAccountData" }
        guard from.program == transfer.program, to.program == transfer.program, mintState.program == transfer.program
        else { return "IncorrectProgramId" }
        guard from.mint == mint, to.mint == mint else { return mintMismatch }
        guard from.owner == authority else { return ownerMismatch }
        guard let at = message.accountKeys.firstIndex(of: authority), message.isSigner(at) else {
            return "MissingRequiredSignature"
        }
        let sourceIndex = Int(instruction.accounts[0])
        let destinationIndex = Int(instruction.accounts[2])
        guard message.isWritable(sourceIndex), message.isWritable(destinationIndex) else {
            return "ReadonlyDataModified"
        }
        guard transfer.decimals == mintState.decimals else { return mintDecimalsMismatch }
        guard transfer.amount <= from.amount else { return insufficientFunds }
        state.tokenAccounts[source]!.amount -= transfer.amount
        state.tokenAccounts[destination]!.amount += transfer.amount
        return nil
    }

    /// `meta.pre/postTokenBalances`: the token accounts among the message's static keys.
    static func tokenBalances(_ message: SolanaMessage, _ state: State) -> [JSONValue] {
        message.accountKeys.enumerated().compactMap { index, key in
            guard let account = state.tokenAccounts[key] else { return nil }
            let decimals = state.mints[account.mint]?.decimals ?? 0
            return [
                "accountIndex": .number(Double(index)), "mint": .string(account.mint.base58),
                "owner": .string(account.owner.base58), "programId": .string(account.program.base58),
                "uiTokenAmount": [
                    "amount": .string(String(account.amount)), "decimals": .number(Double(decimals)),
                    "uiAmountString": .string(uiAmount(account.amount, decimals)),
                ],
            ]
        }
    }

    static func uiAmount(_ amount: UInt64, _ decimals: UInt8) -> String {
        let text = String(amount)
        guard decimals > 0 else { return text }
        let padded = String(repeating: "0", count: max(0, Int(decimals) + 1 - text.count)) + text
        var whole = String(padded.dropLast(Int(decimals)))
        var fraction = String(padded.suffix(Int(decimals)))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if whole.isEmpty { whole = "0" }
        return fraction.isEmpty ? whole : whole + "." + fraction
    }
}

enum LittleEndianBytes {
    static func uint64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

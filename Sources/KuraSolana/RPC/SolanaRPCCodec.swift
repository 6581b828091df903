import KuraCrypto

/// The JSON of the Solana JSON-RPC methods Kura uses: requests as bytes, results as typed values. Pure, so
/// any transport (AsyncHTTPClient in KuraSolanaRPC) can carry it; every malformed answer is a
/// ``SolanaRPCError`` of kind `malformedResponse`, never a crash.
public enum SolanaRPCCodec {
    /// A JSON-RPC 2.0 request.
    public static func request(id: Int, method: String, params: [JSONValue]) -> [UInt8] {
        let body: JSONValue = [
            "jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": .array(params),
        ]
        return (try? body.canonicalBytes()) ?? []
    }

    /// The `result` of an answer to request `id`, or its error as a ``SolanaRPCError``.
    public static func result(_ bytes: [UInt8], id: Int) throws(SolanaRPCError) -> JSONValue {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw SolanaRPCError(.malformedResponse, "the answer is not JSON: \(error.reason)")
        }
        guard value["jsonrpc"]?.stringValue == "2.0" else {
            throw SolanaRPCError(.malformedResponse, "the answer is not JSON-RPC 2.0")
        }
        if let error = value["error"], error != .null {
            guard let code = error["code"]?.int64Value else {
                throw SolanaRPCError(.malformedResponse, "a JSON-RPC error without a code")
            }
            let message = error["message"]?.stringValue ?? "no message"
            throw SolanaRPCError(.rpc, String(message.prefix(300)), rpcCode: Int(code), data: error["data"])
        }
        guard value["id"]?.int64Value == Int64(id) else {
            throw SolanaRPCError(.malformedResponse, "the answer is for another request")
        }
        guard let result = value["result"] else { throw SolanaRPCError(.malformedResponse, "the answer has no result") }
        return result
    }

    static func config(_ members: [String: JSONValue]) -> JSONValue { .object(members) }

    /// A member's value, nil when it is JSON null. (`nil` written as a JSONValue is `.null`, so this is spelled
    /// out.)
    static func nonNull(_ value: JSONValue) -> JSONValue? {
        if case .null = value { return Optional<JSONValue>.none }
        return value
    }

    // MARK: Requests

    public static func latestBlockhashParams(_ commitment: SolanaCommitment) -> [JSONValue] {
        [config(["commitment": .string(commitment.rawValue)])]
    }

    public static func isBlockhashValidParams(_ blockhash: SolanaHash, _ commitment: SolanaCommitment) -> [JSONValue] {
        [.string(blockhash.base58), config(["commitment": .string(commitment.rawValue)])]
    }

    public static func simulateParams(_ transaction: SolanaTransaction, _ commitment: SolanaCommitment) -> [JSONValue] {
        [
            .string(transaction.base64),
            config([
                "encoding": "base64", "sigVerify": true, "replaceRecentBlockhash": false,
                "commitment": .string(commitment.rawValue),
            ]),
        ]
    }

    public static func sendParams(_ transaction: SolanaTransaction, _ preflight: SolanaCommitment) -> [JSONValue] {
        [
            .string(transaction.base64),
            config([
                "encoding": "base64", "skipPreflight": false, "preflightCommitment": .string(preflight.rawValue),
                // Kura decides about sending again (by the signature's status); the node must not on its own.
                "maxRetries": 0,
            ]),
        ]
    }

    public static func signatureStatusesParams(_ signatures: [SolanaSignature]) -> [JSONValue] {
        [.array(signatures.map { .string($0.base58) }), config(["searchTransactionHistory": true])]
    }

    public static func transactionParams(_ signature: SolanaSignature, _ commitment: SolanaCommitment) -> [JSONValue] {
        [
            .string(signature.base58),
            config([
                "encoding": "base64", "commitment": .string(commitment.rawValue), "maxSupportedTransactionVersion": 0,
            ]),
        ]
    }

    public static func accountInfoParams(_ account: SolanaPublicKey, _ commitment: SolanaCommitment) -> [JSONValue] {
        [.string(account.base58), config(["encoding": "base64", "commitment": .string(commitment.rawValue)])]
    }

    // MARK: Results

    static func bad(_ what: String) -> SolanaRPCError { SolanaRPCError(.malformedResponse, what) }

    static func value(_ result: JSONValue) throws(SolanaRPCError) -> JSONValue {
        guard let value = result["value"] else { throw bad("the result has no value") }
        return value
    }

    static func uint(_ value: JSONValue?, _ what: String) throws(SolanaRPCError) -> UInt64 {
        guard let number = value?.int64Value, number >= 0 else { throw bad("\(what) is not a non-negative integer") }
        return UInt64(number)
    }

    public static func latestBlockhash(_ result: JSONValue) throws(SolanaRPCError) -> LatestBlockhash {
        let value = try value(result)
        guard let text = value["blockhash"]?.stringValue, let hash = try? SolanaHash(base58: text) else {
            throw bad("the blockhash is not base58 of 32 bytes")
        }
        return LatestBlockhash(
            blockhash: hash, lastValidBlockHeight: try uint(value["lastValidBlockHeight"], "lastValidBlockHeight"))
    }

    public static func isBlockhashValid(_ result: JSONValue) throws(SolanaRPCError) -> Bool {
        guard let valid = try value(result).boolValue else { throw bad("isBlockhashValid's value is not a boolean") }
        return valid
    }

    public static func simulation(_ result: JSONValue) throws(SolanaRPCError) -> SimulationResult {
        let value = try value(result)
        guard case .object = value else { throw bad("the simulation is not an object") }
        let error = value["err"].flatMap(nonNull)
        let logs = value["logs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let units = value["unitsConsumed"]?.int64Value.map { UInt64(max(0, $0)) }
        return SimulationResult(error: error, logs: logs, unitsConsumed: units)
    }

    public static func sentSignature(_ result: JSONValue) throws(SolanaRPCError) -> SolanaSignature {
        guard let text = result.stringValue, let signature = try? SolanaSignature(base58: text) else {
            throw bad("sendTransaction did not answer a signature")
        }
        return signature
    }

    public static func signatureStatuses(_ result: JSONValue, count: Int) throws(SolanaRPCError) -> [SignatureStatus?] {
        guard let list = try value(result).arrayValue, list.count == count else {
            throw bad("getSignatureStatuses did not answer one status per signature")
        }
        var out: [SignatureStatus?] = []
        for entry in list {
            if entry == .null {
                out.append(nil)
                continue
            }
            let level: SolanaCommitment?
            switch entry["confirmationStatus"] {
            case nil, .null?: level = nil
            case .string(let text)?:
                guard let known = SolanaCommitment(rawValue: text) else { throw bad("unknown confirmationStatus") }
                level = known
            default: throw bad("confirmationStatus is not a string")
            }
            let error = entry["err"].flatMap(nonNull)
            out.append(SignatureStatus(slot: try uint(entry["slot"], "slot"), error: error, confirmationStatus: level))
        }
        return out
    }

    public static func transaction(_ result: JSONValue) throws(SolanaRPCError) -> FetchedTransaction? {
        if result == .null { return nil }
        guard let encoded = result["transaction"]?.arrayValue, encoded.count == 2,
            encoded[1].stringValue == "base64", let text = encoded[0].stringValue
        else { throw bad("the transaction is not [base64, \"base64\"]") }
        let transaction: SolanaTransaction
        do { transaction = try SolanaTransaction(base64: text) } catch {
            throw bad("the transaction does not decode: \(error.detail)")
        }
        guard let meta = result["meta"], case .object = meta else { throw bad("the transaction has no meta") }
        return FetchedTransaction(
            slot: try uint(result["slot"], "slot"), blockTime: result["blockTime"]?.int64Value,
            transaction: transaction, error: meta["err"].flatMap(nonNull),
            preTokenBalances: try balances(meta["preTokenBalances"]),
            postTokenBalances: try balances(meta["postTokenBalances"]))
    }

    static func balances(_ value: JSONValue?) throws(SolanaRPCError) -> [TokenBalance] {
        guard let list = value?.arrayValue else { return [] }
        var out: [TokenBalance] = []
        for entry in list {
            guard let index = entry["accountIndex"]?.int64Value,
                let mint = entry["mint"]?.stringValue.flatMap({ try? SolanaPublicKey(base58: $0) }),
                let amount = entry["uiTokenAmount"]?["amount"]?.stringValue.flatMap({ UInt64($0) }),
                let decimals = entry["uiTokenAmount"]?["decimals"]?.int64Value, (0...255).contains(decimals)
            else { throw bad("a token balance is malformed") }
            out.append(
                TokenBalance(
                    accountIndex: Int(index), mint: mint,
                    owner: entry["owner"]?.stringValue.flatMap { try? SolanaPublicKey(base58: $0) },
                    programId: entry["programId"]?.stringValue.flatMap { try? SolanaPublicKey(base58: $0) },
                    amount: amount, decimals: UInt8(decimals)))
        }
        return out
    }

    public static func accountInfo(_ result: JSONValue) throws(SolanaRPCError) -> AccountInfo? {
        let value = try value(result)
        if value == .null { return nil }
        guard let data = value["data"]?.arrayValue, data.count == 2, data[1].stringValue == "base64",
            let raw = data[0].stringValue.flatMap({ Base64.decode($0) })
        else { throw bad("the account data is not [base64, \"base64\"]") }
        guard let owner = value["owner"]?.stringValue.flatMap({ try? SolanaPublicKey(base58: $0) }) else {
            throw bad("the account owner is not an address")
        }
        return AccountInfo(
            lamports: try uint(value["lamports"], "lamports"), owner: owner, data: raw,
            executable: value["executable"]?.boolValue ?? false)
    }
}

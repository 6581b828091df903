import Foundation
import Hummingbird
import KuraCrypto
import KuraSolana
import Logging
import NIOCore

/// A stand-in for a Solana JSON-RPC endpoint, on loopback, over a ``SolanaStandInLedger``: the methods Kura
/// and the official x402 SDK call (`getLatestBlockhash`, `isBlockhashValid`, `simulateTransaction`,
/// `sendTransaction`, `getSignatureStatuses`, `getTransaction`, `getAccountInfo`, `getBalance`, `getSlot`,
/// `getBlockHeight`, `getHealth`, `getVersion`, `getGenesisHash`), answering in the cluster's JSON.
///
/// Tests drive the ledger directly; scripts drive it through `standIn_*` methods (`standIn_createMint`,
/// `standIn_mint`, `standIn_fund`, `standIn_expireBlockhashes`, `standIn_failSimulations`,
/// `standIn_dropSends`, `standIn_loseConfirmations`, `standIn_stats`).
public final class SolanaStandIn: Sendable {
    /// The cluster state.
    public let ledger: SolanaStandInLedger
    /// The bound port.
    public let port: Int
    private let task: Task<Void, any Error>

    /// The endpoint URL.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a stand-in on a free loopback port (or `port`).
    public static func start(
        ledger: SolanaStandInLedger = SolanaStandInLedger(), port: Int = 0, logger: Logger? = nil
    ) async throws -> SolanaStandIn {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.post("/") { request, _ -> Response in
            let fault = ledger.takeHTTPFault()
            if fault.fail { return Response(status: .serviceUnavailable) }
            if let delay = fault.delay { try await Task.sleep(for: delay) }
            let body = try await request.body.collect(upTo: 1 << 20)
            let answer = Self.handle(Array(body.readableBytesView), ledger: ledger)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
        }
        var log = logger ?? Logger(label: "kura.solana-stand-in")
        // Stopping cancels the server task, which Hummingbird reports at error level: not news in a test.
        if logger == nil { log.logLevel = .critical }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: log)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var bound = 0
        for await value in stream {
            bound = value
            break
        }
        return SolanaStandIn(ledger: ledger, port: bound, task: task)
    }

    private init(ledger: SolanaStandInLedger, port: Int, task: Task<Void, any Error>) {
        self.ledger = ledger
        self.port = port
        self.task = task
    }

    /// Stops listening.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    // MARK: JSON-RPC

    static func handle(_ bytes: [UInt8], ledger: SolanaStandInLedger) -> [UInt8] {
        let request: JSONValue
        do { request = try JSONValue.parse(bytes) } catch {
            return answer(id: nil, error: StandInRPCError(code: -32700, message: "Parse error", data: nil))
        }
        let id = request["id"]
        guard request["jsonrpc"]?.stringValue == "2.0", let method = request["method"]?.stringValue else {
            return answer(id: id, error: StandInRPCError(code: -32600, message: "Invalid request", data: nil))
        }
        let params = request["params"]?.arrayValue ?? []
        do { return answer(id: id, result: try dispatch(method, params, ledger)) } catch {
            return answer(id: id, error: error)
        }
    }

    static func answer(id: JSONValue?, result: JSONValue) -> [UInt8] {
        let body: JSONValue = ["jsonrpc": "2.0", "result": result, "id": id ?? nil]
        return (try? body.canonicalBytes()) ?? []
    }

    static func answer(id: JSONValue?, error: StandInRPCError) -> [UInt8] {
        var members: [String: JSONValue] = ["code": .number(Double(error.code)), "message": .string(error.message)]
        if let data = error.data { members["data"] = data }
        let body: JSONValue = ["jsonrpc": "2.0", "error": .object(members), "id": id ?? nil]
        return (try? body.canonicalBytes()) ?? []
    }

    static func invalid(_ message: String) -> StandInRPCError {
        StandInRPCError(code: -32602, message: "Invalid params: \(message)", data: nil)
    }

    static func context(_ ledger: SolanaStandInLedger, _ value: JSONValue) -> JSONValue {
        ["context": ["apiVersion": "2.2.0", "slot": .number(Double(ledger.tick()))], "value": value]
    }

    static func key(_ value: JSONValue?) throws(StandInRPCError) -> SolanaPublicKey {
        guard let text = value?.stringValue, let key = try? SolanaPublicKey(base58: text) else {
            throw invalid("not an address")
        }
        return key
    }

    static func transaction(_ params: [JSONValue]) throws(StandInRPCError) -> SolanaTransaction {
        guard let text = params.first?.stringValue else { throw invalid("no transaction") }
        let encoding = params.dropFirst().first?["encoding"]?.stringValue ?? "base58"
        let bytes: [UInt8]?
        switch encoding {
        case "base64": bytes = Base64.decode(text)
        case "base58": bytes = Base58.decode(text)
        default: bytes = nil
        }
        guard let bytes else { throw invalid("the transaction is not \(encoding)") }
        do { return try SolanaTransaction(bytes: bytes) } catch {
            throw invalid("failed to deserialize the transaction: \(error.detail)")
        }
    }

    static func commitment(_ params: [JSONValue], at index: Int) -> SolanaCommitment {
        guard params.count > index, let text = params[index]["commitment"]?.stringValue else { return .finalized }
        return SolanaCommitment(rawValue: text) ?? .finalized
    }

    static func dispatch(_ method: String, _ params: [JSONValue], _ ledger: SolanaStandInLedger)
        throws(StandInRPCError) -> JSONValue
    {
        switch method {
        case "getLatestBlockhash":
            let (hash, lastValid) = ledger.latestBlockhash()
            return context(
                ledger, ["blockhash": .string(hash.base58), "lastValidBlockHeight": .number(Double(lastValid))])
        case "isBlockhashValid":
            guard let text = params.first?.stringValue, let hash = try? SolanaHash(base58: text) else {
                throw invalid("not a blockhash")
            }
            return context(ledger, .bool(ledger.isValid(hash)))
        case "simulateTransaction":
            let outcome = try ledger.simulate(transaction(params))
            return context(
                ledger,
                [
                    "err": outcome.error ?? nil, "logs": .array(outcome.logs.map(JSONValue.string)), "accounts": nil,
                    "unitsConsumed": 450, "returnData": nil,
                ])
        case "sendTransaction":
            return .string(try ledger.send(transaction(params)).base58)
        case "getSignatureStatuses":
            guard let list = params.first?.arrayValue else { throw invalid("no signatures") }
            var signatures: [SolanaSignature] = []
            for entry in list {
                guard let text = entry.stringValue, let signature = try? SolanaSignature(base58: text) else {
                    throw invalid("not a signature")
                }
                signatures.append(signature)
            }
            let statuses = ledger.statuses(signatures)
            return context(ledger, .array(statuses))
        case "getTransaction":
            guard let text = params.first?.stringValue, let signature = try? SolanaSignature(base58: text) else {
                throw invalid("not a signature")
            }
            return ledger.fetchTransaction(signature, commitment: commitment(params, at: 1))
        case "getAccountInfo":
            return context(ledger, ledger.accountInfo(try key(params.first)))
        case "getBalance":
            return context(ledger, .number(Double(ledger.lamports(of: try key(params.first)))))
        case "getSlot", "getBlockHeight":
            return .number(Double(ledger.tick()))
        case "getHealth":
            return "ok"
        case "getVersion":
            return ["solana-core": "2.2.0-kura-stand-in", "feature-set": 0]
        case "getGenesisHash":
            return .string(ledger.genesisHash.base58)
        default:
            return try control(method, params, ledger)
        }
    }

    static func control(_ method: String, _ params: [JSONValue], _ ledger: SolanaStandInLedger)
        throws(StandInRPCError) -> JSONValue
    {
        let options = params.first ?? [:]
        switch method {
        case "standIn_createMint":
            let program = try options["program"].map { value throws(StandInRPCError) in try key(value) }
            ledger.createMint(
                try key(options["mint"]), decimals: UInt8(clamping: options["decimals"]?.int64Value ?? 6),
                program: program ?? SolanaPrograms.token)
            return true
        case "standIn_mint":
            let account = ledger.mint(
                options["amount"]?.uint64Value ?? 0, of: try key(options["mint"]), to: try key(options["owner"]))
            return .string(account.base58)
        case "standIn_fund":
            ledger.fund(try key(options["address"]), lamports: options["lamports"]?.uint64Value ?? 0)
            return true
        case "standIn_expireBlockhashes":
            ledger.expireBlockhashes()
            return true
        case "standIn_failSimulations":
            ledger.failSimulations(Int(options["count"]?.int64Value ?? 1), error: options["err"])
            return true
        case "standIn_dropSends":
            ledger.dropSends(Int(options["count"]?.int64Value ?? 1))
            return true
        case "standIn_loseConfirmations":
            ledger.loseConfirmations(options["lost"]?.boolValue ?? true)
            return true
        case "standIn_balance":
            return .number(Double(ledger.balance(owner: try key(options["owner"]), mint: try key(options["mint"]))))
        case "standIn_stats":
            return [
                "sendCalls": .number(Double(ledger.sendCalls)), "simulateCalls": .number(Double(ledger.simulateCalls)),
                "landed": .number(Double(ledger.landedCount)), "network": .string(ledger.network.id),
            ]
        default:
            throw StandInRPCError(code: -32601, message: "Method not found", data: nil)
        }
    }
}

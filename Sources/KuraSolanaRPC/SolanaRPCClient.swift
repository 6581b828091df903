import AsyncHTTPClient
import Foundation
import KuraCrypto
import KuraSolana
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Solana JSON-RPC over HTTP (AsyncHTTPClient).
///
/// - **Timeouts**: each request has a deadline (`timeout`, default 10 s).
/// - **Retries only where safe**: reads (blockhashes, statuses, transactions, accounts, simulations) are
///   retried on a transient failure (no answer, timeout, 429, 5xx, an unhealthy node) with backoff;
///   `sendTransaction` never is: whether a send whose answer was lost landed is decided by the signature's
///   status, by the caller, not by sending again blindly.
/// - **Errors are typed** (``SolanaRPCError``): transport, timeout, HTTP status, JSON-RPC error with its code
///   and data, malformed answer.
/// - **No secret in logs**: RPC providers put API keys in the URL's path or query, so only the scheme and
///   host are logged (``redactedURL``); request bodies (signed transactions) are never logged.
public final class SolanaRPCClient: SolanaRPC {
    /// The endpoint.
    let url: String
    /// What may be logged of it.
    public let redactedURL: String
    let httpClient: HTTPClient
    let timeout: TimeAmount
    let maxAttempts: Int
    let logger: Logger
    let ids = IDCounter()

    /// A client of the endpoint `url` (e.g. `https://api.devnet.solana.com`).
    public init(
        url: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(10), maxAttempts: Int = 3,
        logger: Logger
    ) {
        self.url = url
        self.redactedURL = Self.redact(url)
        self.httpClient = httpClient
        self.timeout = timeout
        self.maxAttempts = max(1, maxAttempts)
        self.logger = logger
    }

    /// The scheme and host (and port) of `url`: no user, path, query or fragment, where providers put keys.
    public static func redact(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else {
            return "<rpc>"
        }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "") + (parts.path.isEmpty ? "" : "/…")
    }

    // MARK: Methods

    public func latestBlockhash(commitment: SolanaCommitment) async throws(SolanaRPCError) -> LatestBlockhash {
        try SolanaRPCCodec.latestBlockhash(
            await call("getLatestBlockhash", SolanaRPCCodec.latestBlockhashParams(commitment), retry: true))
    }

    public func isBlockhashValid(_ blockhash: SolanaHash, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> Bool
    {
        try SolanaRPCCodec.isBlockhashValid(
            await call("isBlockhashValid", SolanaRPCCodec.isBlockhashValidParams(blockhash, commitment), retry: true))
    }

    public func simulate(_ transaction: SolanaTransaction, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> SimulationResult
    {
        try SolanaRPCCodec.simulation(
            await call("simulateTransaction", SolanaRPCCodec.simulateParams(transaction, commitment), retry: true))
    }

    public func send(_ transaction: SolanaTransaction, preflightCommitment: SolanaCommitment)
        async throws(SolanaRPCError) -> SolanaSignature
    {
        try SolanaRPCCodec.sentSignature(
            await call("sendTransaction", SolanaRPCCodec.sendParams(transaction, preflightCommitment), retry: false))
    }

    public func signatureStatuses(_ signatures: [SolanaSignature]) async throws(SolanaRPCError) -> [SignatureStatus?] {
        try SolanaRPCCodec.signatureStatuses(
            await call("getSignatureStatuses", SolanaRPCCodec.signatureStatusesParams(signatures), retry: true),
            count: signatures.count)
    }

    public func transaction(_ signature: SolanaSignature, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> FetchedTransaction?
    {
        try SolanaRPCCodec.transaction(
            await call("getTransaction", SolanaRPCCodec.transactionParams(signature, commitment), retry: true))
    }

    public func accountInfo(_ account: SolanaPublicKey, commitment: SolanaCommitment) async throws(SolanaRPCError)
        -> AccountInfo?
    {
        try SolanaRPCCodec.accountInfo(
            await call("getAccountInfo", SolanaRPCCodec.accountInfoParams(account, commitment), retry: true))
    }

    // MARK: Transport

    /// One JSON-RPC call; reads (`retry`) are attempted up to `maxAttempts` times while the failure is transient.
    public func call(_ method: String, _ params: [JSONValue], retry: Bool) async throws(SolanaRPCError) -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            let id = ids.next()
            do {
                let bytes = try await post(SolanaRPCCodec.request(id: id, method: method, params: params))
                return try SolanaRPCCodec.result(bytes, id: id)
            } catch {
                guard retry, error.isTransient, attempt < maxAttempts else {
                    logger.debug(
                        "solana rpc call failed",
                        metadata: ["method": "\(method)", "rpc": "\(redactedURL)", "error": "\(error)"])
                    throw error
                }
                logger.debug(
                    "solana rpc call retried",
                    metadata: ["method": "\(method)", "rpc": "\(redactedURL)", "attempt": "\(attempt)"])
                // 100 ms, 200 ms, 400 ms, …: short, since settlement waits on these calls.
                try? await Task.sleep(for: .milliseconds(100 << min(attempt - 1, 5)))
            }
        }
    }

    private func post(_ body: [UInt8]) async throws(SolanaRPCError) -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: timeout)
            buffer = try await response.body.collect(upTo: 8 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw SolanaRPCError(.timeout, "no answer within \(timeout.nanoseconds / 1_000_000) ms")
        } catch {
            // The error's text may name the URL; it is not repeated here.
            throw SolanaRPCError(.transport, "no answer from the RPC endpoint (\(type(of: error)))")
        }
        guard response.status == .ok else {
            throw SolanaRPCError(
                .http, "the RPC endpoint answered \(response.status.code)", status: Int(response.status.code))
        }
        return Array(buffer.readableBytesView)
    }
}

/// Request IDs, unique per client.
final class IDCounter: Sendable {
    private let state = Mutex(0)
    func next() -> Int {
        state.withLock {
            $0 += 1; return $0
        }
    }
}

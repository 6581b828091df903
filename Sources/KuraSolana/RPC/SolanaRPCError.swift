import KuraCrypto

/// A failed JSON-RPC call, typed: the transport, the HTTP answer, or the node's JSON-RPC error.
public struct SolanaRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed.
    public enum Kind: String, Sendable, Equatable {
        /// No answer: connection refused or reset, DNS. Safe to retry a read.
        case transport
        /// No answer within the timeout. The request may or may not have been processed.
        case timeout
        /// An HTTP status other than 200 (429 and 5xx are retried for reads).
        case http
        /// A JSON-RPC error object (see ``code``).
        case rpc
        /// An answer that is not the JSON-RPC answer of the method.
        case malformedResponse = "malformed_response"
    }

    /// The JSON-RPC error codes of the Solana node that Kura acts on (agave `rpc-client-api` custom errors).
    public enum Code: Int, Sendable {
        case blockCleanedUp = -32001
        /// `sendTransaction`'s preflight simulation failed; `data` holds `err` and `logs`.
        case sendTransactionPreflightFailure = -32002
        /// A signature of the transaction does not verify.
        case transactionSignatureVerificationFailure = -32003
        case blockNotAvailable = -32004
        /// The node is behind; retry elsewhere or later.
        case nodeUnhealthy = -32005
        case transactionPrecompileVerificationFailure = -32006
        case slotSkipped = -32007
        case noSnapshot = -32008
        case longTermStorageSlotSkipped = -32009
        case keyExcludedFromSecondaryIndex = -32010
        case transactionHistoryNotAvailable = -32011
        case scanError = -32012
        case transactionSignatureLenMismatch = -32013
        case blockStatusNotAvailableYet = -32014
        case unsupportedTransactionVersion = -32015
        case minContextSlotNotReached = -32016
        case parseError = -32700
        case invalidRequest = -32600
        case methodNotFound = -32601
        case invalidParams = -32602
        case internalError = -32603
    }

    public let kind: Kind
    /// The HTTP status, for `.http`.
    public let status: Int?
    /// The JSON-RPC error code, for `.rpc`.
    public let rpcCode: Int?
    /// The JSON-RPC error's `data`, for `.rpc` (e.g. a preflight failure's `err` and `logs`).
    public let data: JSONValue?
    /// One line for people; never parse it.
    public let detail: String

    public init(_ kind: Kind, _ detail: String, status: Int? = nil, rpcCode: Int? = nil, data: JSONValue? = nil) {
        self.kind = kind
        self.detail = detail
        self.status = status
        self.rpcCode = rpcCode
        self.data = data
    }

    /// The known code of an `.rpc` error.
    public var code: Code? { rpcCode.flatMap(Code.init(rawValue:)) }

    /// Whether retrying the same read may succeed: no answer, rate limited, a server error, an unhealthy
    /// node, or data the node does not have yet.
    public var isTransient: Bool {
        switch kind {
        case .transport, .timeout: return true
        case .http: return status == 429 || (status ?? 0) >= 500
        case .rpc:
            return [.nodeUnhealthy, .blockStatusNotAvailableYet, .minContextSlotNotReached, .internalError]
                .contains(code)
        case .malformedResponse: return false
        }
    }

    public var description: String {
        switch kind {
        case .rpc: "rpc error \(rpcCode ?? 0): \(detail)"
        case .http: "http \(status ?? 0): \(detail)"
        default: "\(kind.rawValue): \(detail)"
        }
    }
}

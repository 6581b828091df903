import KuraCrypto

extension KuraAPI {
    /// The problem codes of a read of the log: a bad path or query, a receipt or size not there, and no
    /// checkpoint issued yet that holds what is asked for (503 `checkpoint_pending`).
    static let logReadProblems: [KuraError.Code] = [.invalidRequest, .notFound, .internalError, .checkpointPending]

    /// `GET /v1/receipts?party=&kind=&cursor=&limit=`: receipts in log order (oldest first), `{items,
    /// nextCursor}`. `party` keeps those where the party pays or is paid; `kind` one event type. Public.
    public static let listReceipts = KuraOperation<NoPath, ReceiptListQuery, EmptyRequest, Page<Receipt>>.get(
        "listReceipts", "/v1/receipts", access: .public, problems: [.invalidRequest, .internalError])

    /// `GET /v1/receipts/{index}`: the receipt's canonical JSON, exactly its leaf bytes. Public.
    public static let showReceipt = KuraOperation<ReceiptIndex, NoQuery, EmptyRequest, Receipt>.get(
        "showReceipt", "/v1/receipts/{index}", access: .public, problems: [.invalidRequest, .notFound, .internalError])

    /// `GET /v1/receipts/{index}/bundle[?size=N]`: the offline-verifiable bundle (receipt, inclusion proof, signed
    /// checkpoint), against the issued checkpoint of `size` or the newest. JSON on purpose: its verifier
    /// (`ReceiptBundle.verify`) reads the receipt's members as they came, since the leaf is their exact bytes.
    public static let receiptBundle = KuraOperation<ReceiptIndex, BundleQuery, EmptyRequest, JSONValue>.get(
        "receiptBundle", "/v1/receipts/{index}/bundle", access: .public, problems: logReadProblems)

    /// `GET /v1/log/checkpoint`: the newest issued checkpoint, as its C2SP signed note (`text/plain`).
    public static let logCheckpoint = KuraOperation<NoPath, NoQuery, EmptyRequest, PlainText>.get(
        "logCheckpoint", "/v1/log/checkpoint", access: .public,
        problems: [.invalidRequest, .internalError, .checkpointPending])

    /// `GET /v1/log/consistency?from=&to=`: the RFC 6962 consistency proof between two tree sizes.
    public static let logConsistency = KuraOperation<NoPath, ConsistencyQuery, EmptyRequest, ConsistencyProof>.get(
        "logConsistency", "/v1/log/consistency", access: .public, problems: [.invalidRequest, .internalError])

    /// `GET /v1/log/key`: the note verifier key that checks every checkpoint and bundle, with a newline
    /// (`text/plain`).
    public static let logKey = KuraOperation<NoPath, NoQuery, EmptyRequest, PlainText>.get(
        "logKey", "/v1/log/key", access: .public, problems: [.invalidRequest, .internalError])

    /// `GET /.well-known/jwks.json`: the keys that verify decision envelopes (`application/jwk-set+json`).
    public static let jwks = KuraOperation<NoPath, NoQuery, EmptyRequest, JSONWebKeySet>.get(
        "jwks", "/.well-known/jwks.json", access: .public, problems: [.invalidRequest, .internalError])

    /// The transparency log's public reads.
    static let log: [any KuraOperationDescription] = [
        listReceipts, showReceipt, receiptBundle, logCheckpoint, logConsistency, logKey, jwks,
    ]
}

/// The index of a receipt in the log (`{index}`): a number as ``DecimalNumber`` spells it.
public struct ReceiptIndex: OperationPath, Equatable {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }

    public init(pathValues: [String]) throws(KuraError) {
        guard pathValues.count == 1 else { throw KuraError(.internalError, "the route has one path parameter") }
        value = try DecimalNumber.parse(pathValues[0], what: "index")
    }

    public var pathValues: [String] { [String(value)] }
}

/// The query of `GET /v1/receipts`: `party` (payer or payee), `kind` (one receipt kind), `cursor` (the index
/// of the last receipt of the previous page) and `limit` (1 to 1000, default 100).
public struct ReceiptListQuery: OperationQuery, Equatable {
    /// The page size when `limit` is not given.
    public static let defaultLimit = 100
    /// The largest page.
    public static let maxLimit = 1000

    public var party: PartyID?
    public var kind: String?
    public var cursor: String?
    public var limit: Int

    public init(party: PartyID? = nil, kind: String? = nil, cursor: String? = nil, limit: Int = defaultLimit) {
        self.party = party
        self.kind = kind
        self.cursor = cursor
        self.limit = limit
    }

    public static var names: [String] { ["party", "kind", "cursor", "limit"] }

    public init(query: [String: String]) throws(KuraError) {
        if let text = query["party"] { party = try PartyID(validating: text) }
        if let text = query["kind"] {
            guard Self.isReceiptKind(text) else {
                throw KuraError(
                    .invalidRequest,
                    "kind must look like 'escrow.released' (lowercase letters, a dot, lowercase letters and '_'; at most 64)"
                )
            }
            kind = text
        }
        limit = Self.defaultLimit
        if let text = query["limit"] {
            let value = try? DecimalNumber.parse(text, what: "limit")
            guard let value, (1...UInt64(Self.maxLimit)).contains(value) else {
                throw KuraError(.invalidRequest, "limit must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = Int(value)
        }
        cursor = try DecimalNumber.parse("cursor", in: query).map { String($0) }
    }

    /// `limit` first, as the SDK always wrote it.
    public var queryItems: [(name: String, value: String)] {
        var items = [(name: "limit", value: String(limit))]
        if let party { items.append((name: "party", value: party.rawValue)) }
        if let kind { items.append((name: "kind", value: kind)) }
        if let cursor { items.append((name: "cursor", value: cursor)) }
        return items
    }

    /// `kind` as receipts spell it: `<lowercase letters>.<lowercase letters and _>`, at most 64 bytes.
    public static func isReceiptKind(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64, let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot < bytes.count - 1
        else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        return bytes[..<dot].allSatisfy { lower.contains($0) }
            && bytes[(dot + 1)...].allSatisfy { lower.contains($0) || $0 == UInt8(ascii: "_") }
    }
}

/// The query of a receipt's bundle: `size`, the issued checkpoint to prove against (default: the newest).
public struct BundleQuery: OperationQuery, Equatable {
    public var size: UInt64?
    public init(size: UInt64? = nil) { self.size = size }
    public static var names: [String] { ["size"] }
    public init(query: [String: String]) throws(KuraError) { size = try DecimalNumber.parse("size", in: query) }
    public var queryItems: [(name: String, value: String)] { size.map { [(name: "size", value: String($0))] } ?? [] }
}

/// The query of a consistency proof: `from` and `to`, both required.
public struct ConsistencyQuery: OperationQuery, Equatable {
    public var from: UInt64
    public var to: UInt64
    public init(from: UInt64, to: UInt64) {
        self.from = from
        self.to = to
    }
    public static var names: [String] { ["from", "to"] }
    public init(query: [String: String]) throws(KuraError) {
        from = try DecimalNumber.required("from", in: query)
        to = try DecimalNumber.required("to", in: query)
    }
    public var queryItems: [(name: String, value: String)] {
        [(name: "from", value: String(from)), (name: "to", value: String(to))]
    }
}

/// A consistency proof between two tree sizes, hashes in base64.
public struct ConsistencyProof: Sendable, Equatable, Codable {
    public var from: UInt64
    public var to: UInt64
    public var hashes: [String]

    public init(from: UInt64, to: UInt64, hashes: [String]) {
        self.from = from
        self.to = to
        self.hashes = hashes
    }
}

import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// The receipt page size when `limit` is not given.
    static let defaultReceiptPageSize = 100
    /// The largest receipt page.
    static let maxReceiptPageSize = 1000

    /// `GET /v1/receipts?party=&kind=&cursor=&limit=`: receipts in log order (oldest first), `{items,
    /// nextCursor}`. `party` keeps those where the party pays or is paid; `kind` one event type. Public.
    func listReceipts(_ read: PublicRead) async throws(KuraError) -> Response {
        var party: PartyID?
        if let text = read.query["party"] { party = try PartyID(validating: text) }
        var kind: String?
        if let text = read.query["kind"] {
            guard Self.isReceiptKind(text) else {
                throw KuraError(
                    .invalidRequest,
                    "kind must look like 'escrow.released' (lowercase letters, a dot, lowercase letters and '_'; at most 64)"
                )
            }
            kind = text
        }
        var limit = Self.defaultReceiptPageSize
        if let text = read.query["limit"] {
            let value = try? PublicRead.number(text, what: "limit")
            guard let value, (1...UInt64(Self.maxReceiptPageSize)).contains(value) else {
                throw KuraError(.invalidRequest, "limit must be an integer from 1 to \(Self.maxReceiptPageSize)")
            }
            limit = Int(value)
        }
        // The cursor is the index of the last receipt of the previous page.
        let cursor = try read.queryNumber("cursor").map { String($0) }
        return try await JSONResponse.page(service.receipts(party: party, kind: kind, cursor: cursor, limit: limit))
    }

    /// `GET /v1/receipts/{index}`: the receipt's canonical JSON, exactly its leaf bytes. Public.
    func showReceipt(_ read: PublicRead) async throws(KuraError) -> Response {
        let receipt = try await service.receipt(read.pathNumber("index"))
        return RawResponse.make(try receipt.leafBytes(), contentType: JSONResponse.mediaType)
    }

    /// `GET /v1/receipts/{index}/bundle[?size=N]`: the offline-verifiable bundle (receipt, inclusion proof,
    /// signed checkpoint). Public, so it only reads: against the issued checkpoint of `size` (404 when none of
    /// that size was issued), or by default the newest issued checkpoint, waiting briefly for the
    /// checkpointer's next one when the newest does not hold the receipt yet (then 503 `checkpoint_pending`).
    func receiptBundle(_ read: PublicRead) async throws(KuraError) -> Response {
        let index = try read.pathNumber("index")
        let size = try read.queryNumber("size")
        if let size, index >= size {
            throw KuraError(.notFound, "receipt \(index) is not in the tree of size \(size)")
        }
        _ = try await service.receipt(index)
        let checkpoint: CheckpointRecord
        if let size {
            guard let issued = try await service.issuedCheckpoint(size: size) else {
                throw KuraError(
                    .notFound,
                    "no checkpoint of size \(size) has been issued; ask without size for the newest, or for an issued size"
                )
            }
            checkpoint = issued
        } else {
            checkpoint = try await issuedCheckpoint(covering: index + 1)
        }
        let bundle = try await service.bundle(index, at: checkpoint)
        let bytes: [UInt8]
        do { bytes = try bundle.canonicalBytes() } catch {
            throw KuraError(.internalError, "cannot encode the bundle: \(error.reason)")
        }
        return RawResponse.make(bytes, contentType: JSONResponse.mediaType)
    }

    /// `kind` as receipts spell it: `<lowercase letters>.<lowercase letters and _>`, at most 64 bytes.
    static func isReceiptKind(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64, let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot < bytes.count - 1
        else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        return bytes[..<dot].allSatisfy { lower.contains($0) }
            && bytes[(dot + 1)...].allSatisfy { lower.contains($0) || $0 == UInt8(ascii: "_") }
    }
}

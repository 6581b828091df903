import Foundation
import KuraCore
import KuraCrypto

/// Reading a receipt export and folding it, streaming: memory for the scores and one chunk of the file.
public enum OfflineReputation {
    /// The fold of the receipts read, and the RFC 6962 root of their tree (base64).
    public struct Result {
        /// The scores of every party the receipts name (of `only`, when given).
        public var ledger: ReputationLedger
        /// The root of the tree of the receipts read, base64 as a checkpoint names it.
        public var rootHash: String
    }

    /// Folds the first `limit` receipts (all when nil) of the export at `path`. Lines are parsed in
    /// batches on every core; the fold, which must see receipts in order, runs on one.
    /// `progress`, if given, hears the bytes of the file read so far.
    public static func compute(
        path: String, limit: UInt64?, only: PartyID?, model: ReputationModel, progress: ((UInt64) -> Void)? = nil
    ) throws(KuraError) -> Result {
        var ledger = ReputationLedger(model: model, only: only)
        var tree = MerkleAppender()
        var lastAt: Timestamp?
        var batch: [ArraySlice<UInt8>] = []
        var firstLine = 1
        var taken: UInt64 = 0
        func flush() throws(KuraError) {
            let parsed = try parse(batch, path: path, firstLine: firstLine)
            for (offset, (receipt, leafHash)) in parsed.enumerated() {
                guard receipt.index == tree.size else {
                    throw KuraError(
                        .invalidRequest,
                        "\(path):\(firstLine + offset): receipt \(receipt.index) where \(tree.size) belongs")
                }
                // The leaf is the line's bytes as they are: an export holds canonical JSON, and a line that is
                // not canonical gives a root that no checkpoint of Kura's signs.
                tree.append(leafHash: leafHash)
                try ledger.fold(receipt)
                lastAt = receipt.at
            }
            firstLine += batch.count
            batch.removeAll(keepingCapacity: true)
        }
        try ExportReader.forEachLine(path, progress: progress) { line, _ throws(KuraError) -> Bool in
            if let limit, taken >= limit { return false }
            batch.append(line)
            taken += 1
            if batch.count == 16_384 { try flush() }
            return true
        }
        try flush()
        if let limit, tree.size < limit {
            throw KuraError(.notFound, "\(path) holds \(tree.size) receipts, not \(limit)")
        }
        if only != nil { try ledger.close(size: tree.size, lastAt: lastAt) }
        return Result(ledger: ledger, rootHash: Base64.encode(tree.root))
    }

    /// Parses lines into receipts, with each line's RFC 6962 leaf hash, on all cores; the first bad line (in
    /// file order) is the error.
    public static func parse(_ lines: [ArraySlice<UInt8>], path: String, firstLine: Int) throws(KuraError) -> [(
        Receipt, [UInt8]
    )] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        var results = [Swift.Result<(Receipt, [UInt8]), KuraError>?](repeating: nil, count: lines.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let range = lines.count * worker / workers..<lines.count * (worker + 1) / workers
                for index in range { out[index] = parseLine(lines[index], at: "\(path):\(firstLine + index)") }
            }
        }
        var receipts: [(Receipt, [UInt8])] = []
        receipts.reserveCapacity(lines.count)
        for result in results {
            switch result {
            case .success(let receipt): receipts.append(receipt)
            case .failure(let error): throw error
            case nil: throw KuraError(.internalError, "a line was not parsed")
            }
        }
        return receipts
    }

    private static func parseLine(_ line: ArraySlice<UInt8>, at place: @autoclosure () -> String)
        -> Swift.Result<(Receipt, [UInt8]), KuraError>
    {
        let json: JSONValue
        do throws(JSONError) { json = try JSONValue.parse(line) } catch {
            return .failure(KuraError(.invalidRequest, "\(place()): not JSON: \(error.reason)"))
        }
        do throws(KuraError) { return .success((try Receipt(json: json), MerkleHash.leaf(line))) } catch {
            return .failure(KuraError(.invalidRequest, "\(place()): not a receipt: \(error.detail)"))
        }
    }
}

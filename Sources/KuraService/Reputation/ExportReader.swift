import Foundation
import KuraCore

/// Lines of a file, read in chunks.
public enum ExportReader {
    /// Calls `body` with each non-empty line (without its newline) and its 1-based number, until it returns false.
    /// `progress` hears the bytes read so far after each chunk.
    public static func forEachLine(
        _ path: String, progress: ((UInt64) -> Void)? = nil, _ body: (ArraySlice<UInt8>, Int) throws(KuraError) -> Bool
    ) throws(KuraError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw KuraError(.notFound, "cannot read \(path)") }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var number = 0
        var read: UInt64 = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 22) ?? Data() } catch {
                throw KuraError(.storageFailure, "cannot read \(path): \(error)")
            }
            pending += chunk
            read += UInt64(chunk.count)
            progress?(read)
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                number += 1
                let line = pending[start..<newline]
                start = newline + 1
                if !line.isEmpty, !(try body(line, number)) { return }
            }
            pending.removeSubrange(..<start)
            if chunk.isEmpty {
                if !pending.isEmpty { _ = try body(pending[...], number + 1) }
                return
            }
        }
    }
}

import Foundation
import KuraCore
import KuraCrypto

/// The JSON columns of the read models: canonical JSON (RFC 8785) of the typed value, so that the same
/// value is always the same bytes on both backends and the projection digest can compare them.
public enum RowJSON {
    /// The canonical JSON bytes of a value.
    public static func bytes(_ value: some Encodable) throws(KuraError) -> [UInt8] {
        do { return try JSONValue.canonicalBytes(encoding: value) } catch {
            throw KuraError(.internalError, "cannot encode a read model row: \(error.reason)")
        }
    }

    /// The canonical JSON bytes of a JSON value.
    public static func bytes(_ value: JSONValue) throws(KuraError) -> [UInt8] {
        do { return try value.canonicalBytes() } catch {
            throw KuraError(.internalError, "cannot encode a read model row: \(error.reason)")
        }
    }

    /// Decodes a stored JSON column.
    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: some Collection<UInt8>) throws(KuraError) -> T {
        do { return try JSONValue.parse(bytes).decode(T.self) } catch {
            throw KuraError(.storageFailure, "a stored \(T.self) does not decode: \(error.reason)")
        }
    }
}

/// Memoises the decoding of stored JSON text: the same text always decodes to the same value, so a hit is
/// never stale, whichever process changed the row. Bounded: emptied when full.
public final class RowDecodeCache<Value: Decodable & Sendable>: @unchecked Sendable {
    private var values: [[UInt8]: Value] = [:]
    private let lock = NSLock()
    private let capacity: Int

    /// A cache of at most `capacity` entries.
    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The value the JSON `bytes` decode to.
    public func value(_ bytes: [UInt8]) throws(KuraError) -> Value {
        lock.lock()
        let hit = values[bytes]
        lock.unlock()
        if let hit { return hit }
        let value = try RowJSON.decode(Value.self, bytes)
        lock.lock()
        if values.count >= capacity { values.removeAll(keepingCapacity: true) }
        values[bytes] = value
        lock.unlock()
        return value
    }
}

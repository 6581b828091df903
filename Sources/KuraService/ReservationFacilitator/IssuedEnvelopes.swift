import Foundation
import KuraCrypto

/// Decision envelopes this process signed (`POST /x402/verify`), by the SHA-256 of their text: `settle` of one of
/// them, byte for byte, skips the Ed25519 check it would pass, since the bytes are the ones signed here with
/// Kura's current key (whose `kid` stays among ``KuraService/envelopeKeys`` for the life of the process). Every
/// other check of `DecisionEnvelope.open` runs as always, and an envelope from anywhere else (another node, an
/// earlier run, a changed copy) has its signature checked.
///
/// Bounded: two generations of `capacity / 2` entries; a miss only costs the check.
final class IssuedEnvelopes: @unchecked Sendable {
    private var current: Set<[UInt8]> = []
    private var previous: Set<[UInt8]> = []
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int = 65_536) { self.capacity = capacity }

    /// Remembers an envelope signed here.
    func remember(_ envelope: String) {
        let digest = SHA256.hash(envelope)
        lock.lock()
        defer { lock.unlock() }
        if current.count >= capacity / 2 {
            previous = current
            current.removeAll(keepingCapacity: true)
        }
        current.insert(digest)
    }

    /// Whether this process signed exactly `envelope`.
    func signedHere(_ envelope: String) -> Bool {
        let digest = SHA256.hash(envelope)
        lock.lock()
        defer { lock.unlock() }
        return current.contains(digest) || previous.contains(digest)
    }
}

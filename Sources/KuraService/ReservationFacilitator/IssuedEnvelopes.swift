import Foundation
import KuraCore
import KuraCrypto

/// Decision envelopes this process signed (`POST /x402/verify`), with their decisions, by the SHA-256 of their
/// text. `settle` of one of them, byte for byte, takes the decision from here instead of opening the envelope:
/// the bytes are the ones signed here with Kura's current key (whose `kid` stays among
/// ``KuraService/envelopeKeys`` for the life of the process), so every check of `DecisionEnvelope.open` would
/// pass and give this decision. An envelope from anywhere else (another node, an earlier run, a changed copy) is
/// opened and its signature checked, as always.
///
/// Bounded: two generations of `capacity / 2` entries (a decision is a few short strings and integers: some
/// hundreds of bytes each, about 10–25 MB when full); a miss only costs the check.
final class IssuedEnvelopes: @unchecked Sendable {
    private var current: [[UInt8]: ReservationDecision] = [:]
    private var previous: [[UInt8]: ReservationDecision] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int = 32_768) { self.capacity = capacity }

    /// Remembers an envelope signed here, and the decision it carries.
    func remember(_ envelope: String, _ decision: ReservationDecision) {
        let digest = SHA256.hash(envelope)
        lock.lock()
        defer { lock.unlock() }
        if current.count >= capacity / 2 {
            previous = current
            current.removeAll(keepingCapacity: true)
        }
        current[digest] = decision
    }

    /// The decision of `envelope` if this process signed exactly these bytes.
    func decision(_ envelope: String) -> ReservationDecision? {
        guard envelope.utf8.count <= DecisionEnvelope.maxLength else { return nil }
        let digest = SHA256.hash(envelope)
        lock.lock()
        defer { lock.unlock() }
        return current[digest] ?? previous[digest]
    }
}

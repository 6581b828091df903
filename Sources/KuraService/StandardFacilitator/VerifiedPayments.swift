import Foundation
import KuraCore
import KuraCrypto
import KuraX402

/// Payments `POST /facilitator/verify` has checked (scheme, network, form, the payer's Ed25519 signature,
/// terms), by the SHA-256 of the whole request's canonical JSON. `settle` of the very same request — what a
/// resource server sends after serving — then skips what cannot have changed since: parsing and the signature.
/// It still checks the time window again, and everything that depends on state (the nonce, the payment
/// identifier, both parties active, the payer's key unchanged, the funds) in the writer, as always.
///
/// Bounded: emptied when full (a miss only costs the check again).
final class VerifiedPayments: Sendable {
    private let entries: BoundedMap<[UInt8], CheckedX402Payment>

    init(capacity: Int = 16_384) { entries = BoundedMap(capacity: capacity) }

    /// The digest a request is remembered by, from its canonical bytes (``FacilitatorRequest/canonicalParts()``,
    /// made once per verify and settle).
    static func key(canonicalRequest bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes) }

    func remember(_ key: [UInt8], _ payment: CheckedX402Payment) { entries.remember(payment, for: key) }

    /// The checked payment, if this request was verified and is still inside its time window at `now`.
    func checked(_ key: [UInt8], now: Int64) -> CheckedX402Payment? {
        guard let payment = entries[key] else { return nil }
        let authorization = payment.authorization
        guard now >= authorization.validAfter.milliseconds, now < authorization.validBefore.milliseconds else {
            return nil
        }
        return payment
    }
}

import KuraCore
import KuraCrypto

/// One escrow and its cast, at fixed times, shared by the escrow, money and payload tests.
enum EscrowFixture {
    static let payer = try! PartyID(validating: "pty_payer")
    static let payee = try! PartyID(validating: "pty_payee")
    static let stranger = try! PartyID(validating: "pty_stranger")
    static let id = try! EscrowID(validating: "esc_fixture")
    static let disputeId = try! DisputeID(validating: "dsp_fixture")
    static let usdc = try! Asset("USDC")

    static let t0 = Timestamp(milliseconds: 1_700_000_000_000)
    static let deliverBy = t0.adding(milliseconds: 3_600_000)
    static let confirmWindowMs: Int64 = 86_400_000
    static let disputeWindowMs: Int64 = 43_200_000
    static let deliveredAt = t0.adding(milliseconds: 60_000)
    static let evidence = String(repeating: "ab", count: 32)

    static func terms(amount: UInt64 = 10_000) -> EscrowTerms {
        EscrowTerms(
            payer: payer, payee: payee, amount: try! Amount(units: amount), asset: usdc, deliverBy: deliverBy,
            confirmWindowMs: confirmWindowMs, disputeWindowMs: disputeWindowMs, memo: "fixture")
    }

    static func context(available: UInt64 = 10_000, fees: FeeSchedule = FeeSchedule()) -> EscrowContext {
        EscrowContext(fees: fees, payerAvailable: try! Amount(units: available))
    }

    /// The `locked` event, made the legitimate way so that `lockedAt` is stamped.
    static func locked(amount: UInt64 = 10_000) -> EscrowEvent {
        try! Escrow.decideLock(
            id: id, terms: terms(amount: amount), by: payer, now: t0, context: context(available: amount))[0]
    }

    static func back(_ amount: UInt64 = 10_000) -> [Posting] {
        [Posting(from: .escrowHeld(id), to: .available(payer), asset: usdc, amount: try! Amount(units: amount))]
    }

    static let later = deliveredAt.adding(milliseconds: 1_000)
    static let delivered = EscrowEvent.delivered(evidence: evidence, at: deliveredAt)
    static let released = EscrowEvent.released(
        reason: .confirmed, net: try! Amount(units: 9_950), fee: try! Amount(units: 50), at: later,
        postings: [
            Posting(from: .escrowHeld(id), to: .available(payee), asset: usdc, amount: try! Amount(units: 9_950)),
            Posting(from: .escrowHeld(id), to: .fees, asset: usdc, amount: try! Amount(units: 50)),
        ])
    static let disputed = EscrowEvent.disputed(
        disputeId: disputeId, reason: "not what was ordered", evidence: [String(repeating: "cd", count: 32)], at: later)
    static let cancelled = EscrowEvent.cancelled(at: t0.adding(milliseconds: 1_000), postings: back())
    static let refunded = EscrowEvent.refunded(at: later, postings: back())
    static let expired = EscrowEvent.expired(at: deliverBy.adding(milliseconds: 1), postings: back())

    /// The events that lead to `state`; `resolved` has none (no command reaches it yet).
    static func history(to state: Escrow.State) -> [EscrowEvent] {
        switch state {
        case .locked: [locked()]
        case .delivered: [locked(), delivered]
        case .released: [locked(), delivered, released]
        case .disputed, .resolved: [locked(), delivered, disputed]
        case .cancelled: [locked(), cancelled]
        case .refunded: [locked(), delivered, refunded]
        case .expired: [locked(), expired]
        }
    }

    /// An escrow in `state`, built by applying events; `resolved` is read from the API wire shape instead.
    static func escrow(in state: Escrow.State) throws -> Escrow {
        let escrow = Escrow.fold(history(to: state))!
        guard state == .resolved else { return escrow }
        var wire = try JSONValue(encoding: escrow).objectValue!
        wire["state"] = "resolved"
        return try JSONValue.object(wire).decode(Escrow.self)
    }

    /// Every event kind, for payload tests.
    static var allEvents: [EscrowEvent] {
        [locked(), delivered, released, disputed, cancelled, refunded, expired]
    }
}

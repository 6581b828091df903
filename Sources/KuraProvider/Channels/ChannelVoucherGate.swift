import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import Logging

/// The provider's side of pre-funded channels: checks each call's voucher in memory (signature, channel
/// open and paying this provider in this asset, an increment of at least the price, within capacity),
/// keeps the best voucher per channel in a ``VoucherJournal``, and settles through Kura on a schedule.
/// No database write per call: Kura sees one settlement for many calls.
///
/// Concurrency: the gate is an actor, and an actor runs other calls while one is suspended. `accept` therefore
/// does its awaiting first (learning a channel, re-fetching one after a top-up) and only merges what it
/// fetched into the record as the record is *then*; the check of the voucher and the write of the new best
/// follow with no suspension between them. Of any number of concurrent calls carrying one voucher, exactly
/// one passes.
///
/// Terms: a channel is served only if its challenge period and its remaining lifetime leave the settlement
/// schedule room (``Configuration/minChallengePeriodMs``, ``Configuration/minRemainingLifetimeMs``). When
/// the gate learns that a channel is closing (or about to expire), it settles it at once.
public actor ChannelVoucherGate {
    /// How the gate behaves.
    public struct Configuration: Sendable {
        /// The party paid: this provider.
        public var provider: PartyID
        /// The asset channels must hold.
        public var asset: Asset
        /// Where the best vouchers are journaled.
        public var journalPath: String
        /// How often the journal is fsynced: a crash loses at most the calls of this interval.
        public var flushIntervalMs: Int64 = 200
        /// Settle a channel after this many accepted calls…
        public var settleEveryCalls: Int = 1000
        /// …or when this long has passed since its last settlement with calls pending.
        public var settleEveryMs: Int64 = 10_000
        /// The shortest challenge period served; nil: ``defaultMinimum(settleEveryMs:)``. An agent's close
        /// gives the provider this long to settle, so it must exceed the schedule with room to spare.
        public var minChallengePeriodMs: Int64?
        /// The shortest remaining lifetime (until `expiresAt`) at which calls are still served; nil:
        /// ``defaultMinimum(settleEveryMs:)``. Closer to its expiry a channel is settled and refused.
        public var minRemainingLifetimeMs: Int64?
        /// How often channels recovered from the journal but not yet loaded (Kura was unreachable) are tried
        /// again: their vouchers are money already earned.
        public var recoveryRetryMs: Int64 = 1_000
        /// The wall clock, epoch milliseconds (a value so that tests can move it).
        public var now: @Sendable () -> Timestamp = {
            Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
        }

        /// Creates a configuration.
        public init(provider: PartyID, asset: Asset, journalPath: String) {
            self.provider = provider
            self.asset = asset
            self.journalPath = journalPath
        }

        /// The default of both minimums: three settlement intervals, and never less than five minutes.
        public static func defaultMinimum(settleEveryMs: Int64) -> Int64 {
            max(300_000, settleEveryMs.multipliedReportingOverflow(by: 3).partialValue)
        }

        /// The challenge period below which channels are refused.
        public var challengeFloorMs: Int64 {
            minChallengePeriodMs ?? Self.defaultMinimum(settleEveryMs: settleEveryMs)
        }

        /// How old what the gate knows of a channel may be when it admits a voucher: an agent's close ends no
        /// sooner than the challenge floor after the gate last heard the channel was open, and a voucher admitted
        /// within this is settled (on the schedule) before then.
        var knowledgeLimitMs: Int64 { challengeFloorMs - settleEveryMs - flushIntervalMs }

        /// The remaining lifetime below which calls are refused and the channel is settled.
        public var lifetimeFloorMs: Int64 {
            minRemainingLifetimeMs ?? Self.defaultMinimum(settleEveryMs: settleEveryMs)
        }

        /// Refuses minimums that leave the schedule no room: each must be above one settlement interval
        /// plus one flush interval.
        func validate() throws(KuraError) {
            let schedule = settleEveryMs + flushIntervalMs
            guard settleEveryMs > 0, flushIntervalMs > 0, challengeFloorMs > schedule, lifetimeFloorMs > schedule
            else {
                throw KuraError(
                    .invalidRequest,
                    "the minimum challenge period (\(challengeFloorMs) ms) and remaining lifetime "
                        + "(\(lifetimeFloorMs) ms) must exceed the settlement schedule (\(schedule) ms)")
            }
        }
    }

    struct Record {
        var channel: Channel
        var agentKey: Ed25519.PublicKey
        var best: SignedVoucher?
        var callsSinceSettlement = 0
        var lastSettlement: ContinuousClock.Instant = .now
        /// When the newest of Kura's answers about this channel was asked for.
        var askedAt: ContinuousClock.Instant
        var bestCumulative: UInt64 { best?.voucher.cumulativeAmount.units ?? channel.settled.units }
        var bestSequence: UInt64 { best?.voucher.sequence ?? channel.sequence }
        /// Whether the best voucher is worth more than what Kura has settled.
        var pending: Bool { (best?.voucher.cumulativeAmount.units ?? 0) > channel.settled.units }
    }

    let configuration: Configuration
    let client: KuraClient
    let journal: VoucherJournal
    let logger: Logger
    private var records: [ChannelID: Record] = [:]
    private var recovered: [ChannelID: SignedVoucher]
    private var lastRecoveryAttempt: ContinuousClock.Instant?

    /// Opens the journal and remembers its best vouchers; `client` authenticates as the provider.
    public init(configuration: Configuration, client: KuraClient, logger: Logger) throws(KuraError) {
        try configuration.validate()
        self.configuration = configuration
        self.client = client
        self.logger = logger
        recovered = VoucherJournal.load(configuration.journalPath)
        journal = try VoucherJournal(path: configuration.journalPath)
    }

    /// Checks the voucher of one call costing `price` and, if it pays, makes it the channel's best.
    /// Returns the accepted voucher. Refusals: `voucher_invalid`, `voucher_stale`, `voucher_over_capacity`,
    /// `channel_closed`, `channel_terms_refused`, `forbidden` (a channel for someone else).
    public func accept(headerValue: String, price: Amount) async throws(KuraError) -> ChannelVoucher {
        let signed = try SignedVoucher(headerValue: headerValue)
        let id = signed.voucher.channel
        let signature = try signed.signatureBytes()
        // Every await comes first, and none carries a copy of the record across it.
        if records[id] == nil { try await load(id) }
        // Asked again when it may have been topped up since, or when the gate has not heard of it for so long
        // that its agent may have closed it and the challenge period run out meanwhile (review finding).
        if let known = records[id], known.channel.state == .open,
            signed.voucher.cumulativeAmount > known.channel.capacity
                || known.askedAt.duration(to: .now) >= .milliseconds(configuration.knowledgeLimitMs)
        {
            try await refresh(id)
        }
        do {
            return try admit(signed, signature: signature, price: price)
        } catch {
            // Closing, or too close to its expiry: what the provider holds is settled now.
            if error.code == .channelClosed || error.code == .channelTermsRefused { await settleAtOnce(id) }
            throw error
        }
    }

    /// The check and the write, with no suspension between them: the record read is the record written.
    private func admit(_ signed: SignedVoucher, signature: [UInt8], price: Amount) throws(KuraError)
        -> ChannelVoucher
    {
        let voucher = signed.voucher
        guard var record = records[voucher.channel] else {
            throw KuraError(.internalError, "channel \(voucher.channel) was not loaded")
        }
        guard voucher.isSigned(by: record.agentKey, signature: signature) else {
            throw KuraError(.voucherInvalid, "the voucher's signature is not the agent's")
        }
        guard record.channel.state == .open else {
            throw KuraError(.channelClosed, "channel \(voucher.channel) is closing")
        }
        try checkTerms(record.channel)
        guard voucher.sequence > record.bestSequence,
            voucher.cumulativeAmount.units >= record.bestCumulative + price.units
        else {
            throw KuraError(
                .voucherStale,
                "the voucher must raise the cumulative amount from \(record.bestCumulative) by at least \(price) "
                    + "with a sequence above \(record.bestSequence)")
        }
        guard voucher.cumulativeAmount <= record.channel.capacity else {
            throw KuraError(
                .voucherOverCapacity,
                "the voucher asks for \(voucher.cumulativeAmount); the channel holds \(record.channel.capacity)")
        }
        record.best = signed
        record.callsSinceSettlement += 1
        records[voucher.channel] = record
        journal.record(signed)
        return voucher
    }

    /// The best voucher held for a channel, if any.
    public func best(_ channel: ChannelID) -> SignedVoucher? { records[channel]?.best ?? recovered[channel] }

    /// Makes queued vouchers durable.
    public func flush() throws(KuraError) { try journal.flush() }

    /// Settles every channel due by the schedule (or all with calls pending when `all`). Returns how many
    /// settlements Kura accepted.
    @discardableResult
    public func settleDue(all: Bool = false) async -> Int {
        var settled = 0
        for id in Array(records.keys) {
            guard let record = records[id], record.pending else { continue }
            let due =
                all || record.callsSinceSettlement >= configuration.settleEveryCalls
                || record.lastSettlement.duration(to: .now) >= .milliseconds(configuration.settleEveryMs)
            if due, await settle(id) { settled += 1 }
        }
        return settled
    }

    /// Settles the best voucher of one channel now. Calls accepted while the settlement is in flight stay
    /// counted for the next one; what Kura answers is merged into the record as it then is.
    private func settle(_ id: ChannelID) async -> Bool {
        guard let record = records[id], let best = record.best, record.pending else { return false }
        let counted = record.callsSinceSettlement
        let asked = ContinuousClock.now
        do {
            learn(try await client.perform(KuraAPI.settleChannel, at: id, best), askedAt: asked)
            if var current = records[id] {
                current.callsSinceSettlement = max(0, current.callsSinceSettlement - counted)
                current.lastSettlement = .now
                records[id] = current
            }
            return true
        } catch {
            logger.warning("channel settlement failed", metadata: ["channel": "\(id)", "error": "\(error)"])
            try? await refresh(id)
            return false
        }
    }

    /// A channel is closing or about to expire: what the provider holds is settled now, not at the next
    /// scheduled time, which may come after the challenge period.
    private func settleAtOnce(_ id: ChannelID) async {
        guard records[id]?.pending == true else { return }
        logger.notice("channel closing: settling at once", metadata: ["channel": "\(id)"])
        _ = await settle(id)
    }

    /// Settles what the journal recovered: vouchers accepted before a crash are money the provider earned.
    public func recover() async {
        await loadRecovered(force: true)
        await settleDue(all: true)
    }

    /// Loads the channels recovered from the journal that are not loaded yet, and settles them at once.
    /// A channel Kura could not be asked about (unreachable, failing) stays recovered and is tried again
    /// every `recoveryRetryMs` from ``tick()``: otherwise its vouchers would wait for the agent's next call,
    /// which may never come before the channel closes. One that Kura refuses for good (not found, not this
    /// provider's) is dropped.
    private func loadRecovered(force: Bool = false) async {
        guard !recovered.isEmpty else { return }
        if !force, let last = lastRecoveryAttempt,
            last.duration(to: .now) < .milliseconds(configuration.recoveryRetryMs)
        {
            return
        }
        lastRecoveryAttempt = .now
        for id in Array(recovered.keys) where records[id] == nil {
            do {
                try await load(id)
                _ = await settle(id)
            } catch {
                let permanent: Set<KuraError.Code> = [.forbidden, .voucherInvalid, .notFound]
                if permanent.contains(error.code) { recovered[id] = nil }
                logger.warning("recovered channel not loaded", metadata: ["channel": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// One tick of the schedule: make queued vouchers durable, retry recovered channels, settle what is due.
    public func tick() async {
        flushOrLog()
        await loadRecovered()
        await settleDue()
    }

    /// The last act before the provider stops: flush and settle everything pending.
    public func shutdown() async {
        flushOrLog()
        await settleDue(all: true)
    }

    /// Makes queued vouchers durable; a failure is logged (the next flush tries again).
    func flushOrLog() {
        do { try flush() } catch { logger.error("voucher journal: \(error)") }
    }

    /// Fetches a channel (and, for a channel without a pinned voucher key, its agent's key) and installs the record, unless a concurrent call installed
    /// one meanwhile (then that one stands: it may already hold a newer best voucher). Refuses a channel
    /// for someone else.
    private func load(_ id: ChannelID) async throws(KuraError) {
        let asked = ContinuousClock.now
        let channel = try await fetchChannel(id)
        guard channel.provider == configuration.provider, channel.asset == configuration.asset else {
            throw KuraError(
                .forbidden, "channel \(id) does not pay \(configuration.provider) in \(configuration.asset)")
        }
        // The channel's own voucher key, pinned at open; older channels use the agent's current key.
        let agentKey: Ed25519.PublicKey
        if let pinned = channel.agentKey {
            do { agentKey = try Ed25519.PublicKey(base64: pinned) } catch {
                throw KuraError(.voucherInvalid, "channel \(id) names no valid voucher key")
            }
        } else {
            do { agentKey = try await client.party(channel.agent).publicKey } catch { throw error.kuraError }
        }
        if records[id] == nil {
            var record = Record(channel: channel, agentKey: agentKey, askedAt: asked)
            // A voucher recovered from the journal counts if Kura has not settled past it.
            if let kept = recovered.removeValue(forKey: id), kept.voucher.sequence > channel.sequence {
                record.best = kept
            }
            records[id] = record
        } else {
            learn(channel, askedAt: asked)
        }
        if channel.state != .open { await settleAtOnce(id) }
    }

    /// Whether a channel's terms leave the settlement schedule room: a challenge period of at least the
    /// floor (an agent's close must not end before the next settlement), and at least the floor of life
    /// left (past its expiry the channel closes by itself).
    private func checkTerms(_ channel: Channel) throws(KuraError) {
        guard channel.challengePeriodMs >= configuration.challengeFloorMs else {
            throw KuraError(
                .channelTermsRefused,
                "channel \(channel.id) gives \(channel.challengePeriodMs) ms to answer a close; this provider settles "
                    + "every \(configuration.settleEveryMs) ms and needs at least \(configuration.challengeFloorMs) ms")
        }
        let left = channel.expiresAt.milliseconds - configuration.now().milliseconds
        guard left >= configuration.lifetimeFloorMs else {
            throw KuraError(
                .channelTermsRefused,
                "channel \(channel.id) expires in \(max(0, left)) ms; this provider stops taking calls "
                    + "\(configuration.lifetimeFloorMs) ms before a channel expires")
        }
    }

    /// Merges a channel as Kura reported it, to a question asked at `askedAt`, into the record as it is now.
    /// Kura's answers can arrive out of order, so only what has moved forward (capacity, settlement, state) is
    /// taken.
    private func learn(_ channel: Channel, askedAt: ContinuousClock.Instant) {
        guard let known = records[channel.id]?.channel else { return }
        if let heard = records[channel.id]?.askedAt, heard < askedAt { records[channel.id]?.askedAt = askedAt }
        func rank(_ state: Channel.State) -> Int { Channel.State.allCases.firstIndex(of: state) ?? 0 }
        let newer =
            channel.capacity >= known.capacity && channel.settled >= known.settled
            && channel.sequence >= known.sequence && rank(channel.state) >= rank(known.state)
        if newer { records[channel.id]?.channel = channel }
    }

    /// Asks Kura about a loaded channel and merges its answer.
    private func refresh(_ id: ChannelID) async throws(KuraError) {
        let asked = ContinuousClock.now
        learn(try await fetchChannel(id), askedAt: asked)
    }

    private func fetchChannel(_ id: ChannelID) async throws(KuraError) -> Channel {
        do { return try await client.channel(id) } catch {
            throw error.code == "not_found" ? KuraError(.voucherInvalid, "no channel \(id)") : error.kuraError
        }
    }
}

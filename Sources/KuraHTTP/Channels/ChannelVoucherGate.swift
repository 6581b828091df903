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

        /// Creates a configuration.
        public init(provider: PartyID, asset: Asset, journalPath: String) {
            self.provider = provider
            self.asset = asset
            self.journalPath = journalPath
        }
    }

    struct Record {
        var channel: Channel
        var agentKey: Ed25519.PublicKey
        var best: SignedVoucher?
        var callsSinceSettlement = 0
        var lastSettlement: ContinuousClock.Instant = .now
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

    /// Opens the journal and remembers its best vouchers; `client` authenticates as the provider.
    public init(configuration: Configuration, client: KuraClient, logger: Logger) throws(KuraError) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        recovered = VoucherJournal.load(configuration.journalPath)
        journal = try VoucherJournal(path: configuration.journalPath)
    }

    /// Checks the voucher of one call costing `price` and, if it pays, makes it the channel's best.
    /// Returns the accepted voucher. Refusals: `voucher_invalid`, `voucher_stale`, `voucher_over_capacity`,
    /// `channel_closed`, `forbidden` (a channel for someone else).
    public func accept(headerValue: String, price: Amount) async throws(KuraError) -> ChannelVoucher {
        let signed = try SignedVoucher(headerValue: headerValue)
        let id = signed.voucher.channel
        let signature = try signed.signatureBytes()
        // Every await comes first, and none carries a copy of the record across it.
        if records[id] == nil { try await load(id) }
        if let known = records[id], known.channel.state == .open,
            signed.voucher.cumulativeAmount > known.channel.capacity
        {
            learn(try await fetchChannel(id))  // perhaps topped up since
        }
        return try admit(signed, signature: signature, price: price)
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
        do {
            let body = try JSONValue(encoding: best)
            learn(try await client.act(onChannel: id, .settle, body: body, idempotencyKey: nil))
            if var current = records[id] {
                current.callsSinceSettlement = max(0, current.callsSinceSettlement - counted)
                current.lastSettlement = .now
                records[id] = current
            }
            return true
        } catch {
            logger.warning("channel settlement failed", metadata: ["channel": "\(id)", "error": "\(error)"])
            if let fresh = try? await fetchChannel(id) { learn(fresh) }
            return false
        }
    }

    /// Settles what the journal recovered: vouchers accepted before a crash are money the provider earned.
    public func recover() async {
        for id in Array(recovered.keys) where records[id] == nil {
            do { try await load(id) } catch {
                logger.warning("recovered channel not loaded", metadata: ["channel": "\(id)", "error": "\(error)"])
            }
        }
        await settleDue(all: true)
    }

    /// One tick of the schedule: make queued vouchers durable, settle what is due.
    public func tick() async {
        do { try flush() } catch { logger.error("voucher journal: \(error)") }
        await settleDue()
    }

    /// The last act before the provider stops: flush and settle everything pending.
    public func shutdown() async {
        do { try flush() } catch { logger.error("voucher journal: \(error)") }
        await settleDue(all: true)
    }

    /// Fetches a channel and its agent's key and installs the record, unless a concurrent call installed
    /// one meanwhile (then that one stands: it may already hold a newer best voucher). Refuses a channel
    /// for someone else.
    private func load(_ id: ChannelID) async throws(KuraError) {
        let channel = try await fetchChannel(id)
        guard channel.provider == configuration.provider, channel.asset == configuration.asset else {
            throw KuraError(
                .forbidden, "channel \(id) does not pay \(configuration.provider) in \(configuration.asset)")
        }
        let agentKey: Ed25519.PublicKey
        do { agentKey = try await client.party(channel.agent).publicKey } catch { throw error.kuraError }
        if records[id] == nil {
            var record = Record(channel: channel, agentKey: agentKey)
            // A voucher recovered from the journal counts if Kura has not settled past it.
            if let kept = recovered.removeValue(forKey: id), kept.voucher.sequence > channel.sequence {
                record.best = kept
            }
            records[id] = record
        } else {
            learn(channel)
        }
    }

    /// Merges a channel as Kura reported it into the record as it is now. Kura's answers can arrive out of
    /// order, so only what has moved forward (capacity, settlement, state) is taken.
    private func learn(_ channel: Channel) {
        guard let known = records[channel.id]?.channel else { return }
        func rank(_ state: Channel.State) -> Int { Channel.State.allCases.firstIndex(of: state) ?? 0 }
        let newer =
            channel.capacity >= known.capacity && channel.settled >= known.settled
            && channel.sequence >= known.sequence && rank(channel.state) >= rank(known.state)
        if newer { records[channel.id]?.channel = channel }
    }

    private func fetchChannel(_ id: ChannelID) async throws(KuraError) -> Channel {
        do { return try await client.channel(id) } catch {
            throw error.code == "not_found" ? KuraError(.voucherInvalid, "no channel \(id)") : error.kuraError
        }
    }
}

import Foundation
import KuraClient
import KuraCore
import KuraCrypto
import Logging

/// The provider's side of pre-funded channels: checks each call's voucher in memory (signature, channel
/// open and paying this provider in this asset, an increment of at least the price, within capacity),
/// keeps the best voucher per channel in a ``VoucherJournal``, and settles through Kura on a schedule.
/// No database write per call: Kura sees one settlement for many calls.
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
        let voucher = signed.voucher
        var record = try await self.record(voucher.channel)
        guard voucher.isSigned(by: record.agentKey, signature: try signed.signatureBytes()) else {
            throw KuraError(.voucherInvalid, "the voucher's signature is not the agent's")
        }
        guard voucher.sequence > record.bestSequence,
            voucher.cumulativeAmount.units >= record.bestCumulative + price.units
        else {
            throw KuraError(
                .voucherStale,
                "the voucher must raise the cumulative amount from \(record.bestCumulative) by at least \(price) "
                    + "with a sequence above \(record.bestSequence)")
        }
        if voucher.cumulativeAmount > record.channel.capacity {
            record.channel = try await fetchChannel(voucher.channel)  // perhaps topped up since
            guard voucher.cumulativeAmount <= record.channel.capacity else {
                throw KuraError(
                    .voucherOverCapacity,
                    "the voucher asks for \(voucher.cumulativeAmount); the channel holds "
                        + "\(record.channel.capacity)")
            }
        }
        guard record.channel.state == .open else {
            throw KuraError(.channelClosed, "channel \(voucher.channel) is closing")
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
        for (id, record) in records {
            guard let best = record.best, best.voucher.cumulativeAmount.units > record.channel.settled.units else {
                continue
            }
            let due =
                all || record.callsSinceSettlement >= configuration.settleEveryCalls
                || record.lastSettlement.duration(to: .now) >= .milliseconds(configuration.settleEveryMs)
            guard due else { continue }
            do {
                let body = try JSONValue(encoding: best)
                let channel = try await client.act(onChannel: id, .settle, body: body, idempotencyKey: nil)
                records[id]?.channel = channel
                records[id]?.callsSinceSettlement = 0
                records[id]?.lastSettlement = .now
                settled += 1
            } catch {
                logger.warning("channel settlement failed", metadata: ["channel": "\(id)", "error": "\(error)"])
                if let fresh = try? await fetchChannel(id) { records[id]?.channel = fresh }
            }
        }
        return settled
    }

    /// Settles what the journal recovered: vouchers accepted before a crash are money the provider earned.
    public func recover() async {
        for id in Array(recovered.keys) { _ = try? await record(id) }
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

    private func record(_ id: ChannelID) async throws(KuraError) -> Record {
        if let record = records[id] { return record }
        let channel = try await fetchChannel(id)
        guard channel.provider == configuration.provider, channel.asset == configuration.asset else {
            throw KuraError(
                .forbidden, "channel \(id) does not pay \(configuration.provider) in \(configuration.asset)")
        }
        let agent: Party
        do { agent = try await client.party(channel.agent) } catch { throw error.kuraError }
        var record = Record(channel: channel, agentKey: agent.publicKey)
        // A voucher recovered from the journal counts if Kura has not settled past it.
        if let kept = recovered.removeValue(forKey: id), kept.voucher.sequence > channel.sequence {
            record.best = kept
        }
        records[id] = record
        return record
    }

    private func fetchChannel(_ id: ChannelID) async throws(KuraError) -> Channel {
        do { return try await client.channel(id) } catch {
            throw error.code == "not_found" ? KuraError(.voucherInvalid, "no channel \(id)") : error.kuraError
        }
    }
}

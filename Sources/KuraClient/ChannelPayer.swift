import AsyncHTTPClient
import Foundation
import KuraCore
import KuraCrypto
import NIOHTTP1

/// An agent's side of a pre-funded channel: opens it, signs a voucher for each paid call (the cumulative
/// amount grows by the call's price), tops up when the channel runs low, and closes it.
///
/// Calls go one at a time (the provider refuses a voucher whose sequence is not above the best it holds),
/// so ``call(_:price:)`` is serialised by the actor. A call the provider refused does not count: its
/// amount is taken back before the next voucher.
public actor ChannelPayer {
    /// The channel's terms and the top-up policy.
    public struct Configuration: Sendable {
        public var provider: PartyID
        public var asset: Asset
        /// The first deposit.
        public var deposit: Amount
        /// Top up when what is left (unspent by vouchers) falls below this.
        public var topUpBelow: Amount
        /// How much each top-up adds.
        public var topUpAmount: Amount
        public var challengePeriodMs: Int64 = 3_600_000
        /// How long the channel lives.
        public var lifetimeMs: Int64 = 86_400_000

        /// Creates a configuration.
        public init(provider: PartyID, asset: Asset, deposit: Amount, topUpBelow: Amount, topUpAmount: Amount) {
            self.provider = provider
            self.asset = asset
            self.deposit = deposit
            self.topUpBelow = topUpBelow
            self.topUpAmount = topUpAmount
        }
    }

    /// What a paid call returned.
    public struct Answer: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: [UInt8]
        /// The voucher sent, if the call was paid.
        public let voucher: ChannelVoucher?
    }

    let configuration: Configuration
    let kura: KuraClient
    let key: Ed25519.SecretKey
    let httpClient: HTTPClient
    public private(set) var channel: KuraCore.Channel?
    private var cumulative: UInt64 = 0
    private var sequence: UInt64 = 0
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// `kura` authenticates as the agent; `key` is the agent's registered key.
    public init(
        configuration: Configuration, kura: KuraClient, key: Ed25519.SecretKey, httpClient: HTTPClient = .shared
    ) {
        self.configuration = configuration
        self.kura = kura
        self.key = key
        self.httpClient = httpClient
    }

    /// Opens the channel (once).
    @discardableResult
    public func open() async throws(KuraClientError) -> KuraCore.Channel {
        if let channel { return channel }
        let now = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let request = OpenChannelRequest(
            provider: configuration.provider, asset: configuration.asset, amount: configuration.deposit,
            challengePeriodMs: configuration.challengePeriodMs,
            expiresAt: now.adding(milliseconds: configuration.lifetimeMs))
        let opened = try await kura.openChannel(request)
        channel = opened
        return opened
    }

    /// The next voucher for a call costing `price`, topping up first if the channel would run low.
    public func nextVoucher(price: Amount) async throws(KuraClientError) -> SignedVoucher {
        var current = try await open()
        // An answer whose capacity is below what this payer signed already is refused below, not subtracted.
        if current.capacity.units < cumulative
            || current.capacity.units - cumulative < price.units + configuration.topUpBelow.units
        {
            current = try await kura.perform(
                KuraAPI.topUpChannel, at: current.id, TopUpRequest(amount: configuration.topUpAmount))
            channel = current
        }
        guard let total = try? Amount(units: cumulative + price.units), total <= current.capacity else {
            throw KuraClientError(
                kind: .refused, status: nil, code: "voucher_over_capacity",
                detail: "the channel holds \(current.capacity); this call would make \(cumulative + price.units)")
        }
        cumulative = total.units
        sequence += 1
        let voucher = ChannelVoucher(channel: current.id, cumulativeAmount: total, sequence: sequence)
        do { return try SignedVoucher(voucher, key: key) } catch {
            throw KuraClientError(kind: .invalid, status: nil, code: error.code.rawValue, detail: error.detail)
        }
    }

    /// Takes back a voucher the provider did not accept (only the latest can be taken back).
    public func refunded(_ voucher: ChannelVoucher, price: Amount) {
        guard voucher.sequence == sequence, voucher.cumulativeAmount.units == cumulative else { return }
        cumulative -= price.units
    }

    /// GETs `url`, paying `price` with a voucher; a payment the provider's gate refused is taken back.
    public func call(_ url: String, price: Amount) async throws(KuraClientError) -> Answer {
        await acquire()
        defer { release() }
        let signed = try await nextVoucher(price: price)
        var request = HTTPClientRequest(url: url)
        do { request.headers.add(name: SignedVoucher.headerName, value: try signed.headerValue()) } catch {
            throw KuraClientError(kind: .invalid, status: nil, code: error.code.rawValue, detail: error.detail)
        }
        let answer: Answer
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            answer = Answer(
                status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView),
                voucher: signed.voucher)
        } catch {
            // Unknown whether the provider accepted it: keep it counted (overpaying one call beats a refused
            // next voucher).
            throw KuraClientError(kind: .retryable, status: nil, code: "unavailable", detail: "\(url): \(error)")
        }
        if Self.refusedByTheGate(answer) { refunded(signed.voucher, price: price) }
        return answer
    }

    /// Whether the provider's gate refused the voucher: an answer that does not say it accepted one
    /// (`Kura-Channel-Accepted`) and is a 402, or names the terms (`Kura-Channel-Price`: the gate's 503 when its
    /// check failed, which records nothing). A 402 of the route itself after the gate took the voucher is no
    /// refusal, and an answer from elsewhere (a proxy's 502) leaves it unknown: both stay counted.
    static func refusedByTheGate(_ answer: Answer) -> Bool {
        guard answer.headers.first(name: SignedVoucher.acceptedHeaderName) == nil else { return false }
        return answer.status == 402 || answer.headers.first(name: SignedVoucher.priceHeaderName) != nil
    }

    /// Closes the channel as the agent: the provider has the challenge period to settle, then the rest
    /// comes back.
    public func close() async throws(KuraClientError) -> KuraCore.Channel? {
        guard let current = channel else { return nil }
        let closed = try await kura.perform(KuraAPI.closeChannel, at: current.id, CloseChannelRequest())
        channel = closed
        return closed
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

import AsyncHTTPClient
import Foundation
import KuraCore
import KuraCrypto
import KuraX402
import NIOCore
import NIOHTTP1

/// An agent's x402 client for Kura's schemes: requests a resource; on a 402 it reads `PAYMENT-REQUIRED`,
/// chooses a Kura requirement it may pay under its ``SpendingLimits`` (`exact` within them; `escrow`, when
/// offered, over them), signs an authorization with a fresh nonce and payment identifier, retries with
/// `PAYMENT-SIGNATURE`, and returns the answer with the settlement from `PAYMENT-RESPONSE`.
///
/// Never pays twice for one payment: the payload (its nonce and payment ID) is made once per call, and a retry
/// after a transport failure, or a 502, 503 or 504 without `PAYMENT-RESPONSE` (the provider could not learn
/// whether Kura settled, or a proxy could not reach it), resends exactly the same header, which Kura settles at
/// most once. A route's own 500 is not sent again.
///
/// The limits count every authorization handed to a provider, whatever it answers: the provider holds it and
/// may settle it (the facilitator's routes are public) while answering that it did not.
public actor X402Payer {
    /// What a call returned.
    public struct Answer: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: [UInt8]
        /// The settlement, when the request was paid.
        public let settlement: SettleResponse?
        /// The scheme paid with, and the payment identifier used.
        public let scheme: KuraScheme?
        public let paymentID: String?
    }

    let payer: PartyID
    let key: Ed25519.SecretKey
    let httpClient: HTTPClient
    let now: @Sendable () -> Date
    /// The wallet that pays seed-dialect offers on Solana, if any (see X402Payer+Solana.swift).
    let solana: SolanaWallet?
    public private(set) var limits: SpendingLimits
    /// What was paid (or locked) so far, for the limits.
    public internal(set) var spent: [SpendingLimits.Spend] = []

    /// `key` is the payer's registered key.
    public init(
        payer: PartyID, key: Ed25519.SecretKey, limits: SpendingLimits, httpClient: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = Date.init, solana: SolanaWallet? = nil
    ) {
        self.solana = solana
        self.payer = payer
        self.key = key
        self.limits = limits
        self.httpClient = httpClient
        self.now = now
    }

    /// The longest an authorization this payer signs is valid, whatever `maxTimeoutSeconds` a provider asks
    /// for: the provider holds it until then.
    public static let maxValiditySeconds: UInt64 = 600

    /// GETs `url`, paying if asked. Refuses (`over_limit`, `no_kura_offer`) without paying when it may not pay.
    public func get(_ url: String, attempts: Int = 3) async throws(KuraClientError) -> Answer {
        let first = try await fetch(url, payment: nil)
        guard first.status == 402 else { return Answer(first, settlement: nil, scheme: nil, paymentID: nil) }
        if let solana, let seed = try? SeedPaymentRequest.parse({ first.headers[$0] }),
            seed.network.hasPrefix("solana:")
        {
            return try await payOnSolana(url, seed, wallet: solana, attempts: attempts)
        }
        guard let header = first.headers.first(name: X402Codec.Header.paymentRequired) else {
            throw KuraClientError(
                kind: .invalid, status: 402, code: "no_kura_offer", detail: "402 without PAYMENT-REQUIRED")
        }
        let required: PaymentRequired
        do { required = try X402Codec.decode(PaymentRequired.self, header: header) } catch {
            throw KuraClientError(kind: .invalid, status: 402, code: error.reason.rawValue, detail: error.detail)
        }
        let (requirements, scheme) = try choose(required)
        let paymentID = "pay_" + Hex.encode(SecureRandom.bytes(16))
        let clock = UInt64(now().timeIntervalSince1970)
        let payload: PaymentPayload
        do {
            var extensions: [String: JSONValue]?
            if let offer = required.extensions?[PaymentIdentifier.name] {
                extensions = [PaymentIdentifier.name: PaymentIdentifier.echo(offer, id: paymentID)]
            }
            payload = try KuraScheme.pay(
                requirements, resource: required.resource, payer: payer.rawValue, key: key,
                nonce: SecureRandom.bytes(32), validAfter: EpochSeconds(clock - 5)!,
                validBefore: EpochSeconds(
                    clock + min(max(1, requirements.maxTimeoutSeconds) - 1, Self.maxValiditySeconds))!,
                extensions: extensions)
        } catch {
            throw KuraClientError(kind: .invalid, status: 402, code: error.reason.rawValue, detail: error.detail)
        }
        let signature: String
        do { signature = try X402Codec.header(payload) } catch {
            throw KuraClientError(kind: .invalid, status: nil, code: error.reason.rawValue, detail: error.detail)
        }
        spent.append(
            SpendingLimits.Spend(
                at: Int64(now().timeIntervalSince1970 * 1000), payee: requirements.payTo, asset: requirements.asset,
                amount: requirements.amount.units))
        var attempt = 0
        while true {
            attempt += 1
            do {
                let answer = try await fetch(url, payment: signature)
                let settlementHeader = answer.headers.first(name: X402Codec.Header.paymentResponse)
                // Unknown whether it settled (Kura unreachable from the provider, a proxy's answer): the same
                // payload again, as after a transport failure.
                if [502, 503, 504].contains(answer.status), settlementHeader == nil, attempt < attempts {
                    try? await Task.sleep(for: .milliseconds(100 << attempt))
                    continue
                }
                let settlement = settlementHeader.flatMap { try? X402Codec.decode(SettleResponse.self, header: $0) }
                return Answer(answer, settlement: settlement, scheme: scheme, paymentID: paymentID)
            } catch {
                // Unknown whether it settled: retry with the very same payload.
                guard error.kind == .retryable, attempt < attempts else { throw error }
                try? await Task.sleep(for: .milliseconds(100 << attempt))
            }
        }
    }

    /// The Kura requirement to pay with: `exact` within the limits, else `escrow` when offered and allowed.
    func choose(_ required: PaymentRequired) throws(KuraClientError) -> (PaymentRequirements, KuraScheme) {
        let kura = required.accepts.filter {
            KuraNetwork(id: $0.network) != nil && KuraScheme(rawValue: $0.scheme) != nil
        }
        guard !kura.isEmpty else {
            throw KuraClientError(
                kind: .refused, status: 402, code: "no_kura_offer", detail: "no Kura scheme is offered")
        }
        let nowMs = Int64(now().timeIntervalSince1970 * 1000)
        var reasons: [String] = []
        for scheme in [KuraScheme.exact, .escrow] {
            for offer in kura where offer.scheme == scheme.rawValue {
                switch limits.decide(
                    amount: offer.amount.units, asset: offer.asset, payee: offer.payTo, now: nowMs, spent: spent)
                {
                case .withinLimits: return (offer, scheme)
                case .escrowOnly(let why):
                    if scheme == .escrow { return (offer, scheme) }
                    reasons.append(why)
                case .refused(let why): reasons.append(why)
                }
            }
        }
        throw KuraClientError(
            kind: .refused, status: 402, code: "over_limit",
            detail: (reasons.first ?? "over the limits")
                + (kura.contains { $0.scheme == "escrow" } ? "" : "; no escrow is offered"))
    }

    struct RawAnswer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    func fetch(_ url: String, payment: String?, headers extra: [(String, String)] = []) async throws(KuraClientError)
        -> RawAnswer
    {
        var request = HTTPClientRequest(url: url)
        if let payment { request.headers.add(name: X402Codec.Header.paymentSignature, value: payment) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            return RawAnswer(
                status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
        } catch {
            throw KuraClientError(kind: .retryable, status: nil, code: "unavailable", detail: "\(url): \(error)")
        }
    }
}

extension X402Payer.Answer {
    init(_ raw: X402Payer.RawAnswer, settlement: SettleResponse?, scheme: KuraScheme?, paymentID: String?) {
        self.init(
            status: raw.status, headers: raw.headers, body: raw.body, settlement: settlement, scheme: scheme,
            paymentID: paymentID)
    }
}

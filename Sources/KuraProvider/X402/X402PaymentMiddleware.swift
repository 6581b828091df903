import Foundation
import HTTPTypes
import Hummingbird
import KuraClient
import KuraCore
import KuraCrypto
import KuraX402
import Logging

/// Puts an x402 price on the routes behind it, in both dialects, settled through Kura over HTTP.
///
/// - An unpaid request (HEAD too: a HEAD is a probe and is never charged) is answered `402 Payment Required`
///   with `PAYMENT-REQUIRED` (x402 v2) and the six `X-Payment-*` headers (seed dialect), and the
///   `PaymentRequired` JSON as the body.
/// - A v2 retry carries `PAYMENT-SIGNATURE`: the middleware checks it matches one of its offers and this
///   resource, then, in the ``X402SettlementOrder`` it was given, asks Kura's facilitator to verify it, serves
///   the route and settles (the default), or settles (which verifies) and then serves; either way it attaches
///   `PAYMENT-RESPONSE`. Under the `escrow` scheme it then marks delivery of the escrow with the SHA-256 of the
///   body, and answers the body only once the escrow stands delivered.
/// - A seed retry carries `X-Payment-Receipt` (standard base64 of the canonical JSON of the Kura-signed direct
///   payment record) and `X-Payment-ID`: checked offline (Kura's signature, payee, asset, amount, the deadline
///   the 402 quoted), confirmed with Kura (`GET /v1/payments/{paymentId}?payer=`), and never accepted twice
///   (``X402ReceiptBook``).
///
/// Paid answers carry `Cache-Control: no-store`. Settling after serving, only a 2xx answer of the route is
/// settled: a failed one is passed through without charging. Settling before serving, the route runs only once
/// the payment is durable in Kura's log, so a failed answer stays paid (`exact`) or leaves its escrow undelivered,
/// to return to the payer when it expires (`escrow`).
public struct X402PaymentMiddleware<Context: RequestContext>: RouterMiddleware {
    static var status402: HTTPResponse.Status { .init(code: 402, reasonPhrase: "Payment Required") }

    let configuration: X402Offer
    let client: KuraClient
    let book: X402ReceiptBook
    let logger: Logger
    let order: X402SettlementOrder

    /// `client` authenticates as the payee (it marks escrow deliveries and reads its payments).
    public init(
        offer: X402Offer, client: KuraClient, book: X402ReceiptBook, logger: Logger,
        settlement order: X402SettlementOrder = .afterServing
    ) {
        self.configuration = offer
        self.client = client
        self.book = book
        self.logger = logger
        self.order = order
    }

    /// The largest body of a request paid with a payment identifier: it is read whole, to tell a repeat of the
    /// same request from another (a larger one is answered 413).
    public static var identifiedBodyLimit: Int { 16 << 20 }

    /// How long after an identified authorization's `validBefore` its request is remembered: Kura refuses its
    /// repeat once the window has closed by Kura's clock, which may run behind this process's.
    static var repeatWindowMarginSeconds: UInt64 { 600 }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let resource = configuration.resource(path: request.uri.path, authority: request.head.authority)
        if request.method != .head, let header = request.headers.value(of: X402Header.paymentSignature) {
            return try await paidV2(header, resource, request, context, next)
        }
        if request.method != .head, request.headers[X402Header.seedReceipt] != nil {
            return try await paidSeed(resource, request, context, next)
        }
        return paymentRequired(resource, error: "PAYMENT-SIGNATURE header is required")
    }

    // MARK: x402 v2

    private func paidV2(
        _ header: String, _ resource: ResourceInfo, _ request: Request, _ context: Context,
        _ next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let payment: PaymentPayload
        let proof: KuraPaymentProof
        do {
            payment = try X402Codec.decode(PaymentPayload.self, header: header)
            proof = try KuraPaymentProof.parse(payment.payload)
        } catch let error as X402Error {
            return refusal(.badRequest, resource, error.reason, error.detail)
        } catch let error as X402Refusal {
            return refusal(.badRequest, resource, error.reason, error.detail)
        }
        let offers = configuration.requirements()
        guard let requirements = offers.first(where: { $0.isSameOffer(as: payment.accepted) }) else {
            return refusal(
                Self.status402, resource, .invalidPaymentRequirements,
                "the payment accepted none of this route's offers")
        }
        let scheme = KuraScheme(rawValue: requirements.scheme) ?? .exact
        // A payment identifier is the payer's to choose, and it becomes the payment record's `paymentId`: one of
        // the seed dialect's form (`kura_<deadline>_<hex>`) would let the record of this payment be shown again as
        // a seed receipt (`X-Payment-Receipt`) and served a second time. That form is the seed dialect's.
        let identifier = try? PaymentIdentifier.id(in: payment.extensions)
        if let identifier, X402Offer.deadline(ofPaymentID: identifier) != nil {
            return refusal(
                Self.status402, resource, .invalidPayload,
                "payment identifiers of the form kura_<deadline>_<hex> are this provider's seed payment IDs")
        }
        guard payment.resource?.url == resource.url else {
            return refusal(
                Self.status402, resource, .kuraResourceMismatch(scheme), "the payment is for another resource")
        }
        let nonce = proof.authorization.payer + "/" + proof.authorization.nonce
        // Two requests with one authorization at once: only the first goes on (the other would be served free).
        guard await book.begin(nonce) else {
            return refusal(Self.status402, resource, .kuraNonceUsed(scheme), "this authorization is already in use")
        }
        // Ended before the answer leaves (not in a task of its own), so that the payer's next request with this
        // authorization, sent once it has the answer, never finds it still in use.
        let answer: Response
        do {
            answer = try await paidV2InUse(
                payment, proof, requirements, scheme, identifier: identifier != nil, key: nonce, resource, request,
                context, next)
        } catch {
            await book.end(nonce)
            throw error
        }
        await book.end(nonce)
        return answer
    }

    /// The v2 payment once its authorization is marked in use (`key`): the request check of an identified
    /// payment, then verify, serve and settle in the middleware's order.
    private func paidV2InUse(
        _ payment: PaymentPayload, _ proof: KuraPaymentProof, _ requirements: PaymentRequirements,
        _ scheme: KuraScheme, identifier: Bool, key nonce: String, _ resource: ResourceInfo, _ request: Request,
        _ context: Context, _ next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // An identified payment's repeat is served again (its payer's retry after a lost answer), but only for the
        // request it was first served for: the resource is the path alone, and one payment must not buy every
        // query, method and body its payer cares to send while the authorization's window lasts (review finding).
        // The request is remembered only once Kura has checked the payment: a forged header costs no memory.
        var request = request
        var digest: [UInt8]?
        if identifier {
            let body = try await request.collectBody(upTo: Self.identifiedBodyLimit)
            var described = Array("\(request.method.rawValue) \(request.uri.description)\n".utf8)
            described.append(contentsOf: body.readableBytesView)
            digest = SHA256.hash(described)
        }
        let served = request
        func anotherRequest() async -> Response? {
            guard let digest else { return nil }
            let now = UInt64(max(0, Date().timeIntervalSince1970))
            let until =
                min(proof.authorization.validBefore.seconds, now + requirements.maxTimeoutSeconds)
                + Self.repeatWindowMarginSeconds
            guard await book.serve(nonce, request: digest, until: until, now: now) else {
                return refusal(
                    .conflict, resource, .paymentIdentifierConflict,
                    "this payment was served for another request; a repeat must be the same request")
            }
            return nil
        }
        let facilitatorRequest = FacilitatorRequest(paymentPayload: payment, paymentRequirements: requirements)
        switch order {
        case .afterServing:
            let verdict: VerifyResponse
            do { verdict = try await client.x402Verify(facilitatorRequest) } catch {
                return unavailable(resource, error)
            }
            guard verdict.isValid else {
                return refusal(
                    resource, verdict.invalidReason ?? .unexpectedVerifyError,
                    verdict.invalidMessage ?? "the facilitator refused the payment")
            }
            if let refused = await anotherRequest() { return refused }
            var response = try await next(served, context)
            guard (200..<300).contains(response.status.code) else { return response }
            // The whole body is made before settling: a body that fails while it is written costs nothing.
            let body = try await Self.collect(&response)
            return await settle(facilitatorRequest, scheme, resource) { (response, body) }
        case .beforeServing:
            return await settle(facilitatorRequest, scheme, resource) {
                // Settled already: for an identified repeat, Kura answered the first settlement again.
                if let refused = await anotherRequest() { return (refused, []) }
                do { return try await Self.withBody(try await next(served, context)) } catch {
                    // Paid already: the failure is answered here, so that it carries PAYMENT-RESPONSE too (and an
                    // escrow's delivery, if the error's answer is a 2xx, is its body's hash).
                    let answer = Response.answering(error, to: served, context: context)
                    return (try? await Self.withBody(answer)) ?? (answer, [])
                }
            }
        }
    }

    /// Settles the payment, and answers what `serve` gives (the answer and, for a 2xx, its whole body) with the
    /// settlement attached; a refused settlement is the 402 (409 for a payment identifier's conflict) with the
    /// settlement attached. Settling after serving, `serve` gives the 2xx answer already made; before, it runs
    /// the route only now.
    ///
    /// Kura refuses a repeat of an authorization it settled before (`repeat=refuse`), unless it is the payer's
    /// identified retry of the same payload or this call's own retry (the client resends its `Idempotency-Key`):
    /// so one authorization is served once, even by two provider processes at once.
    private func settle(
        _ facilitatorRequest: FacilitatorRequest, _ scheme: KuraScheme, _ resource: ResourceInfo,
        serve: () async -> (Response, [UInt8])
    ) async -> Response {
        let settlement: SettleResponse
        do { settlement = try await client.x402Settle(facilitatorRequest, repeats: .refuse) } catch {
            return unavailable(resource, error)
        }
        let settlementHeader = (try? X402Codec.header(settlement)) ?? ""
        guard settlement.success else {
            var failed = refusal(
                resource, settlement.errorReason ?? .unexpectedSettleError,
                settlement.errorMessage ?? "the settlement failed")
            failed.headers[X402Header.paymentResponse] = settlementHeader
            return failed
        }
        var (response, body) = await serve()
        response.headers[X402Header.paymentResponse] = settlementHeader
        guard (200..<300).contains(response.status.code) else { return response }
        if scheme == .escrow, let escrow = EscrowID(settlement.transaction),
            let withheld = await deliver(escrow, body, resource)
        {
            return withheld
        }
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Marks the escrow delivered with the SHA-256 of the body, before the body leaves. An escrow that is not
    /// delivered goes back to its payer (the payer may cancel it until then, and it expires at its deadline), so
    /// the body is answered only once the escrow stands delivered: now, or by an earlier serving of the same
    /// identified payment. Returns nil to serve, else the answer to give instead: 402 when the escrow no longer
    /// pays for anything (cancelled, refunded, expired), 503 when delivery could not be marked (Kura
    /// unreachable, or the escrow still locked), so that the client retries with the same payment.
    private func deliver(_ escrow: EscrowID, _ body: [UInt8], _ resource: ResourceInfo) async -> Response? {
        let evidence = DeliverRequest(evidence: Hex.encode(SHA256.hash(body)))
        let refused: any Error
        do {
            _ = try await client.perform(KuraAPI.deliverEscrow, at: escrow, evidence)
            return nil
        } catch {
            refused = error
        }
        // Refused: delivered before (the identified repeat of a payment served already), or no longer locked.
        let state: Escrow.State
        do { state = try await client.perform(KuraAPI.showEscrow, at: escrow, EmptyRequest()).state } catch {
            return unavailable(resource, error)
        }
        switch state {
        case .delivered, .released, .disputed, .resolved:
            return nil
        case .locked:
            return unavailable(resource, refused)
        case .cancelled, .refunded, .expired:
            logger.warning(
                "escrow not delivered: the answer is withheld",
                metadata: ["escrow": "\(escrow)", "state": "\(state.rawValue)", "error": "\(refused)"])
            return refusal(
                Self.status402, resource, .invalidTransactionState,
                "escrow \(escrow) is \(state.rawValue): it pays for nothing")
        }
    }

    // MARK: Seed dialect

    private func paidSeed(
        _ resource: ResourceInfo, _ request: Request, _ context: Context,
        _ next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let retry: SeedPaymentRetry
        do {
            retry = try SeedPaymentRetry.parse { name in
                request.headers[values: HTTPField.Name(name)!]
            }
        } catch { return refusal(.badRequest, resource, error.reason, error.detail) }
        if let solana = configuration.solanaSeed {
            return try await paidSeedOnSolana(solana, retry, resource, request, context, next)
        }
        let payment: Payment
        do { payment = try configuration.checkSeedReceipt(retry) } catch {
            return refusal(
                error.reason == .invalidPayload ? .badRequest : Self.status402, resource, error.reason, error.detail)
        }
        do {
            let recorded = try await client.payment(payment.paymentId, payer: payment.payer)
            guard recorded == payment else {
                return refusal(Self.status402, resource, .invalidPayload, "Kura's record of this payment differs")
            }
        } catch {
            if error.kind == .retryable { return unavailable(resource, error) }
            return refusal(Self.status402, resource, .invalidPayload, "Kura has no such payment: \(error.detail)")
        }
        do {
            guard try await book.spend(receipt: "\(payment.payer)/\(payment.paymentId)") else {
                return refusal(Self.status402, resource, .invalidTransactionState, "this receipt was already used")
            }
        } catch {
            return unavailable(resource, error)
        }
        var response = try await next(request, context)
        if (200..<300).contains(response.status.code) { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// A seed retry paid on Solana: the receipt is the transaction's signature; Kura fetches the transaction
    /// and accepts it once (durably, in its log) if it paid the price of the mint to `payTo`'s token account
    /// with a Memo equal to `X-Payment-ID`.
    private func paidSeedOnSolana(
        _ solana: SolanaSeedOffer, _ retry: SeedPaymentRetry, _ resource: ResourceInfo, _ request: Request,
        _ context: Context, _ next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard X402Offer.deadline(ofPaymentID: retry.paymentID) != nil else {
            return refusal(
                Self.status402, resource, .invalidPaymentRequirements, "X-Payment-ID is not one this provider quoted")
        }
        let ask = ChainReceiptAsk(
            network: solana.network, signature: retry.receipt, paymentId: retry.paymentID, payTo: solana.payTo,
            asset: solana.mint, amount: solana.price)
        do {
            _ = try await client.acceptChainReceipt(ask)
        } catch {
            if error.kind == .retryable { return unavailable(resource, error) }
            let reason: X402Reason = error.code == "transfer_used" ? .invalidTransactionState : .invalidPayload
            return refusal(
                error.code == "invalid_request" ? .badRequest : Self.status402, resource, reason,
                "\(error.code): \(error.detail)")
        }
        var response = try await next(request, context)
        if (200..<300).contains(response.status.code) { response.headers[.cacheControl] = "no-store" }
        return response
    }

    // MARK: Answers

    /// The 402 with both header sets and the `PaymentRequired` JSON as the body.
    private func paymentRequired(_ resource: ResourceInfo, error: String) -> Response {
        let required = PaymentRequired(
            error: error, resource: resource, accepts: configuration.requirements(),
            extensions: [PaymentIdentifier.name: PaymentIdentifier.offer(required: false)])
        let json = (try? X402Codec.json(required)) ?? []
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers[X402Header.paymentRequired] = Base64.encode(json)
        for (name, value) in configuration.seedRequest(now: Date()).headers { headers[HTTPField.Name(name)!] = value }
        return Response(
            status: Self.status402, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// A payment the facilitator refused: the 402 again, its body naming the reason; the payment-identifier
    /// extension's conflict (the same ID with another payload) is 409 at a resource server.
    private func refusal(_ resource: ResourceInfo, _ reason: X402Reason, _ detail: String) -> Response {
        refusal(reason == .paymentIdentifierConflict ? .conflict : Self.status402, resource, reason, detail)
    }

    /// A refused payment: the 402 again (or 400 for a malformed one), its body naming the reason.
    private func refusal(
        _ status: HTTPResponse.Status, _ resource: ResourceInfo, _ reason: X402Reason, _ detail: String
    )
        -> Response
    {
        var response = paymentRequired(resource, error: "\(reason.rawValue): \(detail)")
        response.status = status
        return response
    }

    /// Kura could not be reached: 503, so the client retries rather than paying again.
    private func unavailable(_ resource: ResourceInfo, _ error: any Error) -> Response {
        logger.warning("x402 facilitator unreachable", metadata: ["error": "\(error)"])
        var response = paymentRequired(resource, error: "unexpected_settle_error: Kura is unavailable")
        response.status = .serviceUnavailable
        return response
    }

    /// The answer and, for a 2xx, its whole body (``collect(_:)``); another answer's body is not read.
    private static func withBody(_ response: Response) async throws -> (Response, [UInt8]) {
        var response = response
        guard (200..<300).contains(response.status.code) else { return (response, []) }
        let body = try await collect(&response)
        return (response, body)
    }

    /// Reads the route's body (to hash it), leaving the response with the same bytes.
    static func collect(_ response: inout Response) async throws -> [UInt8] {
        let box = BodyBox()
        try await response.body.write(CollectingWriter(box: box))
        let bytes = box.bytes
        response.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
        return bytes
    }
}

/// The header names of both dialects, as Hummingbird fields.
public enum X402Header {
    public static let paymentRequired = HTTPField.Name(X402Codec.Header.paymentRequired)!
    public static let paymentSignature = HTTPField.Name(X402Codec.Header.paymentSignature)!
    public static let paymentResponse = HTTPField.Name(X402Codec.Header.paymentResponse)!
    public static let seedReceipt = HTTPField.Name(SeedHeaders.receipt)!
    public static let seedID = HTTPField.Name(SeedHeaders.id)!
}

private final class BodyBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}

private struct CollectingWriter: ResponseBodyWriter {
    let box: BodyBox
    mutating func write(_ buffer: ByteBuffer) async throws { box.bytes += Array(buffer.readableBytesView) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

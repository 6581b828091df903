import AsyncHTTPClient
import Foundation
import KuraCore
import KuraCrypto
import NIOCore
import NIOHTTP1

/// A Swift SDK for a Kura server: typed calls over HTTP, safe retries, classified errors.
///
/// Every POST carries an Idempotency-Key (the caller's, or a fresh one per logical call); a retry after
/// a transport failure or a 5xx reuses the same key, so the server applies the command at most once.
public final class KuraClient: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8402`.
    public let baseURL: String
    let apiKey: String?
    /// Signs requests with the party's key (`kura-request-v2`) when there is no API key.
    let signer: RequestSigner?
    let instance = InstanceCache()
    let httpClient: HTTPClient
    let maxAttempts: Int
    let timeout: TimeAmount
    /// Decision envelopes from ``verify(_:idempotencyKey:)``, kept for ``settle(_:lane:)``.
    let envelopes = EnvelopeStore()

    /// Creates a client. `apiKey` is sent as `Authorization: Bearer`; without one, `signer` signs each
    /// request with the party's own key.
    public init(
        baseURL: String, apiKey: String?, signer: RequestSigner? = nil, httpClient: HTTPClient = .shared,
        maxAttempts: Int = 4, timeout: TimeAmount = .seconds(30)
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.signer = signer
        if let pinned = signer?.instance { instance.set(pinned) }
        self.httpClient = httpClient
        self.maxAttempts = max(1, maxAttempts)
        self.timeout = timeout
    }

    /// A raw answer.
    public struct Response: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: [UInt8]

        /// The body as JSON.
        public func json() throws(KuraClientError) -> JSONValue {
            do { return try JSONValue.parse(body) } catch {
                throw KuraClientError(
                    kind: .invalid, status: status, code: "invalid_response",
                    detail: "the answer is not JSON: \(error.reason)")
            }
        }
    }

    /// Sends one request, retrying retryable failures with backoff. Non-2xx answers become errors.
    public func send(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, idempotencyKey: String? = nil
    ) async throws(KuraClientError) -> Response {
        try await send(method, path, body: body, idempotencyKey: idempotencyKey, signed: true)
    }

    /// The server's instance name for signed texts (`<log key name>+<hex key ID>`), from `GET /v1/log/key`
    /// the first time (unless the signer pinned it).
    public func instanceName() async throws(KuraClientError) -> String {
        if let known = instance.get() { return known }
        let text = String(decoding: try await send(.GET, "/v1/log/key", signed: false).body, as: UTF8.self)
        guard let name = RequestSigner.instance(fromVerifierKey: text) else {
            throw KuraClientError(
                kind: .invalid, status: nil, code: "invalid_response", detail: "GET /v1/log/key is not a verifier key")
        }
        instance.set(name)
        return name
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, idempotencyKey: String? = nil, signed: Bool
    ) async throws(KuraClientError) -> Response {
        var bytes: [UInt8]?
        if let body {
            do { bytes = try body.canonicalBytes() } catch {
                throw KuraClientError(kind: .invalid, status: nil, code: "invalid_request", detail: error.reason)
            }
        }
        return try await send(method, path, canonicalBody: bytes, idempotencyKey: idempotencyKey, signed: signed)
    }

    /// Sends a body that is canonical JSON already (nil: none).
    func send(
        _ method: HTTPMethod, _ path: String, canonicalBody: [UInt8]?, idempotencyKey: String?, signed: Bool
    ) async throws(KuraClientError) -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.headers.add(name: "Accept", value: "application/json")
        let bytes = canonicalBody ?? []
        if canonicalBody != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        if method == .POST {
            let key = idempotencyKey ?? "kc-" + Base58.encode(SecureRandom.bytes(16))
            request.headers.add(name: "Idempotency-Key", value: key)
        }
        // The request target exactly as sent: the base URL's own path (if any), then the path and query.
        let target = (URLComponents(string: baseURL)?.percentEncodedPath ?? "") + path
        let signingInstance: String? =
            apiKey == nil && signer != nil && signed ? try await instanceName() : nil
        var attempt = 0
        while true {
            attempt += 1
            if let signer, let signingInstance {
                for (name, value) in signer.headers(
                    instance: signingInstance, method: method.rawValue, pathWithQuery: target, body: bytes)
                {
                    request.headers.replaceOrAdd(name: name, value: value)
                }
            }
            do {
                if !bytes.isEmpty { request.body = .bytes(ByteBuffer(bytes: bytes)) }
                let response = try await httpClient.execute(request, timeout: timeout)
                let buffer = try await response.body.collect(upTo: 16 << 20)
                let answer = Response(
                    status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
                if (200..<300).contains(answer.status) { return answer }
                let failure = Self.problem(answer)
                if failure.kind == .retryable && attempt < maxAttempts {
                    try? await Task.sleep(for: .milliseconds(100 << attempt))
                    continue
                }
                throw failure
            } catch let error as KuraClientError {
                throw error
            } catch {
                guard attempt < maxAttempts else {
                    throw KuraClientError(
                        kind: .retryable, status: nil, code: "unavailable", detail: "\(baseURL): \(error)")
                }
                try? await Task.sleep(for: .milliseconds(100 << attempt))
            }
        }
    }

    static func problem(_ response: Response) -> KuraClientError {
        let json = try? JSONValue.parse(response.body)
        let code = json?["code"]?.stringValue ?? "http_\(response.status)"
        let detail = json?["detail"]?.stringValue ?? "HTTP \(response.status)"
        return KuraClientError(
            kind: KuraClientError.classify(status: response.status), status: response.status, code: code, detail: detail
        )
    }

    /// Decodes a JSON answer.
    static func decode<T: Decodable>(_ type: T.Type, _ response: Response) throws(KuraClientError) -> T {
        do { return try response.json().decode(T.self) } catch {
            throw KuraClientError(
                kind: .invalid, status: response.status, code: "invalid_response", detail: "unexpected answer: \(error)"
            )
        }
    }
}

import Foundation
import HTTPTypes

#if canImport(Glibc)
    import Glibc
#endif

/// Who a request comes from, for the public routes' rate limits.
///
/// By default the socket's peer address. Behind a reverse proxy every request has the proxy's address, so
/// an operator names the proxy (``trustedProxies``): a request whose peer is one of them is attributed to the
/// address the proxies recorded in `X-Forwarded-For`, read from the right (the entry the nearest proxy
/// appended) past any other trusted proxy. The header is never believed from any other peer, where anyone
/// could write it; a missing or malformed entry leaves the request on the proxy's own address.
public struct ClientAddress: Sendable {
    /// The proxies' addresses, in canonical text (`inet_ntop`).
    let trustedProxies: Set<String>

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// No trusted proxy: every request is its peer's.
    static let direct = ClientAddress(canonical: [])

    private init(canonical: Set<String>) { trustedProxies = canonical }

    /// `proxies` are IPv4 or IPv6 addresses; anything else is refused.
    init(trustedProxies proxies: [String]) throws(ClientAddressError) {
        var canonical: Set<String> = []
        for proxy in proxies {
            guard let address = Self.canonical(proxy) else { throw ClientAddressError(text: proxy) }
            canonical.insert(address)
        }
        trustedProxies = canonical
    }

    /// The client of a request from `peer` with these headers.
    func client(peer: String, headers: HTTPFields) -> String {
        let peerAddress = Self.canonical(peer) ?? peer
        guard trustedProxies.contains(peerAddress) else { return peerAddress }
        let hops = headers[values: Self.forwardedFor].flatMap { $0.split(separator: ",") }
        var client = peerAddress
        for hop in hops.reversed() {
            guard let address = Self.canonical(hop.trimmingCharacters(in: .whitespaces)) else { break }
            client = address
            if !trustedProxies.contains(address) { break }
        }
        return client
    }

    /// `text` in canonical form when it is an IPv4 or IPv6 address, else nil (for validating options).
    public static func canonicalAddress(_ text: String) -> String? { canonical(text) }

    /// The rate limiter's key for an address: the address itself for IPv4, its /64 network for IPv6 (one
    /// host commonly holds a whole /64, so single addresses would cost an attacker nothing).
    static func bucketKey(_ address: String) -> String {
        var v6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        let prefix = withUnsafeBytes(of: &v6) { Array($0.prefix(8)) }
        return prefix.map { String(format: "%02x", $0) }.joined() + "::/64"
    }

    /// An address in canonical text, IPv4-mapped IPv6 as IPv4; nil when the text is not an address.
    static func canonical(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return ntop(AF_INET, &v4, Int(INET_ADDRSTRLEN)) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return ntop(AF_INET6, &v6, Int(INET6_ADDRSTRLEN))
    }

    private static func ntop<T>(_ family: Int32, _ address: inout T, _ length: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: length)
        let text = withUnsafeBytes(of: &address) { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(length)) }
        guard text != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A trusted proxy that is not an IP address.
public struct ClientAddressError: Error, Sendable, CustomStringConvertible {
    /// The text given.
    public let text: String
    public var description: String { "'\(text)' is not an IPv4 or IPv6 address" }
}

extension Endpoint {
    /// The largest body a POST route reads: 64 KiB. Kura's requests are small JSON objects (IDs, amounts,
    /// digests, signatures; the largest, an x402 payment, is a few KiB); the server's configured limit
    /// applies on top of this one.
    static let maxCommandBodyBytes = 64 << 10

    /// The largest body this route reads, after the caller is known. A GET reads none: any body is refused
    /// (413) without being read.
    var maxBodyBytes: Int { route.method == "GET" ? 0 : Self.maxCommandBodyBytes }
}

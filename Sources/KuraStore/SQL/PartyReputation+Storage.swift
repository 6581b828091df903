import KuraCore

/// The projection's row format for a party's state: little-endian 64-bit integers, compact and quick to
/// read and write on every receipt (JSON cost more than the rest of an append). Per role, provider first:
/// positive, negative, tick, the twelve counts in declaration order, then the volume (count, then per
/// asset: name length, name bytes, units) and the latency histogram (count, then bucket and count pairs),
/// both in sorted order so the same state is always the same bytes.
extension PartyReputation {
    /// The stored bytes.
    public var storageBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        for role in [provider, payer] {
            let e = role.evidence
            let f = role.facts
            for value in [
                e.positive, e.negative, e.tick, f.escrows, f.completed, f.deliveries, f.onTimeDeliveries, f.refunds,
                f.refundsBeforeDelivery, f.expiries, f.cancellations, f.disputes, f.disputesResolved, f.disputesLost,
                f.frivolousDisputes,
            ] {
                Self.put(value, &out)
            }
            Self.put(UInt64(f.volume.count), &out)
            for (asset, units) in f.volume.sorted(by: { $0.key < $1.key }) {
                let name = Array(asset.utf8)
                Self.put(UInt64(name.count), &out)
                out += name
                Self.put(units, &out)
            }
            let latencies = f.latencies.compactMap { key, count in UInt64(key).map { ($0, count) } }
            Self.put(UInt64(latencies.count), &out)
            for (bucket, count) in latencies.sorted(by: { $0.0 < $1.0 }) {
                Self.put(bucket, &out)
                Self.put(count, &out)
            }
        }
        return out
    }

    /// Reads stored bytes back.
    public init(storage bytes: [UInt8]) throws(KuraError) {
        var reader = Reader(bytes: bytes)
        self.init()
        for index in 0..<2 {
            var role = RoleReputation()
            role.evidence = Evidence(positive: try reader.next(), negative: try reader.next(), tick: try reader.next())
            role.facts.escrows = try reader.next()
            role.facts.completed = try reader.next()
            role.facts.deliveries = try reader.next()
            role.facts.onTimeDeliveries = try reader.next()
            role.facts.refunds = try reader.next()
            role.facts.refundsBeforeDelivery = try reader.next()
            role.facts.expiries = try reader.next()
            role.facts.cancellations = try reader.next()
            role.facts.disputes = try reader.next()
            role.facts.disputesResolved = try reader.next()
            role.facts.disputesLost = try reader.next()
            role.facts.frivolousDisputes = try reader.next()
            for _ in 0..<(try reader.next()) {
                let name = try reader.bytes(Int(try reader.next()))
                role.facts.volume[String(decoding: name, as: UTF8.self)] = try reader.next()
            }
            for _ in 0..<(try reader.next()) {
                role.facts.latencies[String(try reader.next())] = try reader.next()
            }
            if index == 0 { provider = role } else { payer = role }
        }
        guard reader.offset == bytes.count else {
            throw KuraError(.storageFailure, "a stored reputation state has \(bytes.count - reader.offset) extra bytes")
        }
    }

    private static func put(_ value: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func next() throws(KuraError) -> UInt64 {
            guard bytes.count - offset >= 8 else {
                throw KuraError(.storageFailure, "a stored reputation state is truncated")
            }
            let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
            offset += 8
            return UInt64(littleEndian: value)
        }

        mutating func bytes(_ count: Int) throws(KuraError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - offset else {
                throw KuraError(.storageFailure, "a stored reputation state is truncated")
            }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
    }
}

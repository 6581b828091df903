import KuraCrypto

/// A command's canonical JSON (`{"op": …, "request": …}`), made once, before the writer: its idempotency hash,
/// its command ID and the identifiers of what it creates are all hashes of objects that contain it, and the
/// canonical form of an object is its members' canonical forms in key order, so those objects are laid out
/// around these bytes instead of canonicalising the command again inside the writer for each.
public struct CanonicalCommand: Sendable {
    /// The RFC 8785 bytes of the command.
    public let bytes: [UInt8]

    public init(_ command: JSONValue) throws(JSONError) {
        bytes = try command.canonicalBytes()
    }

    /// The command `{"op": operation, "request": <the request>}` around the request's canonical bytes, laid out
    /// as canonicalising the whole would ("op" < "request"), for a caller that needed those bytes anyway.
    public init(operation: String, canonicalRequest: [UInt8]) {
        var out: [UInt8] = []
        out.reserveCapacity(canonicalRequest.count + operation.utf8.count + 20)
        out.append(contentsOf: #"{"op":"#.utf8)
        JSONValue.appendCanonicalString(operation, to: &out)
        out.append(contentsOf: #","request":"#.utf8)
        out.append(contentsOf: canonicalRequest)
        out.append(UInt8(ascii: "}"))
        bytes = out
    }

    /// The canonical bytes of `{"actor": actor, "command": <the command>, "seq": seq}`, `actor` left out when nil.
    /// Keys in RFC 8785 order ("actor" < "command" < "seq"). Below 2^53 the ECMAScript number text of `seq` is its
    /// decimal digits; from there on it is the text of the nearest double, as when `seq` was a JSON number.
    public func material(actor: String? = nil, seq: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        out.append(UInt8(ascii: "{"))
        if let actor {
            out.append(contentsOf: #""actor":"#.utf8)
            JSONValue.appendCanonicalString(actor, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""command":"#.utf8)
        out.append(contentsOf: bytes)
        out.append(contentsOf: #","seq":"#.utf8)
        if seq < 1 << 53 {
            out.append(contentsOf: String(seq).utf8)
        } else {
            out.append(contentsOf: (try? JSONValue.number(Double(seq)).canonicalBytes()) ?? [])
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension KuraIdentifier {
    /// Derives an identifier from a command made canonical once; the same as ``derive(command:seq:)`` with its JSON.
    public static func derive(command: CanonicalCommand, seq: UInt64) -> Self {
        Self(unchecked: prefix + "_" + Base58.encode(SHA256.hash(command.material(seq: seq)).prefix(16)))
    }
}

import KuraCrypto
import KuraX402

extension JSONValue {
    /// A copy with the value at `path` (object keys, or decimal array indices) replaced, or removed when `value` is nil.
    func setting(_ path: [String], _ value: JSONValue?) -> JSONValue {
        guard let head = path.first else { return value ?? .null }
        let rest = Array(path.dropFirst())
        switch self {
        case .object(var members):
            if rest.isEmpty, value == nil {
                members.removeValue(forKey: head)
            } else {
                members[head] = (members[head] ?? .null).setting(rest, value)
            }
            return .object(members)
        case .array(var items):
            guard let index = Int(head), items.indices.contains(index) else { return self }
            if rest.isEmpty, value == nil {
                items.remove(at: index)
            } else {
                items[index] = items[index].setting(rest, value)
            }
            return .array(items)
        default:
            return self
        }
    }

    /// Every path in the value (objects and arrays included), for picking mutation points.
    var paths: [[String]] {
        var out: [[String]] = [[]]
        switch self {
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) { out += member.paths.map { [key] + $0 } }
        case .array(let items):
            for (i, item) in items.enumerated() { out += item.paths.map { [String(i)] + $0 } }
        default: break
        }
        return out
    }
}

/// Header text for raw JSON text: standard base64 of its UTF-8.
func header(_ json: String) -> String { Base64.encode(Array(json.utf8)) }

/// Header text for a JSON value, canonical.
func header(_ json: JSONValue) -> String { Base64.encode(try! json.canonicalBytes()) }

import KuraCrypto

/// A type's `Decodable` form alone, hiding that it can read itself (`JSONMemberReadable`): the reference a
/// reader is held to, in tests and in `kura bench canonical`.
public struct DecodableOnly<Value: Decodable>: Decodable {
    /// The value `Decodable` read.
    public let value: Value
    public init(from decoder: any Decoder) throws { value = try Value(from: decoder) }
}

/// Holds a `JSONMemberReadable` to its `Decodable` form: a value as written and with members mutated. A reader
/// may give up where `Decodable` reads (`Decodable` then reads), but what it reads must be what `Decodable` reads,
/// and what `Decodable` refuses it must not read.
public struct JSONReadingCheck {
    /// Mutations the reader read, as `Decodable` did.
    public var read = 0
    /// Mutations both refused.
    public var refused = 0
    /// Mutations the reader left to `Decodable`, which read them.
    public var leftToDecodable = 0
    /// Disagreements, described.
    public var mismatches: [String] = []

    public init() {}

    /// Checks `value` as written, then `mutations` mutated copies of it.
    public mutating func check<T: JSONMemberReadable & Encodable & Equatable>(
        _ value: T, mutations: Int = 4, _ rng: inout SplitMix64
    ) throws {
        let json = try JSONValue(encoding: value)
        if (try? T(reading: JSONMembers(json.objectValue ?? [:]))) != value {
            mismatches.append("\(T.self) as written: \(json)")
        }
        for _ in 0..<mutations {
            var mutated = json
            for _ in 0...Int.random(in: 0...1, using: &rng) { mutated = Self.mutate(mutated, &rng) }
            let reference = try? mutated.decode(DecodableOnly<T>.self).value
            let read = mutated.objectValue.flatMap { try? T(reading: JSONMembers($0)) }
            if (try? mutated.decode(T.self)) != reference { mismatches.append("\(T.self) decoded: \(mutated)") }
            if let read {
                if read != reference { mismatches.append("\(T.self) read: \(mutated)") }
                self.read += 1
            } else if reference == nil {
                refused += 1
            } else {
                leftToDecodable += 1
            }
        }
    }

    /// One member somewhere in the object removed, made null, replaced, given an odd number or string, or an
    /// unknown member added.
    public static func mutate(_ value: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        guard case .object(var members) = value, let key = members.keys.sorted().randomElement(using: &rng) else {
            return JSONSamples.value(&rng)
        }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: members[key] = nil
        case 1: members[key] = .null
        case 2: members[key] = JSONSamples.value(&rng)
        case 3: members["unknown\(Int.random(in: 0...3, using: &rng))"] = JSONSamples.value(&rng)
        case 4:
            let numbers: [Double] = [
                -1, 0.5, -0.0, 9_007_199_254_740_991, -9_007_199_254_740_991, 9_007_199_254_740_992, 1e300, 3,
            ]
            members[key] = .number(numbers.randomElement(using: &rng)!)
        case 5: members[key] = .string(["01", "-1", "9007199254740992", "12", "1.0", " 7"].randomElement(using: &rng)!)
        default: members[key] = mutate(members[key]!, &rng)
        }
        return .object(members)
    }
}

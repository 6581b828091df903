import KuraCrypto

/// Random JSON for seeded tests that hold a hand-written reader or writer to the generic path.
public enum JSONSamples {
    /// A random JSON value of every kind, escapes and non-ASCII text included.
    public static func value(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let strings = ["", "a", "postings", "é\u{1F600}", "quote\"back\\slash", "tab\tnewline\n", "\u{7F}x", "\u{1}"]
        switch Int.random(in: 0..<(depth < 3 ? 7 : 4), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let numbers: [Double] = [0, -1, 1e21, 1.5e-7, 4_503_599_627_370_496, -0.25, 123_456_789]
            return .number(numbers.randomElement(using: &rng)!)
        case 3: return .string(strings.randomElement(using: &rng)!)
        case 4, 5:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                members[strings.randomElement(using: &rng)! + "\(Int.random(in: 0...3, using: &rng))"] =
                    value(&rng, depth: depth + 1)
            }
            return .object(members)
        default:
            return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(&rng, depth: depth + 1) })
        }
    }
}

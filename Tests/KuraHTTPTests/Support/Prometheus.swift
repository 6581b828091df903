/// A Prometheus text exposition read back into series, written independently of swift-prometheus: each
/// line `name{label="value",…} number` (or `name number`), `#` lines skipped.
struct PrometheusText: CustomStringConvertible {
    struct Series: Hashable {
        let name: String
        let labels: [String: String]
    }

    let values: [Series: Double]
    let text: String

    init(_ text: String) throws {
        self.text = text
        var values: [Series: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw TestFailure("not a sample line: \(line)")
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let brace = series.firstIndex(of: "{") {
                name = series[..<brace]
                guard series.hasSuffix("}") else { throw TestFailure("unclosed labels: \(line)") }
                var rest = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                while !rest.isEmpty {
                    guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)] == "\"" else {
                        throw TestFailure("bad label in \(line)")
                    }
                    let key = String(rest[..<equals])
                    var index = rest.index(equals, offsetBy: 2)
                    var value = ""
                    while rest[index] != "\"" {
                        if rest[index] == "\\" { index = rest.index(after: index) }
                        value.append(rest[index])
                        index = rest.index(after: index)
                    }
                    labels[key] = value
                    rest = rest[rest.index(after: index)...]
                    if rest.first == "," { rest = rest.dropFirst() }
                }
            } else {
                name = series
            }
            values[Series(name: String(name), labels: labels)] = value
        }
        self.values = values
    }

    /// The sample of `name` with exactly `labels`, if present.
    subscript(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        values[Series(name: name, labels: labels)]
    }

    /// Every series named `name`.
    func series(_ name: String) -> [Series: Double] { values.filter { $0.key.name == name } }

    var description: String { text }
}

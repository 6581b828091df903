import KuraCore
import Testing

@testable import kura

/// `kura serve --config` files as editors save them.
@Suite("kura serve: configuration files")
struct ConfigFileTests {
    static let known = ["port": false, "db": false, "solana-asset": true]

    @Test("a file saved with CRLF line endings reads line by line, no value keeping a carriage return")
    func crlfLineEndings() throws {
        let text = "# Kura\r\nport = 8402\r\ndb = /var/lib/kura/kura.sqlite\r\nsolana-asset = a\r\nsolana-asset = b\r\n"
        let file = try ConfigFile(text: text, path: "kura.conf", known: Self.known)
        #expect(file.values["port"] == ["8402"])
        #expect(file.values["db"] == ["/var/lib/kura/kura.sqlite"])
        #expect(file.values["solana-asset"] == ["a", "b"])
        let error = #expect(throws: KuraError.self) {
            try ConfigFile(text: "port = 1\r\nbogus = 2\r\n", path: "kura.conf", known: Self.known)
        }
        #expect(error?.detail.contains("kura.conf:2") == true, "\(String(describing: error))")
    }
}

/// Command-line values that would crash arithmetic are usage errors.
@Suite("kura: numeric options in range")
struct NumericOptionTests {
    @Test("a half-life in days whose milliseconds overflow is refused, not a crash")
    func halfLifeOverflow() throws {
        let base = ["--receipts", "receipts.jsonl"]
        for days in ["106751991167301", "9223372036854775807", "0", "-1"] {
            #expect(throws: (any Error).self, "\(days)") {
                try ReputationCommands.Compute.parse(base + ["--half-life-days", days])
            }
        }
        let longest = try ReputationCommands.Compute.parse(base + ["--half-life-days", "106751991167"])
        #expect(longest.halfLifeDays == 106_751_991_167)
    }
}

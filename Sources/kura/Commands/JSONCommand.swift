import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto

/// `kura json …`: RFC 8785 canonical JSON from the command line.
struct JSONCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json",
        abstract: "JSON utilities.",
        subcommands: [Canonicalize.self])

    struct Canonicalize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read JSON on stdin and write its RFC 8785 canonical form to stdout.",
            discussion: """
                Refuses (exit 64) anything that is not I-JSON: trailing data, duplicate keys, lone \
                surrogates, numbers outside IEEE double.

                Example: echo '{"b":1,"a":[1.0,"x"]}' | kura json canonicalize
                """)

        func run() async throws {
            try await reportingErrors {
                let input = FileHandle.standardInput.readDataToEndOfFile()
                guard input.count <= 64 << 20 else { throw KuraError(.payloadTooLarge, "input is over 64 MiB") }
                do throws(JSONError) {
                    let canonical = try JSONValue.canonicalize([UInt8](input))
                    FileHandle.standardOutput.write(Data(canonical))
                } catch {
                    throw KuraError(.invalidRequest, "invalid JSON: \(error.reason)")
                }
            }
        }
    }
}

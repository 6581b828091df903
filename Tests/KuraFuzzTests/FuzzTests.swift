import Foundation
import KuraFuzz
import KuraTesting
import Testing

/// The short, seeded form of the fuzzing campaign (the long form is libFuzzer, `scripts/fuzz.sh`): every
/// committed corpus input and generated seed, then `KURA_FUZZ_ROUNDS` (default 3,000) mutations of them per
/// target. A broken invariant traps inside the target and fails the run.
@Suite("fuzzing: seeded mutations of the committed corpus")
struct FuzzTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    static var rounds: Int { Int(ProcessInfo.processInfo.environment["KURA_FUZZ_ROUNDS"] ?? "") ?? 3_000 }

    static func corpus(_ target: FuzzTarget) throws -> [[UInt8]] {
        let directory = corpusRoot.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            [UInt8](try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    static let tokens: [[UInt8]] = [
        "\"", "{", "}", "[", "]", ",", ":", "\\u", "\\ud800", "\n", "\u{2014} ", "=", "0", "-", "1e999", ".", "+",
        "null", "true", "\u{0}", "\u{FEFF}", "X-Payment-", "A",
    ].map { Array($0.utf8) }

    /// One to four random edits of `input`, with `other` for splicing.
    static func mutate(_ input: [UInt8], _ other: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[min(at, bytes.count - 1)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 3 where at < bytes.count:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
            case 4 where at < bytes.count:
                let chunk = bytes[at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng))]
                bytes.insert(contentsOf: chunk, at: at)
            case 5 where !other.isEmpty:
                let from = Int.random(in: 0..<other.count, using: &rng)
                bytes = Array(bytes.prefix(at)) + Array(other[from...].prefix(Int.random(in: 1...64, using: &rng)))
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    @Test("corpus and seeds run clean, mutations never break an invariant", arguments: FuzzTarget.allCases)
    func mutations(target: FuzzTarget) throws {
        let corpus = try Self.corpus(target)
        #expect(!corpus.isEmpty, "no committed corpus for \(target)")
        for seed in target.seeds { #expect(target.run(seed), "a generated seed of \(target) is not accepted") }
        let inputs = corpus + target.seeds
        var accepted = inputs.filter { target.run($0) }.count
        var rng = SplitMix64(seed: 0x4B55_5241_4655_5A5A &+ UInt64(target.rawValue.utf8.count))
        for _ in 0..<Self.rounds {
            let mutated = Self.mutate(inputs.randomElement(using: &rng)!, inputs.randomElement(using: &rng)!, &rng)
            if target.run(mutated) { accepted += 1 }
        }
        // The loop reaches past the parsers' first refusals: besides the seeds, inputs are still accepted.
        #expect(accepted > target.seeds.count, "\(target): \(accepted) accepted")
    }

    @Test("every generated seed is in the committed corpus (KURA_FUZZ_WRITE_SEEDS=1 writes the missing)")
    func seedsCommitted() throws {
        let write = ProcessInfo.processInfo.environment["KURA_FUZZ_WRITE_SEEDS"] == "1"
        for target in FuzzTarget.allCases {
            let directory = Self.corpusRoot.appendingPathComponent(target.rawValue)
            let committed = Set((try? Self.corpus(target)) ?? [])
            for (n, seed) in target.seeds.enumerated() where !committed.contains(seed) {
                if write {
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    try Data(seed).write(to: directory.appendingPathComponent("seed-\(n)"))
                } else {
                    Issue.record("seed \(n) of \(target) is not in Fixtures/fuzz/\(target.rawValue)")
                }
            }
        }
    }
}

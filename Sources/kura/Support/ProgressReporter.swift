import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of long CLI work, on stderr, for people: one line rewritten in place,
///
/// ```text
/// log verify  41.3%  413,000/1,000,000 events  152,301/s  eta 4s
/// ```
///
/// and a last line when the work ends (`log verify  1,000,000 events in 6.6s, 151,515/s`). Only when stderr
/// is a terminal and the command prints no JSON: a script, a pipe or a log file gets none of it, and stdout
/// is never touched. Thread-safe; updates are cheap and drawn at most ten times a second.
///
/// Any long command uses it the same way (`kura db copy` too):
///
/// ```swift
/// let progress = ProgressReporter("db copy", unit: .count("events"), total: head.seq, json: json)
/// for page in pages { copy(page); progress.advance(by: UInt64(page.count)) }
/// progress.finish()
/// ```
final class ProgressReporter: @unchecked Sendable {
    /// What is counted.
    enum Unit: Sendable {
        /// Items, named in the plural (`events`, `receipts`).
        case count(String)
        /// Bytes, shown in kB, MB or GB.
        case bytes
    }

    let label: String
    let unit: Unit
    /// Whether anything is drawn at all.
    let enabled: Bool
    private let lock = NSLock()
    private var total: UInt64?
    private var done: UInt64 = 0
    private let started: UInt64
    private var lastDrawn: UInt64?
    private var finished = false
    private let write: @Sendable (String) -> Void

    /// A reporter drawing on stderr when it is a terminal and `json` is false.
    convenience init(_ label: String, unit: Unit, total: UInt64?, json: Bool) {
        self.init(label, unit: unit, total: total, enabled: !json && Self.stderrIsTerminal) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// A reporter drawing through `write` when `enabled` (tests pass their own).
    init(_ label: String, unit: Unit, total: UInt64?, enabled: Bool, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.unit = unit
        self.total = total
        self.enabled = enabled
        self.write = write
        self.started = DispatchTime.now().uptimeNanoseconds
    }

    /// Whether stderr is a terminal (not a file, pipe or /dev/null).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Sets the total when it becomes known (or changes).
    func setTotal(_ total: UInt64?) { lock.withLock { self.total = total } }

    /// Records that `count` more are done.
    func advance(by count: UInt64) {
        guard enabled else { return }
        lock.withLock {
            done += count
            drawIfDue()
        }
    }

    /// Records that `done` are done in all.
    func update(done: UInt64) {
        guard enabled else { return }
        lock.withLock {
            self.done = done
            drawIfDue()
        }
    }

    /// Draws the last line and ends it with a newline. Safe to call more than once.
    func finish() {
        guard enabled else { return }
        lock.withLock {
            guard !finished else { return }
            finished = true
            let seconds = elapsed(DispatchTime.now().uptimeNanoseconds)
            write(
                "\r\u{1B}[2K\(label)  \(amount(done)) in \(Self.duration(seconds)), \(rate(seconds))\n")
        }
    }

    /// Draws the first update at once, then at most every 100 ms.
    private func drawIfDue() {
        guard !finished else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if let lastDrawn, now &- lastDrawn < 100_000_000 { return }
        lastDrawn = now
        write("\r\u{1B}[2K" + line(elapsed: elapsed(now)))
    }

    /// The in-place line: percentage, done/total, rate, estimate (the parts that are known).
    func line(elapsed seconds: Double) -> String {
        var parts = [label]
        if let total, total > 0 {
            let percent = Double(min(done, total)) / Double(total) * 100
            parts.append(String(format: "%5.1f%%", percent))
            parts.append("\(amount(done, unitless: true))/\(amount(total))")
        } else {
            parts.append(amount(done))
        }
        if seconds > 0, done > 0 {
            parts.append(rate(seconds))
            if let total, total > done {
                let perSecond = Double(done) / seconds
                parts.append("eta " + Self.duration(Double(total - done) / perSecond))
            }
        }
        return parts.joined(separator: "  ")
    }

    private func elapsed(_ now: UInt64) -> Double { Double(now &- started) / 1e9 }

    private func rate(_ seconds: Double) -> String {
        let perSecond = seconds > 0 ? Double(done) / seconds : 0
        switch unit {
        case .count: return "\(Self.grouped(UInt64(perSecond)))/s"
        case .bytes: return "\(Self.bytes(UInt64(perSecond)))/s"
        }
    }

    private func amount(_ value: UInt64, unitless: Bool = false) -> String {
        switch unit {
        case .count(let name): unitless ? Self.grouped(value) : "\(Self.grouped(value)) \(name)"
        case .bytes: Self.bytes(value)
        }
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// Bytes in B, kB, MB or GB (powers of 1000, one decimal).
    static func bytes(_ value: UInt64) -> String {
        let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (size, name) in units where Double(value) >= size {
            return String(format: "%.1f", Double(value) / size) + " " + name
        }
        return "\(value) B"
    }

    /// `850ms`, `4.2s`, `3m07s`, `2h05m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 1 { return "\(Int(seconds * 1000))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds)
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60)
    }
}

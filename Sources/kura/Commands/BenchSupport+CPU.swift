import Foundation

extension BenchSupport {
    /// Calls `body` over the cases in turn for `seconds` (or exactly `calls` times) on this thread; returns calls
    /// per second of this thread's CPU time, so that other processes on the machine do not count against it.
    static func callsPerCPUSecond(count: Int, seconds: Double, calls: Int?, _ body: (Int) -> Bool) -> Double {
        // A short warm-up, then the timed run; every call must succeed.
        for i in 0..<min(count, 200) where !body(i) { fatalError("case \(i) failed") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        let start = threadCPUSeconds()
        var done = 0
        repeat {
            for _ in 0..<100 {
                guard body(done % count) else { fatalError("case \(done % count) failed") }
                done += 1
            }
        } while calls.map { done < $0 } ?? (clock.now < deadline)
        return Double(done) / max(threadCPUSeconds() - start, 1e-9)
    }

    /// The CPU time this thread has used.
    static func threadCPUSeconds() -> Double { cpuSeconds(CLOCK_THREAD_CPUTIME_ID) }

    /// The CPU time this process has used, every thread's.
    static func processCPUSeconds() -> Double { cpuSeconds(CLOCK_PROCESS_CPUTIME_ID) }

    private static func cpuSeconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

import CoreMetrics
import Dispatch
import KuraCore
import KuraStore
import Metrics
import Prometheus
import Synchronization

/// Kura's metrics: swift-metrics instruments over one Prometheus registry, rendered by `GET /metrics`.
///
/// One instance per server (not the process-wide `MetricsSystem`), so that several servers in one process,
/// as in the tests, each count their own. It is also the writer's ``StoreObserver``: pass the same instance
/// to the store (``KuraService/openStore(path:create:durable:observer:)``) and to the server
/// (``KuraServer/Configuration/metrics``), and `/metrics` shows batch sizes, commit latency and queue depth,
/// and `/readyz` knows whether the writer is stalled.
///
/// ```swift
/// let metrics = KuraMetrics()
/// let store = try KuraService.openStore(path: "kura.sqlite", create: false, observer: metrics)
/// var configuration = KuraServer.Configuration()
/// configuration.metrics = metrics
/// ```
public final class KuraMetrics: StoreObserver, Sendable {
    /// The registry every instrument lives in; ``render()`` prints it.
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let writer = Mutex(WriterProgress())
    private let requestInstruments = Mutex<[RequestKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])
    private let queueDepthGauge: CoreMetrics.Gauge
    private let batchCommands: CoreMetrics.Recorder
    private let batchEvents: CoreMetrics.Recorder
    private let commitLatency: CoreMetrics.Timer
    private let headSeq: CoreMetrics.Gauge
    private let receipts: CoreMetrics.Gauge
    private let checkpointSize: CoreMetrics.Gauge
    private let checkpointAge: CoreMetrics.Gauge
    private let sweeps: CoreMetrics.Counter
    private let sqliteMemory: CoreMetrics.Gauge

    /// The names of the instruments, as they appear in the Prometheus text.
    public enum Name {
        public static let requests = "kura_http_requests_total"
        public static let requestDuration = "kura_http_request_duration_seconds"
        public static let rateLimited = "kura_rate_limit_refusals_total"
        public static let facilitatorOutcomes = "kura_facilitator_outcomes_total"
        public static let batchCommands = "kura_writer_batch_commands"
        public static let batchEvents = "kura_writer_batch_events"
        public static let commitLatency = "kura_writer_commit_duration_seconds"
        public static let batchFailures = "kura_writer_batch_failures_total"
        public static let queueDepth = "kura_writer_queue_depth"
        public static let headSeq = "kura_log_head_seq"
        public static let receipts = "kura_receipts"
        public static let checkpointSize = "kura_checkpoint_size"
        public static let checkpointAge = "kura_checkpoint_age_seconds"
        public static let sweeps = "kura_sweeper_runs_total"
        public static let sweepFailures = "kura_sweeper_failures_total"
        public static let sqliteMemory = "kura_sqlite_memory_bytes"
    }

    /// A fresh, empty registry (the default), or one the caller shares with other instruments.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // A group commit costs one fsync: sub-millisecond on a fast disk, tens of milliseconds on a slow one.
        factory.durationHistogramBuckets[Name.commitLatency] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .seconds(1),
        ]
        let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets[Name.batchCommands] = sizes
        factory.valueHistogramBuckets[Name.batchEvents] = sizes + [2048, 4096]
        self.factory = factory
        // Created now, so that a scrape before the first request already lists them (at zero).
        queueDepthGauge = CoreMetrics.Gauge(label: Name.queueDepth, factory: factory)
        batchCommands = CoreMetrics.Recorder(label: Name.batchCommands, aggregate: true, factory: factory)
        batchEvents = CoreMetrics.Recorder(label: Name.batchEvents, aggregate: true, factory: factory)
        commitLatency = CoreMetrics.Timer(label: Name.commitLatency, factory: factory)
        headSeq = CoreMetrics.Gauge(label: Name.headSeq, factory: factory)
        receipts = CoreMetrics.Gauge(label: Name.receipts, factory: factory)
        checkpointSize = CoreMetrics.Gauge(label: Name.checkpointSize, factory: factory)
        checkpointAge = CoreMetrics.Gauge(label: Name.checkpointAge, factory: factory)
        sweeps = CoreMetrics.Counter(label: Name.sweeps, factory: factory)
        sqliteMemory = CoreMetrics.Gauge(label: Name.sqliteMemory, factory: factory)
        queueDepthGauge.record(0)
    }

    /// The Prometheus text exposition (version 0.0.4) of every instrument.
    public func render() -> [UInt8] { registry.emitToBuffer() }

    // MARK: Requests

    /// One answered request: its method, route template (`/v1/escrows/{id}`, or `unmatched`), status and
    /// time from the first byte of the head to the answer.
    func request(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestKey(method: method, route: route, status: status)
        // One lookup in a small table instead of two instruments made (and found in the registry) per request.
        let instruments = requestInstruments.withLock { table in
            if let known = table[key] { return known }
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            let made = (
                CoreMetrics.Counter(label: Name.requests, dimensions: dimensions, factory: factory),
                CoreMetrics.Timer(label: Name.requestDuration, dimensions: dimensions, factory: factory)
            )
            table[key] = made
            return made
        }
        instruments.0.increment()
        instruments.1.recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    /// A public read refused with 429.
    func rateLimited(route: String) {
        CoreMetrics.Counter(label: Name.rateLimited, dimensions: [("route", route)], factory: factory).increment()
    }

    /// What a facilitator call (`verify` or `settle`, of the Kizuna or the x402 facilitator) came to: `ok`,
    /// or the refusal's reason (a problem `code`, or the x402 `invalidReason`/`errorReason`).
    func facilitator(operation: String, reason: String) {
        CoreMetrics.Counter(
            label: Name.facilitatorOutcomes, dimensions: [("operation", operation), ("reason", reason)],
            factory: factory
        ).increment()
    }

    // MARK: Background work

    /// One pass of the sweeper; `failure` is the error code when it failed.
    func sweep(failure: KuraError.Code?) {
        sweeps.increment()
        if let failure {
            CoreMetrics.Counter(label: Name.sweepFailures, dimensions: [("code", failure.rawValue)], factory: factory)
                .increment()
        }
    }

    /// The log and checkpoint figures, read at scrape time: head seq, receipt count, newest checkpoint size,
    /// and how long the oldest receipt not yet under a signed checkpoint has waited (0 when all are).
    func log(headSeq seq: UInt64, receipts count: UInt64, checkpointSize size: UInt64, checkpointAge age: Double) {
        headSeq.record(Int64(clamping: seq))
        receipts.record(Int64(clamping: count))
        checkpointSize.record(Int64(clamping: size))
        checkpointAge.record(age)
    }

    /// What SQLite has allocated in this process (``SQLiteMemory/used``), read at scrape time: beside the
    /// process's RSS it tells SQLite's page caches filling from growth elsewhere.
    func memory(sqliteBytes: Int64) {
        sqliteMemory.record(sqliteBytes)
    }

    // MARK: StoreObserver

    public func batchCommitted(commands: Int, events: Int, seconds: Double) {
        batchCommands.record(commands)
        batchEvents.record(events)
        commitLatency.recordNanoseconds(Int64(max(0, seconds) * 1e9))
        writer.withLock { $0.progressed(at: Self.now()) }
    }

    public func batchFailed(commands: Int, code: KuraError.Code) {
        CoreMetrics.Counter(label: Name.batchFailures, dimensions: [("code", code.rawValue)], factory: factory)
            .increment()
        writer.withLock { $0.progressed(at: Self.now()) }
    }

    public func queueDepth(_ depth: Int) {
        queueDepthGauge.record(depth)
        writer.withLock { $0.depth(depth, at: Self.now()) }
    }

    // MARK: Readiness

    /// How long the writer has owed work (a batch in flight, or commands queued at its last take) without
    /// finishing a batch, and the depth at that take; nil when it owes none. A store without this observer
    /// reports nil.
    func writerWait() -> (seconds: Double, queued: Int)? {
        writer.withLock { state in
            guard let since = state.pendingSince else { return nil }
            return (Double(Self.now() &- since) / 1e9, state.depth)
        }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// What readiness needs of the writer: since when it has owed an answer.
///
/// The writer reports the queue depth each time it takes a batch (``StoreObserver/queueDepth(_:)``), and that
/// batch then runs until it commits or fails: from the take on, the writer owes work. Each finished batch
/// settles what was owed, unless commands were still queued at the take (then the next batch owes them).
struct WriterProgress {
    var depth = 0
    /// Monotonic nanoseconds since the writer has owed work without finishing a batch; nil when it owes none.
    var pendingSince: UInt64?

    mutating func depth(_ depth: Int, at now: UInt64) {
        self.depth = depth
        if pendingSince == nil { pendingSince = now }
    }

    /// A batch ended: whatever still waits has waited only since now.
    mutating func progressed(at now: UInt64) {
        pendingSince = depth > 0 ? now : nil
    }
}

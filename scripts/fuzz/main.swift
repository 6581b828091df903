// libFuzzer's entry point for the Kura fuzz targets (scripts/fuzz.sh builds and runs it).
import Foundation
import KuraFuzz

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["KURA_FUZZ_TARGET"] ?? "json"
    guard let target = FuzzTarget(rawValue: name) else { fatalError("unknown KURA_FUZZ_TARGET \(name)") }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

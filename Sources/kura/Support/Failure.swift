import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto

/// How the CLI turns a `KuraError` into one line on stderr and an exit code scripts can rely on.
enum Failure {
    /// Exit codes, after sysexits.h (64 usage, 65 bad data, 66 no input, 69 unavailable, 70 software, 75
    /// temporary failure: worth a retry), from the code's category. Exhaustive, with no `default:`: a new
    /// category must choose its exit code here.
    static func exitCode(for code: KuraError.Code) -> Int32 {
        switch code.category {
        case .invalidInput, .tooLarge: 64
        case .badData: 65
        case .notFound: 66
        case .unauthenticated, .forbidden, .stateRefused, .refused, .gone, .railUnavailable: 69
        case .methodNotAllowed, .duplicate, .termsRefused, .rateLimited, .unavailable, .internalFailure: 70
        case .conflict, .storageUnavailable: 75
        }
    }

    /// Prints `kura: <code>: <detail>` to stderr and returns the exit to throw.
    static func report(_ error: KuraError) -> ExitCode {
        FileHandle.standardError.write(Data("kura: \(error.code.rawValue): \(error.detail)\n".utf8))
        return ExitCode(exitCode(for: error.code))
    }
}

/// Runs a command body, mapping Kura errors to their exit codes. Everything else passes through to
/// ArgumentParser (validation errors, explicit exits).
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as KuraError {
        throw Failure.report(error)
    } catch let error as CryptoError {
        throw Failure.report(KuraError(.invalidRequest, error.reason))
    }
}

/// Writes a JSON value to stdout in canonical form, one line.
func printJSON(_ value: JSONValue) {
    let bytes = (try? value.canonicalBytes()) ?? Array("null".utf8)
    FileHandle.standardOutput.write(Data(bytes + [0x0A]))
}

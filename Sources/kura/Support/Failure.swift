import ArgumentParser
import Foundation
import KuraCore
import KuraCrypto

/// How the CLI turns a `KuraError` into one line on stderr and an exit code scripts can rely on.
enum Failure {
    /// Exit codes, after sysexits.h.
    static func exitCode(for code: KuraError.Code) -> Int32 {
        switch code {
        case .invalidRequest, .payloadTooLarge: 64
        case .chainBroken, .unsupportedDatabase, .verificationFailed: 65
        case .notFound: 66
        case .forbidden, .unauthenticated, .insufficientFunds, .notOnPanel, .invalidSignature: 69
        case .invalidTransition, .idempotencyConflict, .versionConflict, .publicKeyTaken: 75
        case .alreadyRuled, .deadlinePassed, .disputeNotOpen: 75
        case .voucherInvalid, .voucherOverCapacity: 69
        case .voucherStale, .channelClosed: 75
        case .envelopeInvalid: 64
        case .reservationNotFound: 66
        case .partyInactive, .counterpartyNotAllowed, .capExceeded, .mandateExhausted, .mandateInactive,
            .creditExceeded, .positionFrozen, .positionInactive, .priceUnavailable, .unknownKey, .reservationExpired,
            .reservationVoided:
            69
        case .laneMismatch, .envelopeMismatch: 75
        case .storageUnavailable: 75
        case .transferRefused: 69
        case .transferUsed: 75
        case .railUnavailable: 69
        default: 70
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

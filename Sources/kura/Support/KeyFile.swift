import Foundation
import KuraCore
import KuraCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Secret key files: one C2SP note signer key line, created with mode 0600 and never overwritten.
enum KeyFile {
    /// Writes a new key file; refuses to replace an existing one.
    static func create(_ signer: NoteSigner, at path: String) throws(KuraError) {
        try SecretFile.write(signer.signerKeyText + "\n", to: path)
    }

    /// Reads a key file written by `create` (or any C2SP note signer key).
    static func load(_ path: String) throws(KuraError) -> NoteSigner {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KuraError(.notFound, "cannot read key file \(path)")
        }
        do {
            return try NoteSigner(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw KuraError(.invalidRequest, "\(path): \(error.reason)")
        }
    }
}

/// A small secret file: mode 0600 from its creation, never overwritten, fsynced.
enum SecretFile {
    static func write(_ text: String, to path: String) throws(KuraError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let exists = errno == EEXIST
            let reason = exists ? "already exists; refusing to overwrite it" : String(cString: strerror(errno))
            throw KuraError(exists ? .invalidTransition : .invalidRequest, "cannot create \(path): \(reason)")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw KuraError(.storageFailure, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

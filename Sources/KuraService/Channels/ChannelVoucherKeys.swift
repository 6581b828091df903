import Foundation
import KuraCore
import KuraCrypto

/// The voucher keys channels pinned when they opened, by channel: a pinned key never changes, so a settle can
/// check its voucher's signature before the writer without reading the channel each time. Nothing depends on
/// this cache being right: the writer trusts a ``CheckedVoucher`` only when its key is the channel's as the
/// writer knows it, and verifies the signature itself otherwise.
final class ChannelVoucherKeys: @unchecked Sendable {
    private var keys: [ChannelID: Ed25519.PublicKey] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int = 16_384) { self.capacity = capacity }

    func key(_ channel: ChannelID) -> Ed25519.PublicKey? {
        lock.lock()
        defer { lock.unlock() }
        return keys[channel]
    }

    func remember(_ key: Ed25519.PublicKey, for channel: ChannelID) {
        lock.lock()
        defer { lock.unlock() }
        if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
        keys[channel] = key
    }
}

extension KuraService {
    /// The voucher checked against the key its channel pinned (remembered, or read once), outside the writer;
    /// nil when the channel is unknown, pinned no key, or the signature does not verify: the writer then decides
    /// as it always did, verifying against the key it knows.
    func checkedVoucher(_ voucher: ChannelVoucher, signature: [UInt8], channel id: ChannelID) async -> CheckedVoucher? {
        var key = channelVoucherKeys.key(id)
        if key == nil {
            let pinned = try? await read { reads throws(KuraError) in try reads.channel(id)?.channel.agentKey }
            key = pinned.flatMap { $0 }.flatMap { try? Ed25519.PublicKey(base64: $0) }
            if let key { channelVoucherKeys.remember(key, for: id) }
        }
        return key.flatMap { CheckedVoucher(voucher, signature: signature, key: $0) }
    }
}

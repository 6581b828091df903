import Foundation
import KuraCore
import KuraCrypto
import KuraStore

/// The voucher keys channels pinned when they opened, by channel: a pinned key never changes, so a settle can
/// check its voucher's signature before the writer without reading the channel each time. Nothing depends on
/// this cache being right: the writer trusts a ``CheckedVoucher`` only when its key is the channel's as the
/// writer knows it, and verifies the signature itself otherwise.
final class ChannelVoucherKeys: Sendable {
    /// A channel's pinned key, or nil for a channel opened before keys were pinned (its writer verifies).
    private let keys: BoundedMap<ChannelID, Ed25519.PublicKey?>

    init(capacity: Int = 16_384) { keys = BoundedMap(capacity: capacity) }

    /// The remembered answer: `.some(key)`, `.some(nil)` for a channel that pinned none, nil when not known.
    func key(_ channel: ChannelID) -> Ed25519.PublicKey?? { keys[channel] }

    func remember(_ key: Ed25519.PublicKey?, for channel: ChannelID) { keys.remember(key, for: channel) }
}

extension KuraService {
    /// The voucher checked against the key its channel pinned (remembered, or read once), outside the writer;
    /// nil when the channel is unknown, pinned no key, or the signature does not verify: the writer then decides
    /// as it always did, verifying against the key it knows.
    func checkedVoucher(_ voucher: ChannelVoucher, signature: [UInt8], channel id: ChannelID) async -> CheckedVoucher? {
        let key: Ed25519.PublicKey?
        if let remembered = channelVoucherKeys.key(id) {
            key = remembered
        } else {
            // A channel's pinned key never changes (`Channel.agentKey` is set at open): remembered for good,
            // and so is the absence of one. An unknown channel is not remembered.
            let found = try? await self.read(.standard) { reads throws(KuraError) -> ChannelRow? in
                try reads.channel(id)
            }
            guard let row = found else { return nil }
            key = row.channel.agentKey.flatMap { try? Ed25519.PublicKey(base64: $0) }
            channelVoucherKeys.remember(key, for: id)
        }
        return key.flatMap { CheckedVoucher(voucher, signature: signature, key: $0) }
    }
}

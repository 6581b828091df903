/// BLAKE3 in its hash mode with a 32-byte output (the BLAKE3 specification, 2021), in plain Swift: libsodium
/// has no BLAKE3. Solana names a transaction message by the BLAKE3 hash of "solana-tx-message-v1" and the
/// message bytes, and that is what it is used for here; inputs are a few kilobytes, so this is the reference
/// algorithm (chunk by chunk, with the stack of chaining values), not an optimised one.
public struct BLAKE3Hasher: Sendable {
    /// The digest length in bytes.
    public static let byteCount = 32

    static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]
    static let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
    static let chunkStart: UInt32 = 1
    static let chunkEnd: UInt32 = 2
    static let parent: UInt32 = 4
    static let root: UInt32 = 8
    static let blockLength = 64
    static let chunkLength = 1024

    private var chunk = ChunkState(chainingValue: BLAKE3Hasher.iv, counter: 0)
    private var stack: [[UInt32]] = []

    /// An empty hasher.
    public init() {}

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = BLAKE3Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        var input = ArraySlice(bytes)
        while !input.isEmpty {
            if chunk.length == Self.chunkLength {
                let value = chunk.output().chainingValue()
                let total = chunk.counter + 1
                addChunk(value, total: total)
                chunk = ChunkState(chainingValue: Self.iv, counter: total)
            }
            let take = min(Self.chunkLength - chunk.length, input.count)
            chunk.update(input.prefix(take))
            input = input.dropFirst(take)
        }
    }

    /// The 32-byte digest of everything fed so far.
    public func finalize() -> [UInt8] {
        var output = chunk.output()
        for value in stack.reversed() {
            output = Self.parentOutput(left: value, right: output.chainingValue())
        }
        return output.rootBytes()
    }

    // Merges completed subtrees: after `total` chunks, as many merges as there are trailing zero bits.
    private mutating func addChunk(_ value: [UInt32], total: UInt64) {
        var value = value
        var total = total
        while total & 1 == 0, let left = stack.popLast() {
            value = Self.parentOutput(left: left, right: value).chainingValue()
            total >>= 1
        }
        stack.append(value)
    }

    static func parentOutput(left: [UInt32], right: [UInt32]) -> Output {
        Output(inputChainingValue: iv, block: left + right, counter: 0, blockLength: UInt32(blockLength), flags: parent)
    }

    struct Output {
        let inputChainingValue: [UInt32]
        let block: [UInt32]
        let counter: UInt64
        let blockLength: UInt32
        let flags: UInt32

        func chainingValue() -> [UInt32] {
            Array(BLAKE3Hasher.compress(inputChainingValue, block, counter, blockLength, flags).prefix(8))
        }

        func rootBytes() -> [UInt8] {
            let words = BLAKE3Hasher.compress(inputChainingValue, block, 0, blockLength, flags | BLAKE3Hasher.root)
            var out: [UInt8] = []
            out.reserveCapacity(32)
            for word in words.prefix(8) {
                for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> shift)) }
            }
            return out
        }
    }

    struct ChunkState: Sendable {
        var chainingValue: [UInt32]
        let counter: UInt64
        var block: [UInt8] = []
        var blocksCompressed = 0

        init(chainingValue: [UInt32], counter: UInt64) {
            self.chainingValue = chainingValue
            self.counter = counter
        }

        var length: Int { blocksCompressed * BLAKE3Hasher.blockLength + block.count }
        var startFlag: UInt32 { blocksCompressed == 0 ? BLAKE3Hasher.chunkStart : 0 }

        mutating func update(_ bytes: ArraySlice<UInt8>) {
            var input = bytes
            while !input.isEmpty {
                // A full block is compressed only once more input follows: the last block carries CHUNK_END.
                if block.count == BLAKE3Hasher.blockLength {
                    let words = BLAKE3Hasher.words(block)
                    chainingValue = Array(
                        BLAKE3Hasher.compress(
                            chainingValue, words, counter, UInt32(BLAKE3Hasher.blockLength), startFlag
                        ).prefix(8))
                    blocksCompressed += 1
                    block.removeAll(keepingCapacity: true)
                }
                let take = min(BLAKE3Hasher.blockLength - block.count, input.count)
                block.append(contentsOf: input.prefix(take))
                input = input.dropFirst(take)
            }
        }

        func output() -> Output {
            Output(
                inputChainingValue: chainingValue, block: BLAKE3Hasher.words(block), counter: counter,
                blockLength: UInt32(block.count), flags: startFlag | BLAKE3Hasher.chunkEnd)
        }
    }

    static func words(_ block: [UInt8]) -> [UInt32] {
        var padded = block
        padded.append(contentsOf: repeatElement(0, count: blockLength - block.count))
        return (0..<16).map { i in
            UInt32(padded[4 * i]) | UInt32(padded[4 * i + 1]) << 8 | UInt32(padded[4 * i + 2]) << 16
                | UInt32(padded[4 * i + 3]) << 24
        }
    }

    static func compress(
        _ chainingValue: [UInt32], _ block: [UInt32], _ counter: UInt64, _ blockLength: UInt32, _ flags: UInt32
    ) -> [UInt32] {
        var s: [UInt32] = chainingValue + iv.prefix(4)
        s += [UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags]
        var m = block
        for round in 0..<7 {
            g(&s, 0, 4, 8, 12, m[0], m[1])
            g(&s, 1, 5, 9, 13, m[2], m[3])
            g(&s, 2, 6, 10, 14, m[4], m[5])
            g(&s, 3, 7, 11, 15, m[6], m[7])
            g(&s, 0, 5, 10, 15, m[8], m[9])
            g(&s, 1, 6, 11, 12, m[10], m[11])
            g(&s, 2, 7, 8, 13, m[12], m[13])
            g(&s, 3, 4, 9, 14, m[14], m[15])
            if round < 6 { m = permutation.map { m[$0] } }
        }
        for i in 0..<8 {
            s[i] ^= s[i + 8]
            s[i + 8] ^= chainingValue[i]
        }
        return s
    }

    @inline(__always)
    static func g(_ s: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
        s[a] = s[a] &+ s[b] &+ x
        s[d] = rotate(s[d] ^ s[a], 16)
        s[c] = s[c] &+ s[d]
        s[b] = rotate(s[b] ^ s[c], 12)
        s[a] = s[a] &+ s[b] &+ y
        s[d] = rotate(s[d] ^ s[a], 8)
        s[c] = s[c] &+ s[d]
        s[b] = rotate(s[b] ^ s[c], 7)
    }

    @inline(__always)
    static func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}

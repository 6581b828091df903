import KuraCrypto
import KuraX402

/// The parsers that read bytes from anyone, as fuzz targets: each runs one input and stops the process
/// (a trap) when an invariant breaks, so libFuzzer (`scripts/fuzz.sh`) and the seeded mutation loop of
/// `KuraFuzzTests` both notice. An input that is refused with the parser's own error is fine; a crash, a
/// value that does not survive its own encoding, or a verdict that changes on a second look is not.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The JSON parser (`JSONValue.parse`) and the RFC 8785 encoder behind every signed or hashed value.
    case json
    /// The x402 header codecs: the v2 base64 JSON headers and the seed's `X-Payment-*` headers.
    case x402Header = "x402-header"
    /// The C2SP signed-note parser and checkpoint body parser.
    case signedNote = "signed-note"
    /// The receipt bundle parser and offline verifier (`kura receipts verify`).
    case bundle

    /// The key that signs the seed notes and bundles, so that mutations reach the checks past the signature.
    static let signer = try! NoteSigner(
        name: "kura.fuzz/log", key: try! Ed25519.SecretKey(seed: [UInt8](repeating: 7, count: 32)))
    /// Its verifier key.
    static var verifier: NoteVerifier { signer.verifier }

    /// Runs one input; true when the parser accepted it (a value, a valid note or bundle), for the
    /// mutation loop's statistics.
    @discardableResult
    public func run(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .json: Self.json(bytes)
        case .x402Header: Self.x402Header(bytes)
        case .signedNote: Self.signedNote(bytes)
        case .bundle: Self.bundle(bytes)
        }
    }

    static func json(_ bytes: [UInt8]) -> Bool {
        guard let value = try? JSONValue.parse(bytes) else { return false }
        // What parsed encodes canonically, and the encoding is a fixed point.
        guard let canonical = try? value.canonicalBytes() else { return true }
        guard let again = try? JSONValue.parse(canonical) else { fatalError("canonical JSON does not parse") }
        guard (try? again.canonicalBytes()) == canonical else { fatalError("canonical JSON is not a fixed point") }
        return true
    }

    static func x402Header(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        // A v2 header value as a server hands it over: without the line's end.
        let value = text.hasSuffix("\n") ? String(text.dropLast()) : text
        var accepted = roundTrip(PaymentRequired.self, value)
        accepted = roundTrip(PaymentPayload.self, value) || accepted
        accepted = roundTrip(SettleResponse.self, value) || accepted
        // The seed dialect: the input read as header lines `Name: value`.
        var pairs: [(name: String, value: String)] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            pairs.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        let values = SeedHeaders.lookup(pairs)
        accepted = (try? SeedPaymentRequest.parse(values)) != nil || accepted
        accepted = (try? SeedPaymentRetry.parse(values)) != nil || accepted
        return accepted
    }

    static func roundTrip<M: X402Message>(_ type: M.Type, _ text: String) -> Bool {
        guard let message = try? X402Codec.decode(M.self, header: text) else { return false }
        guard let header = try? X402Codec.header(message), let again = try? X402Codec.decode(M.self, header: header),
            again == message
        else { fatalError("\(M.self) does not survive its own encoding") }
        return true
    }

    static func signedNote(_ bytes: [UInt8]) -> Bool {
        if let note = try? SignedNote(parsing: bytes) {
            let serialized = note.text + "\n" + note.signatures.map { $0.line + "\n" }.joined()
            guard let again = try? SignedNote(parsing: serialized), again == note else {
                fatalError("a parsed note does not survive its own serialization")
            }
        }
        let first = SignedNote.verify(noteBytes: bytes, verifiers: [verifier])
        let second = SignedNote.verify(noteBytes: bytes, verifiers: [verifier])
        guard "\(first)" == "\(second)" else { fatalError("a note's verdict changed on a second look") }
        _ = try? Checkpoint.open(note: String(decoding: bytes, as: UTF8.self), verifier: verifier)
        if case .success = first { return true }
        return false
    }

    static func bundle(_ bytes: [UInt8]) -> Bool {
        guard let value = try? JSONValue.parse(bytes) else { return false }
        let first = ReceiptBundle.verify(bundleJSON: value, key: verifier)
        guard ReceiptBundle.verify(bundleJSON: value, key: verifier) == first else {
            fatalError("a bundle's verdict changed on a second look")
        }
        return first.isValid
    }

    // MARK: Seeds

    /// Well-formed inputs the mutations start from (besides the committed corpus): they reach the deepest
    /// checks, so that mutations of them explore the paths behind each.
    public var seeds: [[UInt8]] {
        switch self {
        case .json:
            return [
                #"{"a":[1,2.5,-0,1e21,"\u00e9\ud83d\ude00",true,null],"b":{"":{}}}"#, "[]", "0", #""\/""#,
                #"{"x402Version":2,"accepted":[]}"#,
            ].map { Array($0.utf8) }
        case .x402Header:
            return [
                "X-Payment-Amount: 10\nX-Payment-Token: USDC\nX-Payment-Recipient: pty_2p8fVYk6nZ1q\n"
                    + "X-Payment-Network: kura:00000000\nX-Payment-Deadline: 1795564800\nX-Payment-ID: pay_0123456789abcdef",
                "X-Payment-Receipt: 5KJvsngHeMpm884wtkJNzQGaCErckhHJBGFsvd3VyK5qMZXj3hS\nX-Payment-ID: pay_0123456789abcdef",
            ].map { Array($0.utf8) }
        case .signedNote:
            return [Array(Self.seedTree().note.utf8)]
        case .bundle:
            let tree = Self.seedTree()
            return (0..<UInt64(2)).compactMap { index in
                try? ReceiptBundle.make(
                    receipt: tree.receipts[Int(index)], leafIndex: index, treeSize: 2,
                    proof: [MerkleHash.leaf(try tree.receipts[1 - Int(index)].canonicalBytes())],
                    checkpointNote: tree.note
                ).canonicalBytes()
            }
        }
    }

    /// Two receipts and the signed checkpoint of their tree.
    static func seedTree() -> (receipts: [JSONValue], note: String) {
        let receipts: [JSONValue] = (0..<2).map { index in
            [
                "v": 1, "index": .number(Double(index)), "kind": "escrow.locked", "subject": "esc_2p8fVYk6nZ1q",
                "payer": "pty_2p8fVYk6nZ1q", "payee": "pty_3q9gWZm7oA2r", "amount": 100, "asset": "USDC",
            ]
        }
        let leaves = receipts.map { MerkleHash.leaf((try? $0.canonicalBytes()) ?? []) }
        let root = MerkleHash.node(leaves[0], leaves[1])
        let checkpoint = try! Checkpoint(origin: signer.name, size: 2, rootHash: root)
        return (receipts, checkpoint.signed(by: signer))
    }
}

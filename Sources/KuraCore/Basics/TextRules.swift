/// Small checks on text from outside, shared by the aggregates.
enum TextRules {
    /// Whether `text` is a SHA-256 digest as Kura writes it: 64 lowercase hex digits.
    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Whether `text` is at most `max` Unicode scalars (scalars, so the byte size is bounded too) and has
    /// no control or line-break characters, which would forge lines in logs and terminals.
    static func isPlainText(_ text: String, max: Int) -> Bool {
        let forbidden: Set<Unicode.GeneralCategory> = [.control, .lineSeparator, .paragraphSeparator]
        return text.unicodeScalars.count <= max
            && !text.unicodeScalars.contains { forbidden.contains($0.properties.generalCategory) }
    }
}

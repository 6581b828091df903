import KuraStore
import Testing

/// The shared statement text in PostgreSQL's dialect: what a backend author relies on (`storage-api.md`).
@Suite struct SQLDialectTests {
    @Test("placeholders, types and json_extract become PostgreSQL's; SQLite keeps the text")
    func translate() {
        let lookup = "SELECT seq FROM parties WHERE json_extract(json, '$.publicKey') = ? AND id != ? ORDER BY seq"
        #expect(
            SQLDialect.postgres.translate(lookup)
                == "SELECT seq FROM parties WHERE ((json)::jsonb ->> 'publicKey') = $1 AND id != $2 ORDER BY seq")
        #expect(SQLDialect.sqlite.translate(lookup) == lookup)
        let index = SQLSchema.statements(.postgres).first { $0.contains("parties_by_key") }
        #expect(index == "CREATE INDEX IF NOT EXISTS parties_by_key ON parties(((json)::jsonb ->> 'publicKey'))")
        #expect(
            SQLDialect.postgres.translate("CREATE TABLE t(a INTEGER, b BLOB, c TEXT) /*WITHOUT_ROWID*/")
                == "CREATE TABLE t(a BIGINT, b BYTEA, c TEXT) ")
        // A `?` inside a quoted string is text, not a placeholder.
        #expect(SQLDialect.postgres.translate("SELECT '?' || ?") == "SELECT '?' || $1")
    }

    @Test("the receipt page's statements number their placeholders in binding order")
    func receiptPage() {
        for (party, kind, count) in [(false, false, 2), (false, true, 3), (true, false, 7), (true, true, 9)] {
            let text = SQLDialect.postgres.translate(SQLReadSession.receiptPageSQL(party: party, kind: kind))
            #expect(text.contains("$\(count)") && !text.contains("$\(count + 1)") && !text.contains("?"), "\(text)")
        }
    }
}

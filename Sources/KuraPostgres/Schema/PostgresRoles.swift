import KuraCore
import KuraStore

/// The application role: what `kura serve` needs and nothing more. It may read everything and write the
/// read models, but on the log it has SELECT and INSERT only, so not even a bug (or an attacker holding
/// the nodes' credentials) can UPDATE, DELETE or TRUNCATE history; the triggers of ``LogGuards`` refuse
/// it a second time, for every role but a superuser who drops them.
///
/// `kura init` creates the role (NOLOGIN) when the initialising user may create roles, and every migration
/// grants it the privileges on the tables it creates. Nodes then log in as a member:
/// `CREATE ROLE kura_node LOGIN PASSWORD '…' IN ROLE kura_app;` (Docs/postgresql.md).
public enum PostgresRoles {
    /// The application role's name.
    public static let application = "kura_app"

    /// Tables the application only reads (and, for the log, appends to).
    static let appendOnly = ["events", "idempotency", "checkpoints"]
    static let readOnly = ["meta", "kura_schema_versions"]

    /// The grants on the tables of `schema`; idempotent.
    static func grants(schema: String) -> [String] {
        let role = application
        var statements = ["GRANT USAGE ON SCHEMA \(quoted(schema)) TO \(role)", "REVOKE ALL ON events FROM \(role)"]
        for table in appendOnly { statements.append("GRANT SELECT, INSERT ON \(table) TO \(role)") }
        for table in readOnly { statements.append("GRANT SELECT ON \(table) TO \(role)") }
        for table in SQLSchema.readModelTables + ["nonces", "read_model_epoch"] {
            statements.append("GRANT SELECT, INSERT, UPDATE, DELETE ON \(table) TO \(role)")
        }
        return statements
    }

    /// Grants the privileges if the role exists (a database initialised without it is left as it is).
    static func grantIfPresent(_ db: PostgresConnection) throws(KuraError) {
        guard try db.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", .text(application)) != nil else { return }
        let schema = try db.scalar("SELECT current_schema()")?.text ?? "public"
        for statement in grants(schema: schema) { try db.execute(statement) }
    }

    /// Creates the role when it is missing and this user may create roles; then grants. Returns whether the
    /// role exists afterwards (false: Docs/postgresql.md has the statements for a database administrator).
    @discardableResult
    public static func ensure(_ db: PostgresConnection) throws(KuraError) -> Bool {
        let exists = try db.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", .text(application)) != nil
        if !exists {
            let mayCreate =
                try db.scalar("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")?.int64
                == 1
            guard mayCreate else { return false }
            try db.execute("CREATE ROLE \(application) NOLOGIN")
        }
        try grantIfPresent(db)
        return true
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

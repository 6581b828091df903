/// What PostgreSQL itself enforces on the event log, whatever the application does: the log only grows,
/// `seq` has no gaps, each event links to the one before it, and a stream's versions count up by one.
///
/// The writer already does all of this; the database doing it too means a bug, a second node with a
/// stale cache, or a hand-typed statement cannot rewrite or fork history. The application role also has
/// no UPDATE, DELETE or TRUNCATE on `events` (``PostgresRoles``), so even dropping the triggers would need
/// the owner.
enum LogGuards {
    /// Idempotent: every migration may run it again.
    static let sql = """
        CREATE OR REPLACE FUNCTION kura_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP USING ERRCODE = 'raise_exception';
        END $$;
        CREATE OR REPLACE FUNCTION kura_events_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            last_seq BIGINT;
            last_hash BYTEA;
            last_version BIGINT;
        BEGIN
            -- VOLATILE: earlier rows of the same multi-row INSERT are visible here, so a batch is checked
            -- row by row in order.
            SELECT seq, hash INTO last_seq, last_hash FROM events ORDER BY seq DESC LIMIT 1;
            IF NEW.seq <> coalesce(last_seq, 0) + 1 THEN
                RAISE EXCEPTION 'event seq % does not follow the head %', NEW.seq, coalesce(last_seq, 0)
                    USING ERRCODE = 'unique_violation';
            END IF;
            IF last_seq IS NULL AND NEW.prev_hash <> decode(repeat('00', 32), 'hex')
                OR last_seq IS NOT NULL AND NEW.prev_hash <> last_hash THEN
                RAISE EXCEPTION 'event % does not link to the hash of event %', NEW.seq, coalesce(last_seq, 0)
                    USING ERRCODE = 'unique_violation';
            END IF;
            SELECT version INTO last_version FROM events WHERE stream = NEW.stream ORDER BY version DESC LIMIT 1;
            IF NEW.version <> coalesce(last_version, 0) + 1 THEN
                RAISE EXCEPTION 'stream % is at version %, event % claims version %',
                    NEW.stream, coalesce(last_version, 0), NEW.seq, NEW.version USING ERRCODE = 'unique_violation';
            END IF;
            RETURN NEW;
        END $$;
        DROP TRIGGER IF EXISTS events_refuse_change ON events;
        CREATE TRIGGER events_refuse_change BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION kura_events_append_only();
        DROP TRIGGER IF EXISTS events_refuse_truncate ON events;
        CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION kura_events_append_only();
        DROP TRIGGER IF EXISTS events_chain ON events;
        CREATE TRIGGER events_chain BEFORE INSERT ON events
            FOR EACH ROW EXECUTE FUNCTION kura_events_chain();
        """

    /// A hold kept on its escrow's or reservation's row gets no balance row (schema version 4): a node of an
    /// older build still running (a rolling upgrade) fails its batch rather than decide on a hold it cannot see.
    static let keptHolds = """
        CREATE OR REPLACE FUNCTION kura_balances_refuse_kept_holds() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'balance % is kept on its escrow''s or reservation''s row since schema version 4: '
                'a node of an older build is writing', NEW.account USING ERRCODE = 'check_violation';
        END $$;
        DROP TRIGGER IF EXISTS balances_refuse_kept_holds ON balances;
        CREATE TRIGGER balances_refuse_kept_holds BEFORE INSERT OR UPDATE ON balances
            FOR EACH ROW WHEN (NEW.account LIKE 'escrow/%/held' OR NEW.account LIKE 'reservation/%/held')
            EXECUTE FUNCTION kura_balances_refuse_kept_holds();
        """
}

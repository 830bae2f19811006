import { evidenceSchema } from './evidence-rows.js';
import { lightTriageSchema, triageSchema } from './finding-filter-sql.js';
import { SETUP_LOCK, type SqlDriver, type SqlExecutor } from './sql.js';

/**
 * The schema, as numbered steps applied in order and recorded in `schema_migrations`. A step is
 * never edited once released: a change is a new step. Types are ones both databases accept
 * (SQLite maps them to its affinities); JSON is kept as TEXT so both read it the same way.
 */
const steps: Array<(dialect: SqlDriver['dialect']) => string[]> = [
  (dialect) => {
    const serial = dialect === 'postgres' ? 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    return [
      `CREATE TABLE findings (
        id TEXT PRIMARY KEY,
        revision BIGINT NOT NULL,
        detection_id TEXT NOT NULL,
        search_name TEXT NOT NULL,
        first_time DOUBLE PRECISION,
        last_time DOUBLE PRECISION,
        count BIGINT NOT NULL,
        risk_score BIGINT NOT NULL,
        hosts TEXT NOT NULL,
        users TEXT NOT NULL,
        stories TEXT NOT NULL,
        techniques TEXT NOT NULL,
        record TEXT NOT NULL,
        search_text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        owner TEXT,
        urgency TEXT NOT NULL,
        urgency_rank BIGINT NOT NULL,
        disposition TEXT
      )`,
      'CREATE INDEX findings_last_time ON findings (last_time)',
      'CREATE INDEX findings_status_urgency ON findings (status, urgency_rank, last_time)',
      'CREATE INDEX findings_detection ON findings (detection_id)',
      `CREATE TABLE finding_events (
        finding_id TEXT NOT NULL,
        ref TEXT NOT NULL,
        origin TEXT NOT NULL,
        PRIMARY KEY (finding_id, ref)
      )`,
      `CREATE TABLE finding_history (
        id ${serial},
        finding_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        comment TEXT
      )`,
      'CREATE INDEX finding_history_finding ON finding_history (finding_id, id)',
      `CREATE TABLE risk_events (
        finding_id TEXT NOT NULL,
        risk_object TEXT NOT NULL,
        risk_object_type TEXT NOT NULL,
        risk_score BIGINT NOT NULL,
        time DOUBLE PRECISION,
        search_name TEXT NOT NULL,
        tactics TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (finding_id, risk_object_type, risk_object)
      )`,
      'CREATE INDEX risk_events_object ON risk_events (risk_object, risk_object_type, time)',
      `CREATE TABLE risk_incidents (
        id TEXT PRIMARY KEY,
        risk_object TEXT NOT NULL,
        risk_object_type TEXT NOT NULL,
        record TEXT NOT NULL
      )`,
      `CREATE TABLE checkpoints (
        consumer TEXT PRIMARY KEY,
        position BIGINT NOT NULL,
        state TEXT NOT NULL
      )`,
    ];
  },
  // a final finding's mergeable aggregate state (JSON): a late update is folded into it exactly
  () => ['ALTER TABLE findings ADD COLUMN state TEXT'],
  () => evidenceSchema,
  () => triageSchema,
  // scale-out on a bus: each message's partial states, keyed by (finding, message) so a redelivered message adds nothing
  () => [
    `CREATE TABLE bus_messages (
      id TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      events BIGINT NOT NULL,
      partials BIGINT NOT NULL,
      stored_at DOUBLE PRECISION NOT NULL,
      committed_at DOUBLE PRECISION NOT NULL,
      worker TEXT NOT NULL
    )`,
    `CREATE TABLE bus_partials (
      finding_key TEXT NOT NULL,
      message_id TEXT NOT NULL,
      state TEXT NOT NULL,
      PRIMARY KEY (finding_key, message_id)
    )`,
  ],
  lightTriageSchema,
];

export const schemaVersion = steps.length;

/**
 * Applies the steps not yet recorded, up to `target` (all by default; a test builds an older
 * schema with a lower one), each in its own transaction (safe to run from two processes at once on
 * PostgreSQL: the table lock serialises them).
 */
export async function migrate(db: SqlDriver, target = steps.length): Promise<void> {
  // like CREATE SCHEMA, CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL (a unique
  // violation in pg_type when two processes open a fresh store together): serialised by the lock
  await db.transaction(async (tx: SqlExecutor) => {
    if (db.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [SETUP_LOCK]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)');
  });
  for (let version = 1; version <= Math.min(target, steps.length); version++) {
    await db.transaction(async (tx: SqlExecutor) => {
      if (db.dialect === 'postgres') await tx.run('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const done = await tx.all('SELECT version FROM schema_migrations WHERE version = ?', [version]);
      if (done.length > 0) return;
      for (const statement of steps[version - 1](db.dialect)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [version, new Date().toISOString()]);
    });
  }
}

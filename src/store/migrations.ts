/**
 * Schema migrations, applied in order inside one transaction at open. Never edit a
 * migration that has shipped: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the directory as keyed entities, revisions and the audit log; registration bindings.
  `
  CREATE TABLE config_entities (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    ord INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (collection, key)
  );
  CREATE TABLE config_revisions (
    revision INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    changes INTEGER NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    revision INTEGER NOT NULL REFERENCES config_revisions(revision),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before TEXT,
    after TEXT
  );
  CREATE INDEX audit_revision ON audit(revision);
  CREATE TABLE bindings (
    aor TEXT NOT NULL,
    contact TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    source TEXT NOT NULL,
    user_agent TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (aor, contact)
  );
  `,
  // 2: admin API accounts (scrypt hashes), bearer tokens and sessions, both kept only as
  // SHA-256 digests so a copy of the database opens no door.
  `
  CREATE TABLE admin_accounts (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES admin_accounts(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER
  );
  CREATE TABLE admin_sessions (
    digest TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'user')),
    subject TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_at);
  `,
  // 3: call detail records (SEE-1), one row per call with its legs as JSON.
  `
  CREATE TABLE cdrs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL,
    user TEXT NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX cdrs_started ON cdrs(started_at);
  CREATE INDEX cdrs_user ON cdrs(user, started_at);
  `,
];

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
];

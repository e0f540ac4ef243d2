/**
 * The embedded store: one SQLite file (better-sqlite3) in the data directory.
 *
 * Crash safety: WAL journal; every change is one transaction, so a process killed at any
 * instant leaves either the whole change or none of it (synchronous=NORMAL in WAL mode
 * keeps every committed transaction across a process crash; only an OS crash or power
 * loss may lose the last few).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Binding, BindingStore } from '../registrar/bindings.js';
import type { Clock } from '../util/clock.js';
import { MIGRATIONS } from './migrations.js';
import type {
  AdminAccount,
  AdminSession,
  AdminStore,
  AdminToken,
  AuditEntry,
  CallRecordRow,
  CallRecordStore,
  CollectionName,
  CommitResult,
  ConfigStore,
  DirectoryDocument,
  Store,
} from './types.js';

/** How each collection's entities are keyed (the key is what the audit log names). */
export const COLLECTION_KEYS: Readonly<Record<CollectionName, (e: Record<string, unknown>) => string>> = {
  users: (e) => String(e.extension),
  huntGroups: (e) => String(e.name),
  timeProfiles: (e) => String(e.name),
  userRights: (e) => String(e.name),
  trunks: (e) => String(e.name),
  incomingRoutes: (e) => `${e.trunk}|${e.ddi}|${e.callerId ?? ''}`,
  shortCodes: (e) => String(e.code),
};

const COLLECTIONS = Object.keys(COLLECTION_KEYS) as CollectionName[];
const SYSTEM = 'system';

export interface SqliteStoreOptions {
  /** Directory holding the database file (created if missing); ':memory:' for tests. */
  dataDir: string;
  clock: Clock;
  /** File name inside dataDir (default twinline.db). */
  fileName?: string;
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  let file = ':memory:';
  if (options.dataDir !== ':memory:') {
    mkdirSync(options.dataDir, { recursive: true });
    file = path.join(options.dataDir, options.fileName ?? 'twinline.db');
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const config = createConfigStore(db, options.clock);
  const bindings = createBindingTable(db);
  const admin = createAdminStore(db);
  const calls = createCallRecordTable(db);
  return {
    config,
    bindings,
    admin,
    calls,
    close: () => db.close(),
  };
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  const current = row ? Number(row.value) : 0;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the store was written by a newer twinline (schema ${current}, this one knows ${MIGRATIONS.length})`,
    );
  }
  const apply = db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.prepare(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(String(MIGRATIONS.length));
  });
  apply();
}

/** Stable JSON: object keys sorted, so equal documents compare equal as text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

interface EntityRow {
  collection: string;
  key: string;
  ord: number;
  doc: string;
}

function createConfigStore(db: Database.Database, clock: Clock): ConfigStore {
  const selectAll = db.prepare(
    'SELECT collection, key, ord, doc FROM config_entities ORDER BY collection, ord',
  );
  const upsert = db.prepare(
    'INSERT INTO config_entities (collection, key, ord, doc) VALUES (?, ?, ?, ?) ON CONFLICT(collection, key) DO UPDATE SET ord = excluded.ord, doc = excluded.doc',
  );
  const remove = db.prepare('DELETE FROM config_entities WHERE collection = ? AND key = ?');
  const insertRevision = db.prepare(
    'INSERT INTO config_revisions (revision, at, actor, changes) VALUES (?, ?, ?, ?)',
  );
  const insertAudit = db.prepare(
    'INSERT INTO audit (revision, at, actor, collection, key, action, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const maxRevision = db.prepare('SELECT COALESCE(MAX(revision), 0) AS r FROM config_revisions');
  const selectAudit = db.prepare('SELECT * FROM audit WHERE revision > ? ORDER BY id LIMIT ?');

  const revision = () => (maxRevision.get() as { r: number }).r;

  const readRows = (): Map<string, EntityRow> => {
    const rows = new Map<string, EntityRow>();
    for (const r of selectAll.all() as EntityRow[]) rows.set(`${r.collection}\u0000${r.key}`, r);
    return rows;
  };

  const commit = db.transaction((directory: DirectoryDocument, actor: string): CommitResult => {
    const existing = readRows();
    const at = new Date(clock.wallNow()).toISOString();
    const next = revision() + 1;
    const changes: AuditEntry[] = [];
    const seen = new Set<string>();
    const write = (collection: string, key: string, ord: number, entity: unknown) => {
      const id = `${collection}\u0000${key}`;
      if (seen.has(id)) throw new Error(`duplicate key "${key}" in ${collection}`);
      seen.add(id);
      // The directory arrives normalised (every default filled in, keys in schema order),
      // so plain JSON compares equal for equal entities; sorting keys cost 5x as much.
      const doc = JSON.stringify(entity);
      const old = existing.get(id);
      if (old && old.doc === doc) {
        if (old.ord !== ord) upsert.run(collection, key, ord, doc);
        return;
      }
      upsert.run(collection, key, ord, doc);
      changes.push({
        revision: next,
        at,
        actor,
        collection,
        key,
        action: old ? 'update' : 'create',
        before: old ? JSON.parse(old.doc) : null,
        after: entity,
      });
    };
    write(SYSTEM, '', 0, directory.system ?? {});
    for (const collection of COLLECTIONS) {
      (directory[collection] ?? []).forEach((entity, ord) => {
        write(collection, COLLECTION_KEYS[collection](entity), ord, entity);
      });
    }
    for (const [id, row] of existing) {
      if (seen.has(id)) continue;
      remove.run(row.collection, row.key);
      changes.push({
        revision: next,
        at,
        actor,
        collection: row.collection,
        key: row.key,
        action: 'delete',
        before: JSON.parse(row.doc),
        after: null,
      });
    }
    if (changes.length === 0) return { revision: next - 1, changes };
    insertRevision.run(next, at, actor, changes.length);
    for (const c of changes) {
      insertAudit.run(
        c.revision,
        c.at,
        c.actor,
        c.collection,
        c.key,
        c.action,
        c.before === null ? null : canonicalJson(c.before),
        c.after === null ? null : canonicalJson(c.after),
      );
    }
    return { revision: next, changes };
  });

  return {
    revision,
    load() {
      const rows = [...readRows().values()];
      if (rows.length === 0) return undefined;
      const directory: DirectoryDocument = {
        system: {},
        users: [],
        huntGroups: [],
        timeProfiles: [],
        userRights: [],
        trunks: [],
        incomingRoutes: [],
        shortCodes: [],
      };
      for (const r of rows.sort((a, b) => a.ord - b.ord)) {
        const doc = JSON.parse(r.doc) as Record<string, unknown>;
        if (r.collection === SYSTEM) directory.system = doc;
        else if ((COLLECTIONS as string[]).includes(r.collection))
          directory[r.collection as CollectionName].push(doc);
      }
      return { directory, revision: revision() };
    },
    commit: (directory, meta) => commit(directory, meta.actor),
    audit(options = {}) {
      const rows = selectAudit.all(options.sinceRevision ?? 0, options.limit ?? 1000) as Record<
        string,
        unknown
      >[];
      return rows.map((r) => ({
        revision: Number(r.revision),
        at: String(r.at),
        actor: String(r.actor),
        collection: String(r.collection),
        key: String(r.key),
        action: r.action as AuditEntry['action'],
        before: r.before === null ? null : JSON.parse(String(r.before)),
        after: r.after === null ? null : JSON.parse(String(r.after)),
      }));
    },
  };
}

interface BindingRow {
  aor: string;
  contact: string;
  expires_at: number;
  call_id: string;
  cseq: number;
  source: string;
  user_agent: string | null;
  updated_at: number;
}

/**
 * Registration bindings, written through to SQLite so they survive a restart, and read
 * from memory (a REGISTER burst must not wait on the disk for reads).
 */
function createBindingTable(db: Database.Database): BindingStore {
  const put = db.prepare(
    `INSERT INTO bindings (aor, contact, expires_at, call_id, cseq, source, user_agent, updated_at)
     VALUES (@aor, @contact, @expires_at, @call_id, @cseq, @source, @user_agent, @updated_at)
     ON CONFLICT(aor, contact) DO UPDATE SET expires_at = excluded.expires_at, call_id = excluded.call_id,
       cseq = excluded.cseq, source = excluded.source, user_agent = excluded.user_agent, updated_at = excluded.updated_at`,
  );
  const del = db.prepare('DELETE FROM bindings WHERE aor = ? AND contact = ?');
  const delAll = db.prepare('DELETE FROM bindings WHERE aor = ?');
  const cache = new Map<string, Map<string, Binding>>();
  for (const r of db.prepare('SELECT * FROM bindings').all() as BindingRow[]) {
    const b: Binding = {
      aor: r.aor,
      contact: r.contact,
      expiresAt: r.expires_at,
      callId: r.call_id,
      cseq: r.cseq,
      source: JSON.parse(r.source),
      userAgent: r.user_agent ?? undefined,
      updatedAt: r.updated_at,
    };
    if (!cache.has(b.aor)) cache.set(b.aor, new Map());
    cache.get(b.aor)!.set(b.contact, b);
  }
  return {
    list: (aor) => [...(cache.get(aor)?.values() ?? [])],
    all: () => [...cache.values()].flatMap((m) => [...m.values()]),
    put(b) {
      put.run({
        aor: b.aor,
        contact: b.contact,
        expires_at: b.expiresAt,
        call_id: b.callId,
        cseq: b.cseq,
        source: JSON.stringify(b.source),
        user_agent: b.userAgent ?? null,
        updated_at: b.updatedAt,
      });
      if (!cache.has(b.aor)) cache.set(b.aor, new Map());
      cache.get(b.aor)!.set(b.contact, b);
    },
    remove(aor, contact) {
      del.run(aor, contact);
      const m = cache.get(aor);
      m?.delete(contact);
      if (m?.size === 0) cache.delete(aor);
    },
    removeAll(aor) {
      delAll.run(aor);
      cache.delete(aor);
    },
  };
}

interface AccountRow {
  name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

interface TokenRow {
  id: string;
  account: string;
  name: string;
  digest: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

interface SessionRow {
  digest: string;
  kind: 'admin' | 'user';
  subject: string;
  csrf: string;
  created_at: number;
  expires_at: number;
}

const toAccount = (r: AccountRow): AdminAccount => ({
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toToken = (r: TokenRow): AdminToken => ({
  id: r.id,
  account: r.account,
  name: r.name,
  digest: r.digest,
  createdAt: r.created_at,
  expiresAt: r.expires_at ?? undefined,
  lastUsedAt: r.last_used_at ?? undefined,
});

/** Admin API accounts, tokens and sessions (the rules live in src/admin; these are rows). */
function createAdminStore(db: Database.Database): AdminStore {
  const count = db.prepare('SELECT COUNT(*) AS n FROM admin_accounts');
  const getAccount = db.prepare('SELECT * FROM admin_accounts WHERE name = ?');
  const listAccounts = db.prepare('SELECT * FROM admin_accounts ORDER BY name');
  const putAccount = db.prepare(
    `INSERT INTO admin_accounts (name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
  );
  const deleteAccount = db.prepare('DELETE FROM admin_accounts WHERE name = ?');
  const deleteAccountSessions = db.prepare("DELETE FROM admin_sessions WHERE kind = 'admin' AND subject = ?");
  const putToken = db.prepare(
    `INSERT INTO admin_tokens (id, account, name, digest, created_at, expires_at, last_used_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const tokenByDigest = db.prepare('SELECT * FROM admin_tokens WHERE digest = ?');
  const allTokens = db.prepare('SELECT * FROM admin_tokens ORDER BY created_at, id');
  const accountTokens = db.prepare('SELECT * FROM admin_tokens WHERE account = ? ORDER BY created_at, id');
  const deleteToken = db.prepare('DELETE FROM admin_tokens WHERE id = ?');
  const touchToken = db.prepare('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?');
  const putSession = db.prepare(
    `INSERT INTO admin_sessions (digest, kind, subject, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(digest) DO UPDATE SET expires_at = excluded.expires_at`,
  );
  const getSession = db.prepare('SELECT * FROM admin_sessions WHERE digest = ?');
  const deleteSession = db.prepare('DELETE FROM admin_sessions WHERE digest = ?');
  const deleteExpired = db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?');
  const removeAccount = db.transaction((name: string) => {
    deleteAccountSessions.run(name);
    return deleteAccount.run(name).changes > 0;
  });

  return {
    countAccounts: () => (count.get() as { n: number }).n,
    getAccount(name) {
      const r = getAccount.get(name) as AccountRow | undefined;
      return r ? toAccount(r) : undefined;
    },
    listAccounts: () => (listAccounts.all() as AccountRow[]).map(toAccount),
    putAccount: (a) => void putAccount.run(a.name, a.passwordHash, a.createdAt, a.updatedAt),
    deleteAccount: (name) => removeAccount(name),
    putToken: (t) =>
      void putToken.run(
        t.id,
        t.account,
        t.name,
        t.digest,
        t.createdAt,
        t.expiresAt ?? null,
        t.lastUsedAt ?? null,
      ),
    findTokenByDigest(digest) {
      const r = tokenByDigest.get(digest) as TokenRow | undefined;
      return r ? toToken(r) : undefined;
    },
    listTokens: (account) =>
      ((account === undefined ? allTokens.all() : accountTokens.all(account)) as TokenRow[]).map(toToken),
    deleteToken: (id) => deleteToken.run(id).changes > 0,
    touchToken: (id, at) => void touchToken.run(at, id),
    putSession: (s: AdminSession) =>
      void putSession.run(s.digest, s.kind, s.subject, s.csrf, s.createdAt, s.expiresAt),
    getSession(digest) {
      const r = getSession.get(digest) as SessionRow | undefined;
      return r
        ? {
            digest: r.digest,
            kind: r.kind,
            subject: r.subject,
            csrf: r.csrf,
            createdAt: r.created_at,
            expiresAt: r.expires_at,
          }
        : undefined;
    },
    deleteSession: (digest) => void deleteSession.run(digest),
    deleteExpiredSessions: (now) => deleteExpired.run(now).changes,
  };
}

/** Call detail records, one row per finished call. */
function createCallRecordTable(db: Database.Database): CallRecordStore {
  const insert = db.prepare(
    'INSERT INTO cdrs (call_id, started_at, ended_at, user, from_number, to_number, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const select = db.prepare(
    `SELECT * FROM cdrs WHERE started_at >= @since
       AND (@user IS NULL OR user = @user OR from_number = @user OR to_number = @user)
     ORDER BY started_at DESC, id DESC LIMIT @limit`,
  );
  const insertRow = (r: CallRecordRow) =>
    insert.run(r.callId, r.startedAt, r.endedAt, r.user, r.from, r.to, JSON.stringify(r.doc));
  // One commit for many rows: a commit per row costs a WAL append and the lock dance each.
  const insertMany = db.transaction((rows: readonly CallRecordRow[]) => {
    for (const r of rows) insertRow(r);
  });
  return {
    append(r) {
      insertRow(r);
    },
    appendMany(rows) {
      if (rows.length > 0) insertMany(rows);
    },
    query(filter) {
      const rows = select.all({
        since: filter.since ?? 0,
        user: filter.user ?? null,
        limit: filter.limit ?? 100,
      }) as {
        call_id: string;
        started_at: number;
        ended_at: number;
        user: string;
        from_number: string;
        to_number: string;
        doc: string;
      }[];
      return rows.map((r) => ({
        callId: r.call_id,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        user: r.user,
        from: r.from_number,
        to: r.to_number,
        doc: JSON.parse(r.doc),
      }));
    },
  };
}

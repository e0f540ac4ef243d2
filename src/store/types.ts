/**
 * The store interface: what the rest of twinline may ask of persistence. The embedded
 * default is one SQLite file (sqlite.ts); a PostgreSQL/Redis implementation for several
 * nodes implements the same interfaces, so no caller changes.
 */
import type { BindingStore } from '../registrar/bindings.js';

/** The directory as stored: the config file's top-level collections, as plain JSON. */
export interface DirectoryDocument {
  system: Record<string, unknown>;
  users: Record<string, unknown>[];
  huntGroups: Record<string, unknown>[];
  timeProfiles: Record<string, unknown>[];
  userRights: Record<string, unknown>[];
  trunks: Record<string, unknown>[];
  incomingRoutes: Record<string, unknown>[];
  shortCodes: Record<string, unknown>[];
}

export type CollectionName = Exclude<keyof DirectoryDocument, 'system'>;

export interface AuditEntry {
  revision: number;
  /** ISO 8601 time of the change. */
  at: string;
  actor: string;
  /** e.g. 'users', 'system'. */
  collection: string;
  /** The entity's key within its collection (extension, name, …); '' for system. */
  key: string;
  action: 'create' | 'update' | 'delete';
  before: unknown;
  after: unknown;
}

export interface CommitResult {
  revision: number;
  changes: AuditEntry[];
}

export interface ConfigStore {
  /** The stored directory and its revision, or undefined while the store is empty. */
  load(): { directory: DirectoryDocument; revision: number } | undefined;
  /**
   * Replaces the stored directory with `directory` in one transaction: only what
   * differs is written, each difference becomes an audit entry under a new revision.
   * Nothing is written when nothing differs (the revision stays).
   */
  commit(directory: DirectoryDocument, meta: { actor: string }): CommitResult;
  audit(options?: { sinceRevision?: number; limit?: number }): AuditEntry[];
  revision(): number;
}

/** An administrator of the HTTP admin API. */
export interface AdminAccount {
  name: string;
  /** A self-describing password hash (`scrypt$N$r$p$salt$hash`); never the password. */
  passwordHash: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/** A bearer token for scripts; only its SHA-256 digest is kept. */
export interface AdminToken {
  id: string;
  account: string;
  /** What the token is for, as its creator named it. */
  name: string;
  /** Hex SHA-256 of the token text. */
  digest: string;
  createdAt: number;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt?: number;
  lastUsedAt?: number;
}

/** A signed-in browser session: an administrator, or a user managing their own settings. */
export interface AdminSession {
  /** Hex SHA-256 of the session id the cookie carries. */
  digest: string;
  kind: 'admin' | 'user';
  /** The account name (admin) or the extension (user). */
  subject: string;
  /** The CSRF token unsafe requests of this session must carry. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export interface AdminStore {
  countAccounts(): number;
  getAccount(name: string): AdminAccount | undefined;
  listAccounts(): AdminAccount[];
  /** Creates or replaces the account. */
  putAccount(account: AdminAccount): void;
  /** Removes the account with its tokens and sessions; false when there was none. */
  deleteAccount(name: string): boolean;
  putToken(token: AdminToken): void;
  findTokenByDigest(digest: string): AdminToken | undefined;
  listTokens(account?: string): AdminToken[];
  deleteToken(id: string): boolean;
  touchToken(id: string, at: number): void;
  putSession(session: AdminSession): void;
  getSession(digest: string): AdminSession | undefined;
  deleteSession(digest: string): void;
  /** Drops sessions whose expiry is at or before `now`; returns how many. */
  deleteExpiredSessions(now: number): number;
}

/** One finished call's record; the document's shape belongs to the call engine (SEE-1). */
export interface CallRecordRow {
  callId: string;
  startedAt: number;
  endedAt: number;
  /** The user the call was for ('' when none). */
  user: string;
  from: string;
  to: string;
  doc: unknown;
}

export interface CallRecordStore {
  append(row: CallRecordRow): void;
  /** Appends every row in one transaction (all or none). */
  appendMany(rows: readonly CallRecordRow[]): void;
  /** Newest first. `user` matches the user, the caller or the dialled number. */
  query(filter: { since?: number; user?: string; limit?: number }): CallRecordRow[];
}

export interface Store {
  readonly config: ConfigStore;
  readonly bindings: BindingStore;
  readonly admin: AdminStore;
  readonly calls: CallRecordStore;
  close(): void;
}

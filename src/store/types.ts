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

export interface Store {
  readonly config: ConfigStore;
  readonly bindings: BindingStore;
  close(): void;
}

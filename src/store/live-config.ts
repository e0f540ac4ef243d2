/**
 * "Mergeable" configuration (CFG-4): the running server always reads one immutable
 * snapshot; a change is validated whole, committed in one store transaction, and only
 * then swapped in, so the next call uses it and a call in progress keeps the snapshot it
 * started with. A rejected change stores nothing and leaves the snapshot as it was.
 */
import type { AuditEntry, ConfigStore, DirectoryDocument } from './types.js';

export interface ValidationError {
  path: string;
  value: unknown;
  allowed: string;
  message: string;
  code: string;
}

export type Validated<S> =
  | { ok: true; snapshot: S; warnings: string[] }
  | { ok: false; errors: ValidationError[] };

export interface LiveConfigOptions<S> {
  store: ConfigStore;
  /** Validates a whole directory and builds its snapshot for `revision`. */
  validate(directory: DirectoryDocument, revision: number): Validated<S>;
  /**
   * Extra checks of a change (read-only fields, user-rights locks), given before and
   * after; `current` is the snapshot in force, so `before` need not be validated again.
   */
  checkChange?(
    before: DirectoryDocument,
    after: DirectoryDocument,
    actor: string,
    current: S,
  ): ValidationError[];
  /** The directory written on first start, when the store is empty. */
  seed(): DirectoryDocument;
}

export type ApplyResult =
  | { ok: true; revision: number; changes: AuditEntry[]; warnings: string[] }
  | { ok: false; errors: ValidationError[] };

export interface LiveConfig<S> {
  /** The snapshot in force now; hold on to it for the length of a call. */
  current(): S;
  /** The directory document in force now (for export and editing). */
  document(): DirectoryDocument;
  revision(): number;
  /** Validates and stores a whole new directory; swaps it in when accepted. */
  apply(directory: DirectoryDocument, actor: string): ApplyResult;
  /**
   * Picks up a directory another process committed to the store (`twinline config
   * import` next to a running server). Returns the new revision, or undefined when the
   * store holds nothing newer. A stored directory that does not validate is not applied.
   */
  refresh(): { revision: number } | { errors: ValidationError[] } | undefined;
  /** Told after each accepted change with the new snapshot. */
  onChange(listener: (snapshot: S, revision: number) => void): () => void;
}

export class StoredConfigInvalidError extends Error {
  readonly code = 'STORED_CONFIG_INVALID';
  constructor(readonly errors: ValidationError[]) {
    super(
      `the stored configuration is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  }
}

export function openLiveConfig<S>(options: LiveConfigOptions<S>): LiveConfig<S> {
  const { store } = options;
  let loaded = store.load();
  if (!loaded) {
    const seed = options.seed();
    const checked = options.validate(seed, 1);
    if (!checked.ok) throw new StoredConfigInvalidError(checked.errors);
    const { revision } = store.commit(seed, { actor: 'first-start' });
    loaded = { directory: seed, revision };
  }
  const first = options.validate(loaded.directory, loaded.revision);
  if (!first.ok) throw new StoredConfigInvalidError(first.errors);
  let snapshot = first.snapshot;
  let document = loaded.directory;
  let revision = loaded.revision;
  const listeners = new Set<(s: S, r: number) => void>();

  const swap = (next: S, nextDocument: DirectoryDocument, nextRevision: number) => {
    snapshot = next;
    document = nextDocument;
    revision = nextRevision;
    for (const l of listeners) {
      try {
        l(snapshot, revision);
      } catch {
        // A listener's failure must not undo or hide an accepted change (STYLE 9).
      }
    }
  };

  return {
    current: () => snapshot,
    document: () => document,
    revision: () => revision,
    apply(directory, actor) {
      const changeErrors = options.checkChange?.(document, directory, actor, snapshot) ?? [];
      const checked = options.validate(directory, revision + 1);
      const errors = [...changeErrors, ...(checked.ok ? [] : checked.errors)];
      if (errors.length > 0 || !checked.ok) return { ok: false, errors };
      const result = store.commit(directory, { actor });
      if (result.changes.length === 0) return { ok: true, revision, changes: [], warnings: checked.warnings };
      const rebuilt =
        result.revision === revision + 1 ? checked : options.validate(directory, result.revision);
      if (!rebuilt.ok) return { ok: false, errors: rebuilt.errors };
      swap(rebuilt.snapshot, directory, result.revision);
      return { ok: true, revision, changes: result.changes, warnings: checked.warnings };
    },
    refresh() {
      if (store.revision() <= revision) return undefined;
      const stored = store.load();
      if (!stored || stored.revision <= revision) return undefined;
      const checked = options.validate(stored.directory, stored.revision);
      if (!checked.ok) return { errors: checked.errors };
      swap(checked.snapshot, stored.directory, stored.revision);
      return { revision };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The live configuration wired to the real configuration model: whole-directory
 * validation and snapshots (`trySnapshot`), change rules (`validateChange`) for the
 * actor the change is made by, and the first-start seed. The composition root, the CLI
 * and the admin API tests all open the configuration this one way.
 */
import { randomBytes } from 'node:crypto';
import {
  type Actor,
  type ConfigIssue,
  type ConfigSnapshot,
  type Directory,
  demoDirectory,
  trySnapshot,
  validateChange,
} from '../config/index.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { type LiveConfig, openLiveConfig, type ValidationError } from './live-config.js';
import type { DirectoryDocument, Store } from './types.js';

export interface DirectoryConfigOptions {
  /** The directory written on first start; default: the demo directory with random passwords, each logged once. */
  seed?: () => Directory;
  logger: Logger;
  /** Decides which user-rights template is in force for a user's own change (UR-2); default the system clock. */
  clock?: Clock;
}

/**
 * Actor names as the audit log records them. `apply(directory, actorName)` takes a
 * string, so the kind travels in it: `system`, `user:<extension>`, anything else is an
 * administrator (`admin:<account>`, `import`, `first-start`).
 */
export function actorName(actor: Actor & { name?: string }): string {
  if (actor.kind === 'system') return 'system';
  if (actor.kind === 'user') return `user:${actor.extension ?? ''}`;
  return actor.name !== undefined ? `admin:${actor.name}` : 'admin';
}

/** The {@link Actor} an actor name stands for (see {@link actorName}). */
export function parseActorName(name: string): Actor {
  if (name === 'system') return { kind: 'system' };
  if (name.startsWith('user:')) return { kind: 'user', extension: name.slice('user:'.length) };
  return { kind: 'admin' };
}

export function toValidationErrors(issues: readonly ConfigIssue[]): ValidationError[] {
  return issues.map((i) => ({
    path: i.path,
    value: i.value,
    allowed: i.allowed,
    message: i.message,
    code: i.code,
  }));
}

/** The demo directory with fresh random passwords, each shown once in the log. */
export function demoSeed(logger: Logger): () => Directory {
  return () => {
    const directory = demoDirectory(() => randomBytes(9).toString('base64url'));
    for (const u of directory.users) {
      logger.info(
        { user: u.extension, name: u.name, password: u.password },
        'demo user created (password shown once)',
      );
    }
    return directory;
  };
}

/**
 * Opens the live configuration over `store.config`: seeds an empty store, validates
 * every change whole and with the change rules of its actor, and stores it in one
 * transaction (CFG-1, CFG-4).
 */
export function openDirectoryConfig(
  store: Store,
  options: DirectoryConfigOptions,
): LiveConfig<ConfigSnapshot> {
  const seed = options.seed ?? demoSeed(options.logger);
  const clock = options.clock ?? systemClock;
  const live = openLiveConfig<ConfigSnapshot>({
    store: store.config,
    seed: () => seed() as unknown as DirectoryDocument,
    validate(directory, revision) {
      const r = trySnapshot(directory, revision);
      return r.ok
        ? { ok: true, snapshot: r.snapshot, warnings: r.warnings.map((w) => w.message) }
        : { ok: false, errors: toValidationErrors(r.errors) };
    },
    checkChange(_before, after, actor, current) {
      const who = parseActorName(actor);
      // UR-2: a user's own change meets the template in force now.
      const at = who.kind === 'user' ? clock.wallNow() : undefined;
      const r = validateChange(current.directory, after, who, at);
      return r.ok ? [] : toValidationErrors(r.errors);
    },
  });
  return {
    ...live,
    apply(directory, actor) {
      const result = live.apply(directory, actor);
      return result.ok ? result : { ok: false, errors: mergeErrors(result.errors) };
    },
  };
}

/**
 * The change rules re-run the directory rules on the new directory, and the live
 * configuration validates it once more: each problem is reported once. A twin
 * destination's read-only twinnedHandset replaces the generic twinning error at that path.
 */
function mergeErrors(errors: readonly ValidationError[]): ValidationError[] {
  const seen = new Set<string>();
  const readOnlyTwin = new Set(
    errors.filter((e) => e.code === 'READ_ONLY_TWIN_DESTINATION').map((e) => e.path),
  );
  const out: ValidationError[] = [];
  for (const e of errors) {
    if (e.code === 'TWIN_DESTINATION_CANNOT_TWIN' && readOnlyTwin.has(e.path)) continue;
    const key = `${e.path}\u0000${e.code}\u0000${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

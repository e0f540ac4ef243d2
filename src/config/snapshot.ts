/**
 * The configuration snapshot the call engine reads: a validated directory, deep-frozen,
 * with a revision number and hash indexes for every lookup a call needs. CFG-4: a new
 * snapshot applies to the next call; a call keeps the snapshot it started with.
 */
import { type ConfigIssue, ConfigValidationError } from './errors.js';
import type {
  Directory,
  HuntGroup,
  IncomingRoute,
  ShortCode,
  SystemSettings,
  TimeProfile,
  Trunk,
  User,
  UserRights,
} from './schema.js';
import { MOBILITY_ROUTE_FEATURES } from './schema.js';
import { analyseDirectory, routeKey } from './validate.js';

export interface ConfigSnapshot {
  readonly revision: number;
  /** The normalised directory (every default filled in); deep-frozen at run time. */
  readonly directory: Directory;
  readonly system: SystemSettings;
  /** Warnings found when the snapshot was built (e.g. oneXMobileClient is inert). */
  readonly warnings: readonly ConfigIssue[];
  readonly usersByExtension: ReadonlyMap<string, User>;
  readonly usersByName: ReadonlyMap<string, User>;
  readonly huntGroupsByExtension: ReadonlyMap<string, HuntGroup>;
  readonly huntGroupsByName: ReadonlyMap<string, HuntGroup>;
  readonly timeProfilesByName: ReadonlyMap<string, TimeProfile>;
  readonly userRightsByName: ReadonlyMap<string, UserRights>;
  readonly trunksByName: ReadonlyMap<string, Trunk>;
  /** Twinned handset extension → primary user extension (IT-1, IT-3). */
  readonly twinPrimaryByDestination: ReadonlyMap<string, string>;
  /** `routeKey(trunk, ddi)` → routes for that trunk and DDI, in file order. */
  readonly routesByTrunkDdi: ReadonlyMap<string, readonly IncomingRoute[]>;
  readonly shortCodesByCode: ReadonlyMap<string, ShortCode>;
  readonly lineIds: ReadonlySet<string>;
  /** The MS Teams Direct Routing trunk, if any (TEAMS-1). */
  readonly teamsTrunk: Trunk | undefined;
  /** The carrier trunk the outside-line prefix uses (system.outgoingTrunk, else the first carrier trunk). */
  readonly outgoingTrunk: Trunk | undefined;
}

export type SnapshotResult =
  | { ok: true; snapshot: ConfigSnapshot; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

function refuse(): never {
  throw new TypeError('a configuration snapshot is immutable');
}

function freezeMap<K, V>(m: Map<K, V>): ReadonlyMap<K, V> {
  Object.defineProperties(m, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(m);
}

function freezeSet<T>(s: Set<T>): ReadonlySet<T> {
  Object.defineProperties(s, { add: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(s);
}

/** Freezes a JSON-like value and everything inside it. */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return Object.freeze(v);
}

/** Validates `dir` and builds a snapshot, or returns every error. */
export function trySnapshot(dir: unknown, revision: number): SnapshotResult {
  const a = analyseDirectory(dir);
  if (!a.directory || !a.indexes || a.errors.length > 0)
    return { ok: false, errors: a.errors, warnings: a.warnings };
  const d = deepFreeze(a.directory);
  const x = a.indexes;
  const routes = new Map<string, readonly IncomingRoute[]>();
  for (const [k, list] of x.routesByTrunkDdi) routes.set(k, Object.freeze(list));
  const teamsTrunk = d.trunks.find((t) => t.kind === 'msTeams');
  const outgoingTrunk =
    d.system.outgoingTrunk !== undefined
      ? x.trunksByName.get(d.system.outgoingTrunk)
      : d.trunks.find((t) => t.kind === 'carrier');
  const warnings = deepFreeze(a.warnings);
  const snapshot: ConfigSnapshot = Object.freeze({
    revision,
    directory: d,
    system: d.system,
    warnings,
    usersByExtension: freezeMap(x.usersByExtension),
    usersByName: freezeMap(x.usersByName),
    huntGroupsByExtension: freezeMap(x.huntGroupsByExtension),
    huntGroupsByName: freezeMap(x.huntGroupsByName),
    timeProfilesByName: freezeMap(x.timeProfilesByName),
    userRightsByName: freezeMap(x.userRightsByName),
    trunksByName: freezeMap(x.trunksByName),
    twinPrimaryByDestination: freezeMap(x.twinPrimaryByDestination),
    routesByTrunkDdi: freezeMap(routes),
    shortCodesByCode: freezeMap(x.shortCodesByCode),
    lineIds: freezeSet(x.lineIds),
    teamsTrunk,
    outgoingTrunk,
  });
  return { ok: true, snapshot, warnings: a.warnings };
}

/**
 * Validates `dir` (a Directory or parsed YAML) and returns an immutable snapshot.
 * Throws {@link ConfigValidationError} listing every error when it is not valid.
 */
export function buildSnapshot(dir: unknown, revision: number): ConfigSnapshot {
  const r = trySnapshot(dir, revision);
  if (!r.ok) throw new ConfigValidationError(r.errors, r.warnings);
  return r.snapshot;
}

/**
 * The incoming route for a call on `trunk` to `ddi` from `callerId`: an exact DDI beats
 * the catch-all `''`, and a route naming the caller ID beats one without.
 */
export function findRoute(
  snapshot: ConfigSnapshot,
  trunk: string,
  ddi: string,
  callerId?: string,
): IncomingRoute | undefined {
  for (const d of ddi === '' ? [''] : [ddi, '']) {
    const list = snapshot.routesByTrunkDdi.get(routeKey(trunk, d));
    if (!list) continue;
    const byCaller = callerId !== undefined ? list.find((r) => r.callerId === callerId) : undefined;
    const any = list.find((r) => r.callerId === undefined);
    const hit = byCaller ?? any;
    if (hit) return hit;
  }
  return undefined;
}

export type ResolvedDestination =
  | { kind: 'user'; user: User }
  | { kind: 'huntGroup'; group: HuntGroup }
  | { kind: 'feature'; feature: (typeof MOBILITY_ROUTE_FEATURES)[number] };

/** What an incoming route's destination names: a user, a hunt group, or FNE 31/32/33. */
export function resolveDestination(
  snapshot: ConfigSnapshot,
  destination: string,
): ResolvedDestination | undefined {
  const feature = MOBILITY_ROUTE_FEATURES.find((f) => f === destination);
  if (feature) return { kind: 'feature', feature };
  const user = snapshot.usersByExtension.get(destination);
  if (user) return { kind: 'user', user };
  const group = snapshot.huntGroupsByExtension.get(destination) ?? snapshot.huntGroupsByName.get(destination);
  if (group) return { kind: 'huntGroup', group };
  return undefined;
}

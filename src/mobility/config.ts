/**
 * The configuration as the policy core reads it. Rules that belong to the configuration
 * model are *called*, not re-implemented here:
 *
 * - TP-1..TP-5 (time profiles, DST-correct in the system zone): src/config/time-profile.ts
 * - UR-1..UR-3, CFG-2, CFG-3, LIC-2, IT-8 gating (effective values at an instant):
 *   src/config/effective.ts (`effectiveUser`)
 * - LIC-1 (which licence levels carry which entitlement): src/config/licence.ts
 *
 * The core takes a {@link ConfigSnapshot} (CFG-4: a call keeps the snapshot it started
 * with). The appearance indexes it needs beyond the snapshot's own are built once per
 * snapshot and cached while the snapshot lives.
 */
import { type EffectiveUser, effectiveUser } from '../config/effective.js';
import type { ConfigSnapshot } from '../config/snapshot.js';

export type { ConfigSnapshot } from '../config/snapshot.js';

export interface AppearanceHolder {
  /** The user holding the button. */
  holder: string;
  ring: 'immediate' | 'delayed' | 'none';
}

interface AppearanceIndex {
  bridged: ReadonlyMap<string, readonly AppearanceHolder[]>;
  coverage: ReadonlyMap<string, readonly AppearanceHolder[]>;
  lines: ReadonlyMap<string, readonly AppearanceHolder[]>;
}

const EMPTY: readonly AppearanceHolder[] = Object.freeze([]);
const indexCache = new WeakMap<ConfigSnapshot, AppearanceIndex>();

function push(map: Map<string, AppearanceHolder[]>, key: string, value: AppearanceHolder): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function appearanceIndex(snapshot: ConfigSnapshot): AppearanceIndex {
  const hit = indexCache.get(snapshot);
  if (hit) return hit;
  const bridged = new Map<string, AppearanceHolder[]>();
  const coverage = new Map<string, AppearanceHolder[]>();
  const lines = new Map<string, AppearanceHolder[]>();
  for (const u of snapshot.directory.users) {
    for (const a of u.appearances.bridged) push(bridged, a.extension, { holder: u.extension, ring: a.ring });
    for (const a of u.appearances.coverage)
      push(coverage, a.extension, { holder: u.extension, ring: a.ring });
    for (const a of u.appearances.lines) push(lines, a.lineId, { holder: u.extension, ring: a.ring });
  }
  const index: AppearanceIndex = { bridged, coverage, lines };
  indexCache.set(snapshot, index);
  return index;
}

/** APP-1: users with a bridged appearance button of `extension`. */
export function bridgedHolders(snapshot: ConfigSnapshot, extension: string): readonly AppearanceHolder[] {
  return appearanceIndex(snapshot).bridged.get(extension) ?? EMPTY;
}

/** APP-2: users who cover `extension`. */
export function coverageHolders(snapshot: ConfigSnapshot, extension: string): readonly AppearanceHolder[] {
  return appearanceIndex(snapshot).coverage.get(extension) ?? EMPTY;
}

/** APP-3: users with a line appearance of `lineId`. */
export function lineHolders(snapshot: ConfigSnapshot, lineId: string): readonly AppearanceHolder[] {
  return appearanceIndex(snapshot).lines.get(lineId) ?? EMPTY;
}

/** UR-2, UR-1, CFG-2, LIC-2: the user's values in force at `at` (owned by src/config/effective.ts). */
export function effectiveAt(
  snapshot: ConfigSnapshot,
  extension: string,
  at: number,
): EffectiveUser | undefined {
  return effectiveUser(snapshot, extension, at);
}

export type { EffectiveUser };

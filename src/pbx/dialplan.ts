/**
 * The dial plan (pbx.md): what a dialled string means for a user of the system, and
 * where a call arriving on a trunk goes. Pure functions of the configuration snapshot.
 *
 * Order for a user's dialled string: short codes (exact, then with N), extensions (users
 * and hunt groups), then the outside-line prefix to the outgoing carrier trunk.
 */
import {
  type ConfigSnapshot,
  findRoute,
  type HuntGroup,
  type IncomingRoute,
  resolveDestination,
  type ShortCode,
  type Trunk,
  type User,
} from '../config/index.js';

export type DialResult =
  | { kind: 'user'; user: User }
  | { kind: 'huntGroup'; group: HuntGroup }
  /** `number` is what the trunk receives: the dialled string without the outside-line prefix. */
  | { kind: 'trunk'; trunk: Trunk; number: string }
  /** `digits` are what the user dialled in place of N. */
  | { kind: 'shortCode'; shortCode: ShortCode; digits: string }
  | { kind: 'none'; why: 'unknown-number' | 'no-outgoing-trunk' | 'barred' };

/** Matches a short code pattern like `*9N#` against a dialled string; returns N's digits. */
export function matchShortCode(code: string, dialled: string): string | undefined {
  const n = code.indexOf('N');
  if (n < 0) return code === dialled ? '' : undefined;
  const head = code.slice(0, n);
  const tail = code.slice(n + 1);
  if (!dialled.startsWith(head) || !dialled.endsWith(tail)) return undefined;
  if (dialled.length < head.length + tail.length) return undefined;
  const digits = dialled.slice(head.length, dialled.length - tail.length);
  return /^[0-9*#+]*$/.test(digits) ? digits : undefined;
}

export interface DialOptions {
  /** Prefixes refused on the outside line for this dialler (e.g. mobile features' barring). */
  barredPrefixes?: readonly string[];
}

/** What `dialled` reaches when a user of the system dials it (MT-1: twin legs dial through here too). */
export function resolveDialled(
  snapshot: ConfigSnapshot,
  dialled: string,
  options: DialOptions = {},
): DialResult {
  const exact = snapshot.shortCodesByCode.get(dialled);
  if (exact) return { kind: 'shortCode', shortCode: exact, digits: '' };
  for (const shortCode of snapshot.shortCodesByCode.values()) {
    if (!shortCode.code.includes('N')) continue;
    const digits = matchShortCode(shortCode.code, dialled);
    if (digits !== undefined) return { kind: 'shortCode', shortCode, digits };
  }
  const user = snapshot.usersByExtension.get(dialled);
  if (user) return { kind: 'user', user };
  const group = snapshot.huntGroupsByExtension.get(dialled);
  if (group) return { kind: 'huntGroup', group };
  const prefix = snapshot.system.outsideLinePrefix;
  if (dialled.startsWith(prefix) && dialled.length > prefix.length) {
    const number = dialled.slice(prefix.length);
    if (!/^\+?[0-9*#]+$/.test(number)) return { kind: 'none', why: 'unknown-number' };
    if (options.barredPrefixes?.some((p) => number.startsWith(p))) return { kind: 'none', why: 'barred' };
    const trunk = snapshot.outgoingTrunk;
    if (!trunk) return { kind: 'none', why: 'no-outgoing-trunk' };
    return { kind: 'trunk', trunk, number };
  }
  return { kind: 'none', why: 'unknown-number' };
}

export type IncomingResult =
  | { kind: 'user'; user: User; route: IncomingRoute }
  | { kind: 'huntGroup'; group: HuntGroup; route: IncomingRoute }
  | { kind: 'feature'; feature: 'fne31' | 'fne32' | 'fne33'; route: IncomingRoute }
  | { kind: 'none' };

/**
 * pbx.md incoming call routes: the route for a call on `trunk` to `ddi` from `callerId`
 * (src/config's findRoute: caller-ID routes first, the '' DDI as catch-all), resolved.
 */
export function resolveIncoming(
  snapshot: ConfigSnapshot,
  trunk: string,
  ddi: string,
  callerId: string,
): IncomingResult {
  const route =
    findRoute(snapshot, trunk, ddi, callerId) ?? findRoute(snapshot, trunk, ddi.replace(/^\+/, ''), callerId);
  if (!route) return { kind: 'none' };
  const destination = resolveDestination(snapshot, route.destination);
  if (!destination) return { kind: 'none' };
  if (destination.kind === 'feature') return { kind: 'feature', feature: destination.feature, route };
  if (destination.kind === 'user') return { kind: 'user', user: destination.user, route };
  return { kind: 'huntGroup', group: destination.group, route };
}

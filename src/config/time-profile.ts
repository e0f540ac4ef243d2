/**
 * Time profiles (TP-1..TP-5): when a named profile is active, evaluated in the system's
 * IANA time zone by wall-clock time, so a 09:00–17:00 profile starts at 09:00 local time
 * on both sides of a daylight-saving change.
 *
 * Entries are matched on the local date, weekday and time of day; an entry covers
 * [start, end) — end exclusive, `24:00` allowed as an end. Pure: the instant to evaluate
 * is always an argument.
 */
import { IANAZone } from 'luxon';
import type { OverrideKind, TimeProfile } from './schema.js';

/** A manual override of a profile (TP-4); `setAt` is when it was set (needed by the one-shot kinds). */
export interface ProfileOverride {
  kind: OverrideKind;
  setAt?: Date | number | string;
}

interface CompiledEntry {
  /** Weekday bitmask, bit = JS getUTCDay() (0 = Sunday); 0 for calendar entries. */
  days: number;
  /** Calendar range as yyyymmdd numbers; undefined for weekly entries. */
  from?: number;
  to?: number;
  /** Seconds since local midnight. */
  start: number;
  end: number;
}

interface Compiled {
  entries: CompiledEntry[];
  weeklyOnly: boolean;
  /** Latest calendar date (yyyymmdd), 0 when none. */
  lastDate: number;
}

const JS_DAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MINUTE = 60_000;
const DAY = 86_400_000;

function hhmm(s: string): number {
  const [h, m] = s.split(':');
  return (Number(h) * 60 + Number(m)) * 60;
}

function ymd(s: string): number {
  return Number(s.replaceAll('-', ''));
}

const compiledCache = new WeakMap<TimeProfile, Compiled>();

function compile(profile: TimeProfile): Compiled {
  const hit = compiledCache.get(profile);
  if (hit) return hit;
  let lastDate = 0;
  const entries = profile.entries.map((e): CompiledEntry => {
    if (e.kind === 'weekly') {
      let days = 0;
      for (const d of e.days) days |= 1 << (JS_DAY[d] ?? 0);
      return { days, start: hhmm(e.start), end: hhmm(e.end) };
    }
    const from = ymd(e.date);
    const to = ymd(e.endDate ?? e.date);
    lastDate = Math.max(lastDate, to);
    return { days: 0, from, to, start: hhmm(e.start), end: hhmm(e.end) };
  });
  const c: Compiled = { entries, weeklyOnly: lastDate === 0, lastDate };
  compiledCache.set(profile, c);
  return c;
}

const zoneCache = new Map<string, IANAZone>();

/** The luxon zone for an IANA name; throws RangeError for an unknown zone. */
export function zoneFor(timeZone: string): IANAZone {
  let z = zoneCache.get(timeZone);
  if (!z) {
    z = IANAZone.create(timeZone);
    if (!z.isValid) throw new RangeError(`unknown time zone ${timeZone}`);
    zoneCache.set(timeZone, z);
  }
  return z;
}

/** TP-5: whether `timeZone` is a zone the zone database knows. */
export function isValidTimeZone(timeZone: string): boolean {
  return IANAZone.isValidZone(timeZone);
}

function toMs(at: Date | number | string): number {
  if (typeof at === 'number') return at;
  if (typeof at === 'string') return Date.parse(at);
  return at.getTime();
}

interface Local {
  dow: number;
  date: number;
  secs: number;
}

function localAt(ms: number, zone: IANAZone): Local {
  const d = new Date(ms + zone.offset(ms) * MINUTE);
  return {
    dow: d.getUTCDay(),
    date: d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(),
    secs: d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds() + d.getUTCMilliseconds() / 1000,
  };
}

function entryApplies(e: CompiledEntry, dow: number, date: number): boolean {
  return e.from === undefined ? (e.days & (1 << dow)) !== 0 : date >= e.from && date <= (e.to ?? e.from);
}

function activeAt(c: Compiled, ms: number, zone: IANAZone): boolean {
  const l = localAt(ms, zone);
  // TP-1: active when any entry matches.
  for (const e of c.entries) {
    if (entryApplies(e, l.dow, l.date) && l.secs >= e.start && l.secs < e.end) return true;
  }
  return false;
}

/** TP-1/TP-2: whether the profile's own schedule (ignoring any override) covers `at`. */
export function isScheduleActive(profile: TimeProfile, at: Date | number, timeZone: string): boolean {
  return activeAt(compile(profile), toMs(at), zoneFor(timeZone));
}

/** The instant at which `zone`'s UTC offset changes inside (lo, hi]; the offsets at lo and hi must differ. */
function findTransition(zone: IANAZone, lo: number, hi: number): number {
  const before = zone.offset(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The instants at which local wall time reaches `secs` on the civil date `wallMidnight`
 * (UTC-encoded): none in a spring-forward gap (then the transition itself), two in a
 * fall-back overlap.
 */
function instantsOf(zone: IANAZone, wallMidnight: number, secs: number): number[] {
  const wall = wallMidnight + secs * 1000;
  const offsets = new Set([zone.offset(wall - DAY), zone.offset(wall + DAY)]);
  const out: number[] = [];
  for (const o of offsets) {
    const t = wall - o * MINUTE;
    if (zone.offset(t) === o) out.push(t);
  }
  if (out.length === 0) {
    // DST gap: this wall time never happens; the schedule changes when the clock jumps past it.
    const os = [...offsets];
    const lo = wall - Math.max(...os) * MINUTE;
    const hi = wall - Math.min(...os) * MINUTE;
    out.push(findTransition(zone, lo, hi));
  }
  return out;
}

/** How many days ahead a change can lie: a week for weekly-only profiles, else past the last calendar date. */
function horizonDays(c: Compiled, startDate: number): number {
  if (c.weeklyOnly) return 9;
  const y = Math.floor(c.lastDate / 10_000);
  const m = Math.floor(c.lastDate / 100) % 100;
  const d = c.lastDate % 100;
  const sy = Math.floor(startDate / 10_000);
  const sm = Math.floor(startDate / 100) % 100;
  const sd = startDate % 100;
  const days = Math.ceil((Date.UTC(y, m - 1, d) - Date.UTC(sy, sm - 1, sd)) / DAY);
  return Math.min(Math.max(9, days + 9), 3700);
}

/**
 * TP-4: the first instant after `after` at which the profile's schedule changes state
 * (inactive → active or back), or undefined when it never changes again. DST-correct:
 * a boundary inside a spring-forward gap takes effect when the clock jumps; in a
 * fall-back overlap both occurrences are considered.
 */
export function nextScheduledChange(
  profile: TimeProfile,
  after: Date | number,
  timeZone: string,
): number | undefined {
  const c = compile(profile);
  if (c.entries.length === 0) return undefined;
  const zone = zoneFor(timeZone);
  const from = toMs(after);
  const state = activeAt(c, from, zone);
  const start = localAt(from, zone);
  const sy = Math.floor(start.date / 10_000);
  const sm = Math.floor(start.date / 100) % 100;
  const sd = start.date % 100;
  const horizon = horizonDays(c, start.date);
  for (let i = 0; i <= horizon; i++) {
    const wallMidnight = Date.UTC(sy, sm - 1, sd + i);
    const day = new Date(wallMidnight);
    const dow = day.getUTCDay();
    const date = day.getUTCFullYear() * 10_000 + (day.getUTCMonth() + 1) * 100 + day.getUTCDate();
    const bounds = new Set<number>();
    for (const e of c.entries) {
      if (!entryApplies(e, dow, date)) continue;
      bounds.add(e.start);
      bounds.add(e.end);
    }
    const candidates: number[] = [];
    for (const secs of bounds) candidates.push(...instantsOf(zone, wallMidnight, secs));
    // A DST change inside the day moves wall time itself; the state may change right there.
    const dayStart = wallMidnight - zone.offset(wallMidnight) * MINUTE;
    const dayEnd = wallMidnight + DAY - zone.offset(wallMidnight + DAY) * MINUTE;
    if (zone.offset(dayStart) !== zone.offset(dayEnd))
      candidates.push(findTransition(zone, dayStart, dayEnd));
    candidates.sort((a, b) => a - b);
    for (const t of candidates) {
      if (t > from && activeAt(c, t, zone) !== state) return t;
    }
  }
  return undefined;
}

/**
 * Whether a time profile is active at `at` (TP-1..TP-5).
 *
 * - No profile → always active (TP-3).
 * - `override` defaults to the one stored on the profile (`override`/`overrideSetAt`);
 *   pass `null` to ignore it.
 * - `latchActive` / `latchInactive` hold until cleared.
 * - `activeUntilNextInactive` / `inactiveUntilNextActive` force their state from `setAt`
 *   until the schedule's next change after `setAt`; then the schedule rules again.
 */
export function isProfileActive(
  profile: TimeProfile | undefined,
  at: Date | number,
  timeZone: string,
  override?: ProfileOverride | null,
): boolean {
  if (!profile) return true; // TP-3
  const ms = toMs(at);
  const ov: ProfileOverride | null =
    override === undefined
      ? profile.override
        ? { kind: profile.override, ...(profile.overrideSetAt ? { setAt: profile.overrideSetAt } : {}) }
        : null
      : override;
  if (!ov) return isScheduleActive(profile, ms, timeZone);
  // TP-4
  switch (ov.kind) {
    case 'latchActive':
      return true;
    case 'latchInactive':
      return false;
    case 'activeUntilNextInactive':
    case 'inactiveUntilNextActive': {
      const forced = ov.kind === 'activeUntilNextInactive';
      const setAt = ov.setAt === undefined ? Number.NaN : toMs(ov.setAt);
      // Without a valid setAt the override cannot be placed in time; validation rejects that.
      if (Number.isNaN(setAt) || ms < setAt) return isScheduleActive(profile, ms, timeZone);
      const end = nextScheduledChange(profile, setAt, timeZone);
      if (end === undefined || ms < end) return forced;
      return isScheduleActive(profile, ms, timeZone);
    }
  }
}

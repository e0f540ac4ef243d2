/**
 * Whole-directory validation (spec §1–3) and change validation (read-only rules, UR-1).
 *
 * Each list entry is parsed on its own, so one bad user hides no error of another; then
 * the cross-field rules run once over the parsed entries with hash indexes — O(n) in the
 * number of entries, so 10,000 users validate in a fraction of a second. A rejected
 * directory or change lists every error and yields nothing partial (CFG-1).
 */
import type { z } from 'zod';
import { type ConfigErrorCode, type ConfigIssue, describeValue, formatPath } from './errors.js';
import {
  allowedAt,
  getPath,
  isOptionalField,
  LOCK_ONLY_TO_NONE,
  LOCKABLE_SETTINGS,
  objectKeysAt,
  SELF_SERVICE_SETTINGS,
  sameValue,
} from './fields.js';
import { hasMobilityEntitlement, isLicensed } from './licence.js';
import {
  DIRECTORY_SECTIONS,
  type Directory,
  defaultMobility,
  FEATURES_NEEDING_DIGITS,
  type HuntGroup,
  type IncomingRoute,
  MOBILITY_FIELDS,
  MOBILITY_ROUTE_FEATURES,
  SECTION_ELEMENT,
  type ShortCode,
  SystemSchema,
  type SystemSettings,
  type TimeProfile,
  type Trunk,
  type User,
  type UserRights,
} from './schema.js';
import { isProfileActive, isValidTimeZone } from './time-profile.js';

export type ValidationResult =
  | { ok: true; directory: Directory; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

/** Hash indexes built while validating; the snapshot reuses them. */
export interface DirectoryIndexes {
  usersByExtension: Map<string, User>;
  usersByName: Map<string, User>;
  huntGroupsByExtension: Map<string, HuntGroup>;
  huntGroupsByName: Map<string, HuntGroup>;
  timeProfilesByName: Map<string, TimeProfile>;
  userRightsByName: Map<string, UserRights>;
  trunksByName: Map<string, Trunk>;
  /** Twinned handset extension → its primary user's extension (IT-1). */
  twinPrimaryByDestination: Map<string, string>;
  /** `routeKey(trunk, ddi)` → routes in file order (with and without caller ID). */
  routesByTrunkDdi: Map<string, IncomingRoute[]>;
  shortCodesByCode: Map<string, ShortCode>;
  /** Every line id known from trunks and routes (APP-3). */
  lineIds: Set<string>;
}

/** The key of {@link DirectoryIndexes.routesByTrunkDdi}. */
export function routeKey(trunk: string, ddi: string): string {
  return `${trunk}\u0000${ddi}`;
}

export interface Analysis {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  /** Present when every entry passed its own field rules; valid only when `errors` is empty. */
  directory?: Directory;
  /** The system settings and the users that passed their own field rules, with their list index. */
  partial?: { system: SystemSettings; users: Indexed<User>[] };
  indexes?: DirectoryIndexes;
}

class Collector {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  error(
    path: string,
    value: unknown,
    allowed: string,
    message: string,
    code: ConfigErrorCode,
    label = '',
  ): void {
    const where = label ? `${path} (${label})` : path;
    this.errors.push({ path, value, allowed, message: `${where}: ${message}`, code });
  }

  warn(path: string, value: unknown, allowed: string, message: string, code: ConfigErrorCode): void {
    this.warnings.push({ path, value, allowed, message: `${path}: ${message}`, code });
  }
}

const FIXED_OFFSET_ZONES = /^(EST|MST|HST|Etc\/.*)$/;

// ───────────────────────────── schema issues → ConfigIssue ─────────────────────────────

type ZodIssue = z.core.$ZodIssue & { input?: unknown };

function deriveAllowed(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `a ${issue.expected}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}`;
    case 'too_small':
      return `at least ${String(issue.minimum)}`;
    case 'invalid_value':
      return issue.values.map((v) => JSON.stringify(v)).join(' | ');
    default:
      return 'see docs/config.md';
  }
}

function issueCode(issue: ZodIssue): ConfigErrorCode {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'REQUIRED' : 'INVALID_TYPE';
    case 'too_big':
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
        ? 'OUT_OF_RANGE'
        : 'INVALID_LENGTH';
    case 'invalid_format':
    case 'custom':
      return 'INVALID_FORMAT';
    default:
      return 'INVALID_VALUE';
  }
}

function problemText(code: ConfigErrorCode, value: unknown): string {
  switch (code) {
    case 'REQUIRED':
      return 'is required';
    case 'INVALID_TYPE':
      return `has the wrong type (${describeValue(value)})`;
    case 'OUT_OF_RANGE':
      return `${describeValue(value)} is out of range`;
    case 'INVALID_LENGTH':
      return `${describeValue(value)} has the wrong length`;
    default:
      return `${describeValue(value)} is not allowed`;
  }
}

/** Converts zod issues of `schema` (validated at `prefix`) into ConfigIssues. */
function issuesFromZod(
  out: Collector,
  schema: z.ZodType,
  issues: readonly ZodIssue[],
  prefix: readonly PropertyKey[],
  label: string,
): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, issue.path) ?? [];
      for (const key of issue.keys) {
        const path = formatPath([...prefix, ...issue.path, key]);
        const value = (issue.input as Record<string, unknown> | undefined)?.[key];
        const allowed = `one of: ${known.join(', ')}`;
        out.error(path, value, allowed, `unknown field; allowed ${allowed}`, 'UNKNOWN_FIELD', label);
      }
      continue;
    }
    const path = formatPath([...prefix, ...issue.path]);
    const code = issueCode(issue);
    const allowed = allowedAt(schema, issue.path) ?? deriveAllowed(issue);
    out.error(
      path,
      issue.input,
      allowed,
      `${problemText(code, issue.input)}; allowed ${allowed}`,
      code,
      label,
    );
  }
}

// ───────────────────────────── directory validation ─────────────────────────────

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function rawString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function labelOf(section: string, raw: unknown): string {
  if (!isPlainObject(raw)) return '';
  switch (section) {
    case 'users': {
      const ext = rawString(raw.extension);
      return ext ? `user ${ext}` : '';
    }
    case 'huntGroups':
      return typeof raw.name === 'string' ? `hunt group ${raw.name}` : '';
    case 'timeProfiles':
      return typeof raw.name === 'string' ? `time profile ${raw.name}` : '';
    case 'userRights':
      return typeof raw.name === 'string' ? `user rights ${raw.name}` : '';
    case 'trunks':
      return typeof raw.name === 'string' ? `trunk ${raw.name}` : '';
    case 'incomingRoutes':
      return `route ${String(raw.trunk ?? '?')}/${String(raw.ddi ?? '?')}`;
    case 'shortCodes':
      return typeof raw.code === 'string' ? `short code ${raw.code}` : '';
    default:
      return '';
  }
}

export interface Indexed<T> {
  i: number;
  v: T;
}

/** Names and extensions of entries that failed to parse: references to them are not reported again. */
interface Shadow {
  extensions: Set<string>;
  names: Map<string, Set<string>>;
}

/**
 * Validates a whole directory (parsed YAML/JSON, or a Directory) against every rule of
 * spec §1–3 and returns it normalised with every default filled in (CFG-1).
 */
export function validateDirectory(input: unknown): ValidationResult {
  const a = analyseDirectory(input);
  return a.directory && a.errors.length === 0
    ? { ok: true, directory: a.directory, warnings: a.warnings }
    : { ok: false, errors: a.errors, warnings: a.warnings };
}

/** {@link validateDirectory} plus the indexes built on the way (for snapshots). */
export function analyseDirectory(input: unknown): Analysis {
  const out = new Collector();
  if (input === undefined || input === null) input = {};
  if (!isPlainObject(input)) {
    out.error(
      '',
      input,
      'a mapping with system, users, …',
      'the directory must be a mapping',
      'INVALID_TYPE',
    );
    return out;
  }
  for (const key of Object.keys(input)) {
    if (!(DIRECTORY_SECTIONS as readonly string[]).includes(key)) {
      const allowed = `one of: ${DIRECTORY_SECTIONS.join(', ')}`;
      out.error(key, input[key], allowed, `unknown top-level key; allowed ${allowed}`, 'UNKNOWN_FIELD');
    }
  }

  const sysRaw = input.system ?? {};
  const sysParsed = SystemSchema.safeParse(sysRaw, { reportInput: true });
  let system: SystemSettings;
  if (sysParsed.success) system = sysParsed.data;
  else {
    issuesFromZod(out, SystemSchema, sysParsed.error.issues, ['system'], '');
    system = SystemSchema.parse({});
  }
  const systemOk = sysParsed.success;

  const shadow: Shadow = { extensions: new Set(), names: new Map() };
  const shadowName = (section: string, name: unknown) => {
    const s = rawString(name);
    if (s === undefined) return;
    const set = shadow.names.get(section) ?? new Set<string>();
    shadow.names.set(section, set);
    set.add(s);
  };

  const parsed: Record<string, Indexed<unknown>[]> = {};
  for (const section of Object.keys(SECTION_ELEMENT) as (keyof typeof SECTION_ELEMENT)[]) {
    const list = input[section] ?? [];
    const items: Indexed<unknown>[] = [];
    parsed[section] = items;
    if (!Array.isArray(list)) {
      out.error(section, list, 'a list', 'must be a list', 'INVALID_TYPE');
      continue;
    }
    const schema = SECTION_ELEMENT[section] as z.ZodType;
    for (let i = 0; i < list.length; i++) {
      const raw: unknown = list[i];
      const r = schema.safeParse(raw, { reportInput: true });
      if (r.success) items.push({ i, v: r.data });
      else {
        issuesFromZod(out, schema, r.error.issues, [section, i], labelOf(section, raw));
        if (isPlainObject(raw)) {
          const ext = rawString(raw.extension);
          if (ext !== undefined) shadow.extensions.add(ext);
          shadowName(section, raw.name);
        }
      }
    }
  }

  const users = parsed.users as Indexed<User>[];
  const huntGroups = parsed.huntGroups as Indexed<HuntGroup>[];
  const timeProfiles = parsed.timeProfiles as Indexed<TimeProfile>[];
  const userRights = parsed.userRights as Indexed<UserRights>[];
  const trunks = parsed.trunks as Indexed<Trunk>[];
  const routes = parsed.incomingRoutes as Indexed<IncomingRoute>[];
  const shortCodes = parsed.shortCodes as Indexed<ShortCode>[];

  // Entries that failed their own field rules are left out of the cross-field checks below.
  const parsedCompletely = out.errors.length === 0;
  const idx = crossCheck(
    out,
    { system, systemOk, users, huntGroups, timeProfiles, userRights, trunks, routes, shortCodes },
    shadow,
  );

  // The directory is returned (with the errors) when every entry parsed, so change rules can still run.
  if (!parsedCompletely) return { errors: out.errors, warnings: out.warnings, partial: { system, users } };
  const directory: Directory = {
    system,
    users: users.map((x) => x.v),
    huntGroups: huntGroups.map((x) => x.v),
    timeProfiles: timeProfiles.map((x) => x.v),
    userRights: userRights.map((x) => x.v),
    trunks: trunks.map((x) => x.v),
    incomingRoutes: routes.map((x) => x.v),
    shortCodes: shortCodes.map((x) => x.v),
  };
  return { errors: out.errors, warnings: out.warnings, directory, indexes: idx, partial: { system, users } };
}

interface Parsed {
  system: SystemSettings;
  systemOk: boolean;
  users: Indexed<User>[];
  huntGroups: Indexed<HuntGroup>[];
  timeProfiles: Indexed<TimeProfile>[];
  userRights: Indexed<UserRights>[];
  trunks: Indexed<Trunk>[];
  routes: Indexed<IncomingRoute>[];
  shortCodes: Indexed<ShortCode>[];
}

function validCalendarDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function crossCheck(out: Collector, p: Parsed, shadow: Shadow): DirectoryIndexes {
  const { system } = p;
  const idx: DirectoryIndexes = {
    usersByExtension: new Map(),
    usersByName: new Map(),
    huntGroupsByExtension: new Map(),
    huntGroupsByName: new Map(),
    timeProfilesByName: new Map(),
    userRightsByName: new Map(),
    trunksByName: new Map(),
    twinPrimaryByDestination: new Map(),
    routesByTrunkDdi: new Map(),
    shortCodesByCode: new Map(),
    lineIds: new Set(),
  };
  const userPath = (i: number, ...rest: PropertyKey[]) => formatPath(['users', i, ...rest]);
  const shadowHas = (section: string, name: string) => shadow.names.get(section)?.has(name) ?? false;

  // TP-5: the zone must exist; fixed-offset zones are legal but do not follow DST.
  if (p.systemOk) {
    const tz = system.timeZone;
    if (!isValidTimeZone(tz)) {
      out.error(
        'system.timeZone',
        tz,
        'an IANA time zone, e.g. Europe/London',
        'unknown time zone',
        'INVALID_TIME_ZONE',
      );
    } else {
      const canonical = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
      if (canonical.toLowerCase() === tz.toLowerCase() && canonical !== tz) {
        out.error(
          'system.timeZone',
          tz,
          canonical,
          `write the time zone as ${canonical}`,
          'INVALID_TIME_ZONE',
        );
      } else if (FIXED_OFFSET_ZONES.test(tz)) {
        out.warn(
          'system.timeZone',
          tz,
          'a region zone such as America/New_York',
          `${tz} is a fixed offset and does not follow daylight saving time`,
          'INVALID_TIME_ZONE',
        );
      }
    }
  }

  // ── extensions and names (one dialling namespace for users and hunt groups) ──
  const extOwner = new Map<string, string>();
  for (const { i, v: u } of p.users) {
    const other = extOwner.get(u.extension);
    if (other) {
      out.error(
        userPath(i, 'extension'),
        u.extension,
        'an unused extension',
        `extension already used by ${other}`,
        'DUPLICATE_EXTENSION',
      );
    } else {
      extOwner.set(u.extension, `user ${u.extension} (${u.name})`);
      idx.usersByExtension.set(u.extension, u);
    }
    const named = idx.usersByName.get(u.name);
    if (named) {
      out.error(
        userPath(i, 'name'),
        u.name,
        'a name no other user has',
        `name already used by user ${named.extension}`,
        'DUPLICATE_NAME',
      );
    } else idx.usersByName.set(u.name, u);
  }
  for (const { i, v: g } of p.huntGroups) {
    const path = (...rest: PropertyKey[]) => formatPath(['huntGroups', i, ...rest]);
    const other = extOwner.get(g.extension);
    if (other) {
      out.error(
        path('extension'),
        g.extension,
        'an unused extension',
        `extension already used by ${other}`,
        'DUPLICATE_EXTENSION',
      );
    } else {
      extOwner.set(g.extension, `hunt group ${g.name}`);
      idx.huntGroupsByExtension.set(g.extension, g);
    }
    if ((MOBILITY_ROUTE_FEATURES as readonly string[]).includes(g.name) || /^[0-9]+$/.test(g.name)) {
      out.error(
        path('name'),
        g.name,
        'a name that is not all digits and not fne31/fne32/fne33',
        'name is reserved',
        'RESERVED_NAME',
      );
    } else if (idx.huntGroupsByName.has(g.name)) {
      out.error(
        path('name'),
        g.name,
        'a unique hunt group name',
        'name already used by another hunt group',
        'DUPLICATE_NAME',
      );
    } else idx.huntGroupsByName.set(g.name, g);
  }
  const isExtension = (ext: string) => extOwner.has(ext) || shadow.extensions.has(ext);

  // ── time profiles (TP-1, TP-2, TP-4) ──
  for (const { i, v: tp } of p.timeProfiles) {
    const path = (...rest: PropertyKey[]) => formatPath(['timeProfiles', i, ...rest]);
    if (idx.timeProfilesByName.has(tp.name)) {
      out.error(
        path('name'),
        tp.name,
        'a unique time profile name',
        'name already used by another time profile',
        'DUPLICATE_NAME',
      );
    } else idx.timeProfilesByName.set(tp.name, tp);
    tp.entries.forEach((e, j) => {
      // TP-2: an entry cannot cross midnight; end must be after start.
      if (e.end <= e.start) {
        out.error(
          path('entries', j, 'end'),
          e.end,
          `a time after ${e.start} (HH:MM, up to 24:00)`,
          `end must be after start ${e.start}; an entry cannot cross midnight (split 22:00–06:00 into 22:00–24:00 and 00:00–06:00)`,
          'EMPTY_INTERVAL',
        );
      }
      if (e.kind === 'weekly') {
        if (new Set(e.days).size !== e.days.length) {
          out.error(
            path('entries', j, 'days'),
            e.days,
            'each weekday at most once',
            'a weekday is listed twice',
            'DUPLICATE_ENTRY',
          );
        }
      } else {
        if (!validCalendarDate(e.date)) {
          out.error(
            path('entries', j, 'date'),
            e.date,
            'a real calendar date YYYY-MM-DD',
            'no such date',
            'INVALID_DATE',
          );
        }
        if (e.endDate !== undefined) {
          if (!validCalendarDate(e.endDate)) {
            out.error(
              path('entries', j, 'endDate'),
              e.endDate,
              'a real calendar date YYYY-MM-DD',
              'no such date',
              'INVALID_DATE',
            );
          } else if (e.endDate < e.date) {
            out.error(
              path('entries', j, 'endDate'),
              e.endDate,
              `a date on or after ${e.date}`,
              'endDate is before date',
              'INVALID_DATE',
            );
          }
        }
      }
    });
    // TP-4: the one-shot overrides end at the next scheduled change after they were set.
    if (
      (tp.override === 'activeUntilNextInactive' || tp.override === 'inactiveUntilNextActive') &&
      !tp.overrideSetAt
    ) {
      out.error(
        path('overrideSetAt'),
        undefined,
        'an ISO 8601 instant with offset',
        `${tp.override} needs overrideSetAt (when it was set)`,
        'OVERRIDE_SET_AT_REQUIRED',
      );
    }
  }
  const profileExists = (name: string) => idx.timeProfilesByName.has(name) || shadowHas('timeProfiles', name);

  // ── trunks, lines, outgoing trunk ──
  let teamsTrunk: string | undefined;
  let carrierCount = 0;
  const trunkLine = new Map<string, string>();
  for (const { i, v: t } of p.trunks) {
    const path = (...rest: PropertyKey[]) => formatPath(['trunks', i, ...rest]);
    if (idx.trunksByName.has(t.name)) {
      out.error(
        path('name'),
        t.name,
        'a unique trunk name',
        'name already used by another trunk',
        'DUPLICATE_NAME',
      );
    } else idx.trunksByName.set(t.name, t);
    if (t.kind === 'msTeams') {
      // TEAMS-1 forks over "the" Teams trunk: there is at most one.
      if (teamsTrunk) {
        out.error(
          path('kind'),
          t.kind,
          'carrier (only one msTeams trunk)',
          `trunk ${teamsTrunk} is already the MS Teams trunk`,
          'TOO_MANY_TEAMS_TRUNKS',
        );
      } else teamsTrunk = t.name;
    } else carrierCount++;
    if (t.lineId !== undefined) {
      const other = trunkLine.get(t.lineId);
      if (other) {
        out.error(
          path('lineId'),
          t.lineId,
          'a line id no other trunk has',
          `line id already used by trunk ${other}`,
          'DUPLICATE_LINE_ID',
        );
      } else trunkLine.set(t.lineId, t.name);
      idx.lineIds.add(t.lineId);
    }
  }
  const trunkExists = (name: string) => idx.trunksByName.has(name) || shadowHas('trunks', name);
  if (system.outgoingTrunk !== undefined) {
    const t = idx.trunksByName.get(system.outgoingTrunk);
    if (!t && !shadowHas('trunks', system.outgoingTrunk)) {
      out.error(
        'system.outgoingTrunk',
        system.outgoingTrunk,
        'the name of a carrier trunk',
        'no such trunk',
        'UNKNOWN_TRUNK',
      );
    } else if (t && t.kind !== 'carrier') {
      out.error(
        'system.outgoingTrunk',
        system.outgoingTrunk,
        'the name of a carrier trunk',
        'is not a carrier trunk',
        'WRONG_TRUNK_KIND',
      );
    }
  }

  // ── incoming routes ──
  const routeSeen = new Set<string>();
  for (const { i, v: r } of p.routes) {
    const path = (...rest: PropertyKey[]) => formatPath(['incomingRoutes', i, ...rest]);
    if (!trunkExists(r.trunk))
      out.error(path('trunk'), r.trunk, 'the name of a trunk', 'no such trunk', 'UNKNOWN_TRUNK');
    const d = r.destination;
    const destOk =
      (MOBILITY_ROUTE_FEATURES as readonly string[]).includes(d) ||
      isExtension(d) ||
      idx.huntGroupsByName.has(d) ||
      shadowHas('huntGroups', d);
    if (!destOk) {
      out.error(
        path('destination'),
        d,
        'a user extension, a hunt group name or extension, or fne31 | fne32 | fne33',
        'no such destination',
        'UNKNOWN_DESTINATION',
      );
    }
    const dupKey = `${r.trunk}\u0000${r.ddi}\u0000${r.callerId ?? ''}`;
    if (routeSeen.has(dupKey)) {
      out.error(
        path('ddi'),
        r.ddi,
        'a trunk/DDI/caller ID combination no other route has',
        'duplicate incoming route',
        'DUPLICATE_ROUTE',
      );
    } else {
      routeSeen.add(dupKey);
      const k = routeKey(r.trunk, r.ddi);
      const list = idx.routesByTrunkDdi.get(k);
      if (list) list.push(r);
      else idx.routesByTrunkDdi.set(k, [r]);
    }
    if (r.lineId !== undefined) idx.lineIds.add(r.lineId);
  }

  // ── short codes (BTN-1) ──
  for (const { i, v: sc } of p.shortCodes) {
    const path = (...rest: PropertyKey[]) => formatPath(['shortCodes', i, ...rest]);
    if (idx.shortCodesByCode.has(sc.code)) {
      out.error(
        path('code'),
        sc.code,
        'a code no other short code has',
        'duplicate short code',
        'DUPLICATE_SHORT_CODE',
      );
    } else idx.shortCodesByCode.set(sc.code, sc);
    if (FEATURES_NEEDING_DIGITS.has(sc.feature) && !sc.code.includes('N')) {
      out.error(
        path('code'),
        sc.code,
        'a code with N where the digits go, e.g. *9N#',
        `${sc.feature} needs digits (N)`,
        'SHORT_CODE_NEEDS_DIGITS',
      );
    }
    if (isExtension(sc.code)) {
      out.error(
        path('code'),
        sc.code,
        'a code that is not an extension number',
        'short code equals an extension',
        'SHORT_CODE_CONFLICT',
      );
    }
  }

  // ── user rights (UR-1) ──
  for (const { i, v: ur } of p.userRights) {
    const path = (...rest: PropertyKey[]) => formatPath(['userRights', i, ...rest]);
    if (idx.userRightsByName.has(ur.name)) {
      out.error(
        path('name'),
        ur.name,
        'a unique user rights name',
        'name already used by another user rights template',
        'DUPLICATE_NAME',
      );
    } else idx.userRightsByName.set(ur.name, ur);
    const normalised: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(ur.locked)) {
      const leaf = LOCKABLE_SETTINGS.get(key);
      const at = formatPath(['userRights', i, 'locked', ...key.split('.')]);
      if (!leaf) {
        out.error(
          at,
          value,
          'a lockable user setting such as dnd or mobility.mobileTwinning',
          `${key} cannot be locked`,
          'NOT_LOCKABLE',
        );
        continue;
      }
      if (value === null) {
        if (!isOptionalField(leaf)) {
          out.error(
            at,
            value,
            allowedAt(leaf, []) ?? 'a value',
            `${key} has no "unset" value; lock it to a value`,
            'INVALID_TYPE',
          );
        }
        normalised[key] = null;
        continue;
      }
      if (LOCK_ONLY_TO_NONE.has(key)) {
        out.error(at, value, 'null (none)', `${key} can only be locked to none`, 'NOT_LOCKABLE');
        continue;
      }
      const r = leaf.safeParse(value, { reportInput: true });
      if (!r.success || r.data === undefined) {
        if (r.success)
          out.error(at, value, allowedAt(leaf, []) ?? 'a value', 'a locked value is required', 'REQUIRED');
        else
          issuesFromZod(
            out,
            leaf,
            r.error.issues,
            ['userRights', i, 'locked', ...key.split('.')],
            `user rights ${ur.name}`,
          );
        continue;
      }
      normalised[key] = r.data;
      if (key === 'mobility.twinningTimeProfile' && typeof r.data === 'string' && !profileExists(r.data)) {
        out.error(at, r.data, 'the name of a time profile', 'no such time profile', 'UNKNOWN_TIME_PROFILE');
      }
      if (
        key === 'followMe.destination' &&
        typeof r.data === 'string' &&
        !idx.usersByExtension.has(r.data) &&
        !shadow.extensions.has(r.data)
      ) {
        out.error(at, r.data, 'a user extension', 'no such user', 'UNKNOWN_USER');
      }
    }
    ur.locked = normalised;
  }
  const rightsExist = (name: string) => idx.userRightsByName.has(name) || shadowHas('userRights', name);

  // ── users ──
  const userRef = (path: string, ext: string, self: string, what: string): boolean => {
    if (ext === self) {
      out.error(path, ext, 'another user’s extension', `${what} cannot be the user itself`, 'SELF_REFERENCE');
      return false;
    }
    if (idx.huntGroupsByExtension.has(ext)) {
      out.error(path, ext, 'a user extension', `${ext} is a hunt group, not a user`, 'NOT_A_USER');
      return false;
    }
    if (!idx.usersByExtension.has(ext)) {
      if (!shadow.extensions.has(ext))
        out.error(path, ext, 'a user extension', `no user has extension ${ext}`, 'UNKNOWN_USER');
      return false;
    }
    return true;
  };
  const defaults = defaultMobility();

  for (const { i, v: u } of p.users) {
    const who = `user ${u.extension}`;
    if (u.extension.startsWith(system.outsideLinePrefix)) {
      out.warn(
        userPath(i, 'extension'),
        u.extension,
        `an extension not starting with the outside-line prefix ${system.outsideLinePrefix}`,
        `${who}: extension starts with the outside-line prefix and may be unreachable`,
        'EXTENSION_PREFIX_CONFLICT',
      );
    }
    if (u.password.length < 8) {
      out.warn(
        userPath(i, 'password'),
        '***',
        'at least 8 characters',
        `${who}: password is short`,
        'WEAK_PASSWORD',
      );
    }
    // References (UR-2, TP-3).
    if (u.workingHoursTimeProfile !== undefined && !profileExists(u.workingHoursTimeProfile)) {
      out.error(
        userPath(i, 'workingHoursTimeProfile'),
        u.workingHoursTimeProfile,
        'the name of a time profile',
        `${who}: no such time profile`,
        'UNKNOWN_TIME_PROFILE',
      );
    }
    for (const key of ['workingHoursUserRights', 'outOfHoursUserRights'] as const) {
      const name = u[key];
      if (name !== undefined && !rightsExist(name)) {
        out.error(
          userPath(i, key),
          name,
          'the name of a user rights template',
          `${who}: no such user rights`,
          'UNKNOWN_USER_RIGHTS',
        );
      }
    }
    // Forwards: a forward that is on needs somewhere to go, and not back to the user.
    for (const key of ['forwardUnconditional', 'forwardOnBusy', 'forwardOnNoAnswer'] as const) {
      const f = u[key];
      if (f.enabled && f.destination === '') {
        out.error(
          userPath(i, key, 'destination'),
          f.destination,
          'a number to forward to',
          `${who}: ${key} is on without a destination`,
          'DESTINATION_REQUIRED',
        );
      }
      if (f.destination === u.extension) {
        out.error(
          userPath(i, key, 'destination'),
          f.destination,
          'another number',
          `${who}: cannot forward to itself`,
          'SELF_REFERENCE',
        );
      }
    }
    if (u.followMe.enabled && u.followMe.destination === undefined) {
      out.error(
        userPath(i, 'followMe', 'destination'),
        undefined,
        'a user extension',
        `${who}: Follow Me is on without a destination`,
        'DESTINATION_REQUIRED',
      );
    }
    if (u.followMe.destination !== undefined) {
      userRef(userPath(i, 'followMe', 'destination'), u.followMe.destination, u.extension, 'Follow Me');
    }
    // Appearances (APP-1..3).
    for (const kind of ['bridged', 'coverage'] as const) {
      const seen = new Set<string>();
      u.appearances[kind].forEach((a, j) => {
        const path = userPath(i, 'appearances', kind, j, 'extension');
        if (seen.has(a.extension)) {
          out.error(
            path,
            a.extension,
            'each user once',
            `${who}: ${kind} appearance listed twice`,
            'DUPLICATE_ENTRY',
          );
        }
        seen.add(a.extension);
        userRef(path, a.extension, u.extension, `a ${kind} appearance`);
      });
    }
    const seenLines = new Set<string>();
    u.appearances.lines.forEach((l, j) => {
      const path = userPath(i, 'appearances', 'lines', j, 'lineId');
      if (seenLines.has(l.lineId))
        out.error(
          path,
          l.lineId,
          'each line once',
          `${who}: line appearance listed twice`,
          'DUPLICATE_ENTRY',
        );
      seenLines.add(l.lineId);
      if (!idx.lineIds.has(l.lineId)) {
        out.error(
          path,
          l.lineId,
          'a line id of a trunk or incoming route',
          `${who}: no line has id ${l.lineId}`,
          'UNKNOWN_LINE',
        );
      }
    });

    // Mobility block (spec §1).
    const m = u.mobility;
    if (m.twinningTimeProfile !== undefined && !profileExists(m.twinningTimeProfile)) {
      out.error(
        userPath(i, 'mobility', 'twinningTimeProfile'),
        m.twinningTimeProfile,
        'the name of a time profile',
        `${who}: no such time profile`,
        'UNKNOWN_TIME_PROFILE',
      );
    }
    // LIC-1/LIC-2: the licence decides what may be on.
    if (p.systemOk && m.mobilityFeatures && !hasMobilityEntitlement(system, u)) {
      out.error(
        userPath(i, 'mobility', 'mobilityFeatures'),
        true,
        `false, or a licence of ${system.mobilityLicenceLevels.join(' | ')}`,
        `${who}: mobility features need the mobility entitlement (licence ${u.licence} does not carry it)`,
        'LICENCE_REQUIRED',
      );
    }
    if (m.internalTwinning && !isLicensed(u)) {
      out.error(
        userPath(i, 'mobility', 'internalTwinning'),
        true,
        'false, or any licence but unlicensed',
        `${who}: internal twinning needs a licensed primary user`,
        'LICENCE_REQUIRED',
      );
    }
    // CFG-2: stored but inert for an unlicensed user.
    if (!isLicensed(u) && !sameValue({ ...m, internalTwinning: false, mobilityFeatures: false }, defaults)) {
      out.warn(
        userPath(i, 'mobility'),
        undefined,
        'defaults',
        `${who}: unlicensed, so every Mobility setting is treated as off`,
        'INERT_SETTING',
      );
    }
    if (m.oneXMobileClient) {
      out.warn(
        userPath(i, 'mobility', 'oneXMobileClient'),
        true,
        'false',
        `${who}: oneXMobileClient is a legacy setting; it is accepted but not supported and has no effect`,
        'NOT_SUPPORTED',
      );
    }
    if (m.internalTwinning && m.twinnedHandset === undefined) {
      out.warn(
        userPath(i, 'mobility', 'twinnedHandset'),
        undefined,
        'a user extension',
        `${who}: internal twinning is on but no handset is chosen`,
        'INERT_SETTING',
      );
    }
    if (m.mobileTwinning && m.twinnedMobileNumber === '') {
      out.warn(
        userPath(i, 'mobility', 'twinnedMobileNumber'),
        '',
        'a dial string',
        `${who}: mobile twinning is on but no number is set`,
        'INERT_SETTING',
      );
    }
    // The number is dialled exactly as the user would dial it, so an external one needs the prefix.
    if (
      m.twinnedMobileNumber !== '' &&
      !m.twinnedMobileNumber.startsWith(system.outsideLinePrefix) &&
      !isExtension(m.twinnedMobileNumber)
    ) {
      out.warn(
        userPath(i, 'mobility', 'twinnedMobileNumber'),
        m.twinnedMobileNumber,
        `a number dialled as the user would, e.g. ${system.outsideLinePrefix}07700900123`,
        `${who}: the twinned mobile number does not start with the outside-line prefix ${system.outsideLinePrefix}`,
        'NUMBER_WITHOUT_PREFIX',
      );
    }
    if (m.twinnedMobileNumber !== '' && m.mobilityFeatures && carrierCount === 0) {
      out.warn(
        userPath(i, 'mobility', 'twinnedMobileNumber'),
        m.twinnedMobileNumber,
        'a carrier trunk',
        `${who}: no carrier trunk to reach the mobile`,
        'NO_CARRIER_TRUNK',
      );
    }
    if (m.msTeamsUri !== '' && !teamsTrunk) {
      out.warn(
        userPath(i, 'mobility', 'msTeamsUri'),
        m.msTeamsUri,
        'an msTeams trunk',
        `${who}: no MS Teams trunk is configured`,
        'NO_TEAMS_TRUNK',
      );
    }

    // Twinned handset, first pass: who claims which handset.
    const t = m.twinnedHandset;
    if (t !== undefined) {
      const path = userPath(i, 'mobility', 'twinnedHandset');
      if (t === u.extension) {
        out.error(path, t, 'another user’s extension', `${who}: cannot be twinned with itself`, 'TWIN_SELF');
      } else if (userRef(path, t, u.extension, 'the twinned handset')) {
        const primary = idx.twinPrimaryByDestination.get(t);
        if (primary !== undefined) {
          out.error(
            path,
            t,
            'a user that is not already a twinned handset',
            `${who}: ${t} is already the twinned handset of user ${primary}`,
            'TWIN_TAKEN',
          );
        } else idx.twinPrimaryByDestination.set(t, u.extension);
      }
    }
  }
  // Twinned handset, second pass: a twin destination cannot pick a twin of its own.
  for (const { i, v: u } of p.users) {
    if (u.mobility.twinnedHandset === undefined) continue;
    const primary = idx.twinPrimaryByDestination.get(u.extension);
    if (primary !== undefined) {
      const pu = idx.usersByExtension.get(primary);
      out.error(
        userPath(i, 'mobility', 'twinnedHandset'),
        u.mobility.twinnedHandset,
        'none (read-only while this user is a twinned handset)',
        `user ${u.extension} is the twinned handset of user ${primary}${pu ? ` (${pu.name})` : ''} and cannot have a twin of its own`,
        'TWIN_DESTINATION_CANNOT_TWIN',
      );
    }
  }

  // ── hunt groups: members and overflow ──
  for (const { i, v: g } of p.huntGroups) {
    const seen = new Set<string>();
    g.members.forEach((ext, j) => {
      const path = formatPath(['huntGroups', i, 'members', j]);
      if (seen.has(ext))
        out.error(
          path,
          ext,
          'each member once',
          `hunt group ${g.name}: member listed twice`,
          'DUPLICATE_ENTRY',
        );
      seen.add(ext);
      if (idx.huntGroupsByExtension.has(ext)) {
        out.error(
          path,
          ext,
          'a user extension',
          `hunt group ${g.name}: ${ext} is a hunt group, not a user`,
          'NOT_A_USER',
        );
      } else if (!idx.usersByExtension.has(ext) && !shadow.extensions.has(ext)) {
        out.error(
          path,
          ext,
          'a user extension',
          `hunt group ${g.name}: no user has extension ${ext}`,
          'UNKNOWN_USER',
        );
      }
    });
    g.overflow?.groups.forEach((ref, j) => {
      const path = formatPath(['huntGroups', i, 'overflow', 'groups', j]);
      const target = idx.huntGroupsByName.get(ref) ?? idx.huntGroupsByExtension.get(ref);
      if (target === g) {
        out.error(
          path,
          ref,
          'another hunt group',
          `hunt group ${g.name}: cannot overflow to itself`,
          'SELF_REFERENCE',
        );
      } else if (!target && !shadowHas('huntGroups', ref) && !shadow.extensions.has(ref)) {
        out.error(
          path,
          ref,
          'a hunt group name or extension',
          `hunt group ${g.name}: no hunt group ${ref}`,
          'UNKNOWN_HUNT_GROUP',
        );
      }
    });
  }
  return idx;
}

// ───────────────────────────── change validation ─────────────────────────────

/** Who makes a change: the administrator, a user (self-service, short codes), or twinline itself. */
export interface Actor {
  kind: 'admin' | 'user' | 'system';
  /** The acting user's extension, for kind `user`. */
  extension?: string;
}

function changedLeaves(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (sameValue(a, b)) return;
  const aObj = isPlainObject(a);
  const bObj = isPlainObject(b);
  if (!aObj || !bObj) {
    out.push(prefix);
    return;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const k of keys) {
    changedLeaves(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      prefix ? `${prefix}.${k}` : k,
      out,
    );
  }
}

/**
 * The user settings locked for `user` (UR-1): by the template in force at `at` (UR-2),
 * or, when `at` is not given, by either of the user's two templates.
 */
export function lockedSettings(
  dir: Directory,
  user: User,
  at?: Date | number,
): Map<string, { value: unknown; rights: string }> {
  const names: string[] = [];
  if (at === undefined) {
    if (user.workingHoursUserRights) names.push(user.workingHoursUserRights);
    if (user.outOfHoursUserRights) names.push(user.outOfHoursUserRights);
  } else {
    const profile = user.workingHoursTimeProfile
      ? dir.timeProfiles.find((t) => t.name === user.workingHoursTimeProfile)
      : undefined;
    const working = isProfileActive(profile, at, dir.system.timeZone);
    const name = working ? user.workingHoursUserRights : user.outOfHoursUserRights;
    if (name) names.push(name);
  }
  const locked = new Map<string, { value: unknown; rights: string }>();
  for (const name of names) {
    const rights = dir.userRights.find((r) => r.name === name);
    if (!rights) continue;
    for (const [path, value] of Object.entries(rights.locked))
      if (!locked.has(path)) locked.set(path, { value, rights: name });
  }
  return locked;
}

/**
 * Validates a change from `before` (a valid directory) to `after`: every rule of
 * {@link validateDirectory} on `after`, plus the read-only rules that depend on what
 * changed and who changes it:
 *
 * - CFG-2: an unlicensed user's Mobility fields cannot change (unless the licence changes
 *   in the same change).
 * - A user who is a twinned handset cannot change their own twinnedHandset; the error
 *   names the primary.
 * - TEAMS: msTeamsUri cannot change while system.autoPopulateMsTeamsData is on.
 * - UR-1: a `user` actor changes only their own self-service settings, and none that
 *   their user rights lock. `at` picks the template in force (UR-2); without it a
 *   setting locked by either template counts as locked.
 *
 * The `system` actor (twinline's own writers, e.g. an MS Teams data sync) is bound by
 * the directory rules but not by the read-only rules.
 */
export function validateChange(
  before: Directory,
  after: unknown,
  actor: Actor,
  at?: Date | number,
): ValidationResult {
  const res = analyseDirectory(after);
  const errors = [...res.errors];
  const warnings = [...res.warnings];
  const a = res.directory;
  if (!res.partial) return { ok: false, errors, warnings };
  const { system: afterSystem, users: afterUsers } = res.partial;
  const out = new Collector();

  const beforeUsers = new Map(before.users.map((u) => [u.extension, u]));
  const beforeTwins = new Map<string, string>();
  for (const u of before.users)
    if (u.mobility.twinnedHandset) beforeTwins.set(u.mobility.twinnedHandset, u.extension);
  const teamsLocked = before.system.autoPopulateMsTeamsData && afterSystem.autoPopulateMsTeamsData;
  const replaced = new Set<string>();

  if (actor.kind !== 'system') {
    for (const { i, v: u } of afterUsers) {
      const prev = beforeUsers.get(u.extension);
      const who = `user ${u.extension}`;
      // CFG-2
      if (prev && prev.licence === 'unlicensed' && u.licence === 'unlicensed') {
        for (const f of MOBILITY_FIELDS) {
          if (!sameValue(prev.mobility[f], u.mobility[f])) {
            out.error(
              formatPath(['users', i, 'mobility', f]),
              u.mobility[f],
              `unchanged (${describeValue(prev.mobility[f])}) while the user is unlicensed`,
              `${who} is unlicensed, so Mobility settings are read-only`,
              'READ_ONLY_UNLICENSED',
            );
          }
        }
      }
      // Twinned handset read-only for a twin destination, naming its primary.
      const primary = beforeTwins.get(u.extension);
      if (
        prev &&
        primary !== undefined &&
        !sameValue(prev.mobility.twinnedHandset, u.mobility.twinnedHandset)
      ) {
        const path = formatPath(['users', i, 'mobility', 'twinnedHandset']);
        const pu = beforeUsers.get(primary);
        replaced.add(path);
        out.error(
          path,
          u.mobility.twinnedHandset,
          'unchanged while this user is a twinned handset',
          `${who} is the twinned handset of user ${primary}${pu ? ` (${pu.name})` : ''}; its twinnedHandset is read-only`,
          'READ_ONLY_TWIN_DESTINATION',
        );
      }
      // TEAMS: auto-populated data is read-only.
      if (teamsLocked && (prev?.mobility.msTeamsUri ?? '') !== u.mobility.msTeamsUri) {
        out.error(
          formatPath(['users', i, 'mobility', 'msTeamsUri']),
          u.mobility.msTeamsUri,
          'unchanged while system.autoPopulateMsTeamsData is on',
          `${who}: msTeamsUri is filled in automatically (system.autoPopulateMsTeamsData is on) and is read-only`,
          'READ_ONLY_TEAMS_AUTO',
        );
      }
    }
  }

  if (actor.kind === 'user') {
    const self = actor.extension;
    for (const section of DIRECTORY_SECTIONS) {
      if (section === 'users' || !a) continue;
      if (!sameValue(before[section], a[section])) {
        out.error(
          section,
          undefined,
          'changes by an administrator',
          `a user cannot change ${section}`,
          'NOT_PERMITTED',
        );
      }
    }
    const afterExts = new Set(afterUsers.map(({ v: u }) => u.extension));
    for (const u of before.users) {
      if (!afterExts.has(u.extension)) {
        out.error(
          'users',
          u.extension,
          'changes by an administrator',
          `a user cannot remove user ${u.extension}`,
          'NOT_PERMITTED',
        );
      }
    }
    for (const { i, v: u } of afterUsers) {
      const prev = beforeUsers.get(u.extension);
      if (u.extension !== self || !prev) {
        if (!prev || !sameValue(prev, u)) {
          out.error(
            formatPath(['users', i]),
            u.extension,
            'only the acting user’s own settings',
            `a user cannot change user ${u.extension}`,
            'NOT_PERMITTED',
          );
        }
        continue;
      }
      const changed: string[] = [];
      changedLeaves(prev, u, '', changed);
      const locks = lockedSettings(before, prev, at);
      for (const leaf of changed) {
        const setting = SELF_SERVICE_SETTINGS.has(leaf) ? leaf : undefined;
        const path = formatPath(['users', i, ...leaf.split('.')]);
        if (!setting) {
          out.error(
            path,
            getPath(u, leaf),
            'changes by an administrator',
            `user ${u.extension} cannot change ${leaf} themselves`,
            'NOT_PERMITTED',
          );
          continue;
        }
        const lock = locks.get(setting);
        if (lock) {
          out.error(
            path,
            getPath(u, leaf),
            `${describeValue(lock.value)} (locked)`,
            `${leaf} is locked by user rights ${lock.rights}`,
            'LOCKED_BY_USER_RIGHTS',
          );
        }
      }
    }
  }

  const merged = [
    ...errors.filter((e) => !(replaced.has(e.path) && e.code === 'TWIN_DESTINATION_CANNOT_TWIN')),
    ...out.errors,
  ];
  return merged.length === 0 && a
    ? { ok: true, directory: a, warnings }
    : { ok: false, errors: merged, warnings };
}

/**
 * The directory schema: one zod definition of everything an administrator configures
 * (system settings, users with their Mobility block, hunt groups, time profiles, user
 * rights, trunks, incoming routes, short codes). The same definitions serve the YAML
 * import, the admin API, the store and the docs table, so a default or a range lives in
 * exactly one place.
 *
 * This file holds only per-field rules (types, ranges, formats, defaults — CFG-1).
 * Rules that look across fields or entries (references, uniqueness, twinning, licences)
 * are in `validate.ts`.
 *
 * Every leaf that can be out of range carries `.meta({ allowed })`: the text an error
 * message shows as the allowed range ("0–99 seconds").
 */
import { z } from 'zod';

/** Metadata attached to a field: how its allowed values read in an error message. */
export type FieldMeta = { allowed: string };

const meta = (allowed: string): FieldMeta => ({ allowed });

/** Integer seconds in [min, max]. */
export const seconds = (min: number, max: number) =>
  z
    .int()
    .min(min)
    .max(max)
    .meta(meta(`${min}–${max} seconds`));

const bool = () => z.boolean().meta(meta('true or false'));

/** Extension numbers: 1–15 digits. YAML writes `201` as a number, so integers are accepted. */
export const EXTENSION_RE = /^[0-9]{1,15}$/;
export const extension = () =>
  z
    .union([z.string(), z.int().min(0).max(999_999_999_999_999)])
    .transform((v) => String(v))
    .pipe(z.string().regex(EXTENSION_RE))
    .meta(meta('an extension number of 1–15 digits'));

/**
 * A dial string as a user would dial it (0-9 * # +). Numbers are refused on purpose:
 * YAML would silently drop a leading zero of an unquoted `07700900123`.
 */
export const dialString = (max = 32, min = 0) =>
  z
    .string()
    .regex(new RegExp(`^[0-9*#+]{${min},${max}}$`))
    .meta(meta(`a quoted string of ${min > 0 ? `${min}–` : 'up to '}${max} characters 0-9 * # +`));

/** A name that other entries refer to (time profile, user rights, trunk, hunt group). */
export const refName = () =>
  z
    .string()
    .regex(/^[^\s].{0,62}[^\s]$|^[^\s]$/)
    .meta(meta('1–64 characters, no leading or trailing space'));

const lineId = () =>
  z
    .union([z.string(), z.int().min(0)])
    .transform((v) => String(v))
    .pipe(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/))
    .meta(meta('a line id of 1–32 characters A-Z a-z 0-9 _ . -'));

const sipUri = () =>
  z
    .string()
    .regex(/^sips?:[^\s]+$/i)
    .max(256)
    .meta(meta('a SIP URI (sip:… or sips:…)'));

/** An instant written with an explicit offset, e.g. 2026-03-29T08:00:00Z. */
const isoInstant = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/)
    .refine((s) => !Number.isNaN(Date.parse(s)))
    .meta(meta('an ISO 8601 instant with offset, e.g. 2026-03-29T08:00:00Z'));

/** The host's IANA time zone, the default of `system.timeZone` (TP-5). */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// LIC-1: licence levels, lowest first.
export const LICENCE_LEVELS = ['unlicensed', 'basic', 'mobile-worker', 'power-user', 'uc-user'] as const;
export type LicenceLevel = (typeof LICENCE_LEVELS)[number];
const licence = () => z.enum(LICENCE_LEVELS).meta(meta(LICENCE_LEVELS.join(' | ')));

// ───────────────────────────── system ─────────────────────────────

/** Dial tone settings, as the media layer names them (`DialToneSetting`). */
export const DIAL_TONES = ['350+440', '425'] as const;

export const QualifySchema = z.strictObject({
  // FB-3: OPTIONS keep-alive probing of registered contacts.
  intervalSeconds: seconds(5, 3600).default(30),
  failureThreshold: z.int().min(1).max(10).meta(meta('1–10 failed probes')).default(2),
});

export const SystemSchema = z.strictObject({
  // TP-5: IANA zone; validity is checked in validate.ts (needs the zone database).
  timeZone: z.string().min(1).meta(meta('an IANA time zone, e.g. Europe/London')).default(hostTimeZone),
  domain: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/)
    .meta(meta('a host name or domain'))
    .default('twinline'),
  realm: z
    .string()
    .regex(/^[^"\\\s]{1,128}$/)
    .meta(meta('1–128 characters without quotes, backslashes or spaces'))
    .default('twinline'),
  /**
   * Digest algorithms offered to phones, one challenge each, in order (RFC 8760 §2.4).
   * (decision) MD5 alone by default: many phones read only the first challenge and know
   * only MD5 (SIPp 3.6), and some refuse a REGISTER challenge set that names an algorithm
   * they lack (baresip 1.0). Offer `[SHA-256, MD5]` or `[SHA-256]` where phones allow.
   */
  digestAlgorithms: z
    .array(z.enum(['SHA-256', 'MD5']).meta(meta('SHA-256 | MD5')))
    .min(1)
    .max(2)
    .refine((list) => new Set(list).size === list.length, 'each algorithm once')
    .meta(meta('one or both of SHA-256, MD5, each once, in order of preference'))
    .default(['MD5']),
  // MT-5: system default No Answer Time.
  defaultNoAnswerTime: seconds(6, 99_999).default(15),
  outsideLinePrefix: z
    .string()
    .regex(/^[0-9*#]{1,4}$/)
    .meta(meta('a quoted string of 1–4 characters 0-9 * #'))
    .default('9'),
  /** The carrier trunk the outside-line prefix uses; unset = the first carrier trunk. */
  outgoingTrunk: refName().optional(),
  voicemailUri: sipUri().optional(),
  // CLI-1 (decision: on by default).
  sendOriginalPartyInfo: bool().default(true),
  // CLI-2: ≤ 32 digits (an optional leading + for E.164).
  callingPartyInfoForTwinning: z
    .string()
    .regex(/^\+?[0-9]{0,32}$/)
    .meta(meta('a quoted string of up to 32 digits, optionally after a +'))
    .default(''),
  // TEAMS: while on, users' msTeamsUri is read-only.
  autoPopulateMsTeamsData: bool().default(false),
  // IT-8: internal twinning is off in resilience mode.
  resilienceMode: bool().default(false),
  // LIC-1: which levels carry the mobility entitlement.
  mobilityLicenceLevels: z
    .array(licence())
    .meta(meta(`a list of licence levels (${LICENCE_LEVELS.join(', ')})`))
    .default(['mobile-worker', 'power-user', 'uc-user']),
  qualify: QualifySchema.prefault({}),
  /**
   * Connected calls are probed with an in-dialog OPTIONS to both parties this often; a
   * party that answers 481 or nothing within 4 s is gone, and the call is cleared
   * (decision: a vanished peer never leaves a call hanging). 0 = off.
   */
  /**
   * Numbers (after the outside-line prefix) that calls placed through the mobile features
   * (Mobile Call Control, FNE 31/32) may not reach: international and premium-rate by
   * default (decision: a spoofed caller ID must not become a toll-fraud door).
   */
  mobileFeatureBarredPrefixes: z
    .array(
      z
        .string()
        .regex(/^[0-9*#+]{1,16}$/)
        .meta(meta('1–16 characters 0-9 * # +')),
    )
    .meta(meta('a list of number prefixes'))
    .default(['00', '+', '09']),
  callKeepAliveSeconds: z.int().min(0).max(3600).meta(meta('0 (off) or 1–3600 seconds')).default(30),
  /**
   * The dial tone the mobile hears (MCC-1 after `**`, FNE 31, MCB-2): North American
   * precise dial tone or the European 425 Hz, both continuous. YAML reads an unquoted
   * `425` as a number, so that number is taken as the string.
   */
  dialTone: z
    .preprocess((v) => (v === 425 ? '425' : v), z.enum(DIAL_TONES))
    .meta(meta(DIAL_TONES.join(' | ')))
    .default('350+440'),
});
export type SystemSettings = z.output<typeof SystemSchema>;

// ───────────────────────────── users ─────────────────────────────

export const MOBILE_ANSWER_CONFIRM = ['none', 'keypress'] as const;

/** The Mobility block, field for field as spec §1 (plus CONF-1 and the MCC-4 PIN). */
export const mobilityFields = {
  internalTwinning: bool().default(false),
  /** Extension of the secondary handset (IT-1); absent = none. */
  twinnedHandset: extension().optional(),
  maxTwinnedCalls: z.literal([1, 2]).meta(meta('1 or 2')).default(1),
  twinBridgeAppearances: bool().default(false),
  twinCoverageAppearances: bool().default(false),
  twinLineAppearances: bool().default(false),
  msTeamsCoverageDelay: seconds(0, 15).default(0),
  msTeamsUri: z.string().max(161).meta(meta('up to 161 characters')).default(''),
  mobilityFeatures: bool().default(false),
  mobileTwinning: bool().default(false),
  fallbackTwinning: bool().default(false),
  twinnedMobileNumber: dialString(32).default(''),
  /** Absent = always active (TP-3). */
  twinningTimeProfile: refName().optional(),
  // (range: decision) 0–99 s.
  mobileDialDelay: seconds(0, 99).default(2),
  mobileAnswerGuard: seconds(0, 99).default(0),
  huntGroupCallsEligible: bool().default(false),
  forwardedCallsEligible: bool().default(false),
  twinWhenLoggedOut: bool().default(false),
  /** Legacy, accepted for compatibility and inert. */
  oneXMobileClient: bool().default(false),
  mobileCallControl: bool().default(false),
  mobileCallback: bool().default(false),
  // CONF-1
  mobileAnswerConfirm: z
    .enum(MOBILE_ANSWER_CONFIRM)
    .meta(meta(MOBILE_ANSWER_CONFIRM.join(' | ')))
    .default('none'),
  mobileAnswerConfirmTimeout: seconds(1, 30).default(5),
  // MCC-4 (decision): optional PIN asked after mobile dial tone.
  mobileFeaturePin: z
    .string()
    .regex(/^[0-9]{4,16}$/)
    .meta(meta('a quoted string of 4–16 digits'))
    .optional(),
};
export const MobilitySchema = z.strictObject(mobilityFields);
export type MobilitySettings = z.output<typeof MobilitySchema>;
export type MobilityField = keyof MobilitySettings;
export const MOBILITY_FIELDS = Object.keys(mobilityFields) as MobilityField[];

export const ForwardSchema = z.strictObject({
  enabled: bool().default(false),
  destination: dialString(32).default(''),
});
export type Forward = z.output<typeof ForwardSchema>;

export const FollowMeSchema = z.strictObject({
  enabled: bool().default(false),
  /** An internal extension (Follow Me is internal by definition). */
  destination: extension().optional(),
});

export const VoicemailSchema = z.strictObject({
  enabled: bool().default(true),
  /** Overrides system.voicemailUri for this user or group. */
  uri: sipUri().optional(),
});

export const APPEARANCE_RING = ['immediate', 'delayed', 'none'] as const;
const ring = () =>
  z
    .enum(APPEARANCE_RING)
    .meta(meta(APPEARANCE_RING.join(' | ')))
    .default('immediate');

/** An appearance of another user's calls; a bare extension is shorthand for ring immediate. */
const userAppearance = () =>
  z.union([
    extension().transform((ext) => ({ extension: ext, ring: 'immediate' as const })),
    z.strictObject({ extension: extension(), ring: ring() }),
  ]);
const lineAppearance = () =>
  z.union([
    lineId().transform((id) => ({ lineId: id, ring: 'immediate' as const })),
    z.strictObject({ lineId: lineId(), ring: ring() }),
  ]);

/**
 * Appearance buttons this user holds (APP-1..3): `bridged` lists the users whose call
 * appearances this user has a bridged button for, `coverage` the users this user covers,
 * `lines` the trunk line ids this user has a line appearance for.
 */
export const AppearancesSchema = z.strictObject({
  bridged: z.array(userAppearance()).default([]),
  coverage: z.array(userAppearance()).default([]),
  lines: z.array(lineAppearance()).default([]),
});
export type Appearances = z.output<typeof AppearancesSchema>;

export const TWINNING_MODES = ['internal', 'mobile'] as const;
export type TwinningMode = (typeof TWINNING_MODES)[number];

/**
 * User settings a user-rights template may lock (UR-1) and a user may change through
 * self-service; identity and administrative fields are in {@link userAdminFields}.
 */
export const userSettingFields = {
  /** Absent = the system default (MT-5). */
  noAnswerTime: seconds(6, 99_999).optional(),
  individualCoverageTime: seconds(1, 99_999).default(10),
  /** Absent = 15 s (BTN-1). */
  transferReturnTime: seconds(1, 99_999).optional(),
  dnd: bool().default(false),
  dndExceptions: z.array(dialString(32, 1)).default([]),
  forwardUnconditional: ForwardSchema.prefault({}),
  forwardOnBusy: ForwardSchema.prefault({}),
  forwardOnNoAnswer: ForwardSchema.prefault({}),
  forwardHuntGroupCalls: bool().default(false),
  followMe: FollowMeSchema.prefault({}),
  callWaiting: bool().default(false),
  voicemail: VoicemailSchema.prefault({}),
  /** CFG-3: absent = derived from what is configured (see effective.ts). */
  twinningMode: z
    .enum(TWINNING_MODES)
    .meta(meta(TWINNING_MODES.join(' | ')))
    .optional(),
  mobility: MobilitySchema.prefault({}),
};

export const userAdminFields = {
  extension: extension(),
  name: z
    .string()
    .regex(/^[^\s].{0,62}[^\s]$|^[^\s]$/)
    .meta(meta('1–64 characters, no leading or trailing space')),
  password: z.string().min(1).max(128).meta(meta('1–128 characters')),
  licence: licence().default('basic'),
  /** Seconds a 'delayed' appearance button waits before it rings (APP-1). */
  appearanceRingDelay: seconds(1, 98).default(5),
  appearances: AppearancesSchema.prefault({}),
  /** UR-2: absent = working hours always. */
  workingHoursTimeProfile: refName().optional(),
  workingHoursUserRights: refName().optional(),
  outOfHoursUserRights: refName().optional(),
  /** Explicit logout (pbx.md: logged out even while registered). */
  loggedOut: bool().default(false),
};

export const UserSchema = z.strictObject({ ...userAdminFields, ...userSettingFields });
export type User = z.output<typeof UserSchema>;
export type UserInput = z.input<typeof UserSchema>;

// ───────────────────────────── hunt groups ─────────────────────────────

export const RING_MODES = ['collective', 'sequential', 'rotary', 'longestWaiting'] as const;

export const HuntGroupSchema = z.strictObject({
  name: refName(),
  extension: extension(),
  members: z.array(extension()).default([]),
  ringMode: z
    .enum(RING_MODES)
    .meta(meta(RING_MODES.join(' | ')))
    .default('collective'),
  /** Absent = the system default. */
  noAnswerTime: seconds(6, 99_999).optional(),
  /** Further groups that also alert after `time` seconds (absent time = the no answer time). */
  overflow: z
    .strictObject({
      time: seconds(1, 99_999).optional(),
      groups: z.array(refName()).min(1).meta(meta('one or more hunt group names or extensions')),
    })
    .optional(),
  voicemail: VoicemailSchema.prefault({}),
});
export type HuntGroup = z.output<typeof HuntGroupSchema>;

// ───────────────────────────── time profiles ─────────────────────────────

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = (allowMidnightEnd: boolean) =>
  z
    .string()
    .regex(allowMidnightEnd ? /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^([01]\d|2[0-3]):[0-5]\d$/)
    .meta(meta(allowMidnightEnd ? 'HH:MM, 00:00–24:00' : 'HH:MM, 00:00–23:59'));
const isoDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .meta(meta('a date YYYY-MM-DD'));

export const WeeklyEntrySchema = z.strictObject({
  kind: z.literal('weekly'),
  days: z
    .array(z.enum(WEEKDAYS).meta(meta(WEEKDAYS.join(' | '))))
    .min(1)
    .meta(meta(`one or more of ${WEEKDAYS.join(', ')}`)),
  start: clock(false),
  end: clock(true),
});
export const CalendarEntrySchema = z.strictObject({
  kind: z.literal('calendar'),
  date: isoDate(),
  endDate: isoDate().optional(),
  start: clock(false),
  end: clock(true),
});
export const TimeProfileEntrySchema = z.discriminatedUnion('kind', [WeeklyEntrySchema, CalendarEntrySchema]);
export type TimeProfileEntry = z.output<typeof TimeProfileEntrySchema>;

export const OVERRIDE_KINDS = [
  'activeUntilNextInactive',
  'inactiveUntilNextActive',
  'latchActive',
  'latchInactive',
] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

export const TimeProfileSchema = z.strictObject({
  name: refName(),
  entries: z.array(TimeProfileEntrySchema).default([]),
  // TP-4
  override: z
    .enum(OVERRIDE_KINDS)
    .meta(meta(OVERRIDE_KINDS.join(' | ')))
    .optional(),
  overrideSetAt: isoInstant().optional(),
});
export type TimeProfile = z.output<typeof TimeProfileSchema>;

// ───────────────────────────── user rights ─────────────────────────────

export const UserRightsSchema = z.strictObject({
  name: refName(),
  /** Setting path (e.g. `dnd`, `forwardUnconditional.enabled`, `mobility.mobileTwinning`) → locked value. */
  locked: z.record(z.string(), z.unknown()).default({}),
});
export type UserRights = z.output<typeof UserRightsSchema>;

// ───────────────────────────── trunks and routes ─────────────────────────────

export const TrunkSchema = z.strictObject({
  name: refName(),
  kind: z.enum(['carrier', 'msTeams']).meta(meta('carrier | msTeams')),
  host: z
    .string()
    .regex(/^[A-Za-z0-9.:_-]{1,253}$/)
    .meta(meta('a host name or IP address')),
  port: z.int().min(1).max(65_535).meta(meta('1–65535')).default(5060),
  transport: z.enum(['udp', 'tcp']).meta(meta('udp | tcp')).default('udp'),
  callerIdPolicy: z.enum(['from', 'pai']).meta(meta('from | pai')).default('pai'),
  diversionHeader: z
    .enum(['diversion', 'history-info'])
    .meta(meta('diversion | history-info'))
    .default('diversion'),
  dtmfMode: z.enum(['rfc4733', 'info']).meta(meta('rfc4733 | info')).default('rfc4733'),
  /** The trunk's normal outgoing caller ID (CLI-2). */
  ownNumber: z
    .string()
    .regex(/^\+?[0-9]{1,32}$/)
    .meta(meta('a quoted string of up to 32 digits, optionally after a +'))
    .optional(),
  lineId: lineId().optional(),
  /** Digest credentials towards the carrier, when it challenges. */
  auth: z
    .strictObject({
      username: z.string().min(1).max(128).meta(meta('1–128 characters')),
      password: z.string().min(1).max(128).meta(meta('1–128 characters')),
    })
    .optional(),
});
export type Trunk = z.output<typeof TrunkSchema>;

export const MOBILITY_ROUTE_FEATURES = ['fne31', 'fne32', 'fne33'] as const;

export const IncomingRouteSchema = z.strictObject({
  trunk: refName(),
  /** Called number; '' matches any. */
  ddi: z
    .string()
    .regex(/^\+?[0-9]{0,32}$/)
    .meta(meta("a quoted string of up to 32 digits, optionally after a +; '' matches any")),
  callerId: z
    .string()
    .regex(/^\+?[0-9]{1,32}$/)
    .meta(meta('a quoted string of up to 32 digits, optionally after a +'))
    .optional(),
  /** A user extension, a hunt group name or extension, or fne31 | fne32 | fne33. */
  destination: z
    .union([z.string().min(1), z.int().min(0)])
    .transform((v) => String(v))
    .meta(meta('a user extension, a hunt group name or extension, or fne31 | fne32 | fne33')),
  lineId: lineId().optional(),
});
export type IncomingRoute = z.output<typeof IncomingRouteSchema>;

// ───────────────────────────── short codes ─────────────────────────────

/** Dial-plan features (spec §9, pbx.md). Those marked in {@link FEATURES_NEEDING_DIGITS} take N. */
export const SHORT_CODE_FEATURES = [
  'dndOn',
  'dndOff',
  'forwardSet',
  'forwardClear',
  'login',
  'logout',
  'setMobileTwinningNumber',
  'mobileTwinningOn',
  'mobileTwinningOff',
  'mobileTwinningToggle',
  'twinnedCallPickup',
  'twinningHandover',
  'twinningModeInternal',
  'twinningModeMobile',
  'twinningModeToggle',
  'voicemail',
] as const;
export type ShortCodeFeature = (typeof SHORT_CODE_FEATURES)[number];
export const FEATURES_NEEDING_DIGITS: ReadonlySet<ShortCodeFeature> = new Set([
  'forwardSet',
  'login',
  'setMobileTwinningNumber',
]);

export const ShortCodeSchema = z.strictObject({
  /** Digits, * and #; N stands for the digits the user dials there (e.g. *9N#). */
  code: z
    .string()
    .max(32)
    .regex(/^[0-9*#]*N?[0-9*#]*$/)
    .refine((s) => /[0-9*#]/.test(s))
    .meta(meta('1–32 characters 0-9 * # with at most one N, e.g. *9N#')),
  feature: z.enum(SHORT_CODE_FEATURES).meta(meta(SHORT_CODE_FEATURES.join(' | '))),
  /** For forwardSet / forwardClear: which forward. */
  forwardType: z
    .enum(['unconditional', 'busy', 'noAnswer', 'all'])
    .meta(meta('unconditional | busy | noAnswer | all'))
    .optional(),
});
export type ShortCode = z.output<typeof ShortCodeSchema>;

// ───────────────────────────── the directory ─────────────────────────────

export const DirectorySchema = z.strictObject({
  system: SystemSchema.prefault({}),
  users: z.array(UserSchema).default([]),
  huntGroups: z.array(HuntGroupSchema).default([]),
  timeProfiles: z.array(TimeProfileSchema).default([]),
  userRights: z.array(UserRightsSchema).default([]),
  trunks: z.array(TrunkSchema).default([]),
  incomingRoutes: z.array(IncomingRouteSchema).default([]),
  shortCodes: z.array(ShortCodeSchema).default([]),
});
export type Directory = z.output<typeof DirectorySchema>;
export type DirectoryInput = z.input<typeof DirectorySchema>;
export const DIRECTORY_SECTIONS = [
  'system',
  'users',
  'huntGroups',
  'timeProfiles',
  'userRights',
  'trunks',
  'incomingRoutes',
  'shortCodes',
] as const;
export type DirectorySection = (typeof DIRECTORY_SECTIONS)[number];

/** The element schema of each list section, parsed one entry at a time so one bad entry hides nothing. */
export const SECTION_ELEMENT = {
  users: UserSchema,
  huntGroups: HuntGroupSchema,
  timeProfiles: TimeProfileSchema,
  userRights: UserRightsSchema,
  trunks: TrunkSchema,
  incomingRoutes: IncomingRouteSchema,
  shortCodes: ShortCodeSchema,
} as const;

/** Mobility settings with every default (CFG-1); also what the engine sees for an unlicensed user (CFG-2). */
export function defaultMobility(): MobilitySettings {
  return MobilitySchema.parse({});
}

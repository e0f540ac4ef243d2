/**
 * The one error table of the configuration model (STYLE 8): every rejected value is
 * reported as a {@link ConfigIssue} with a stable `code`; callers branch on the code,
 * never on the message.
 */

/** Stable codes; the values are part of the API and never change meaning. */
export const ConfigErrorCode = {
  // Per-field (schema) problems — CFG-1.
  REQUIRED: 'REQUIRED',
  INVALID_TYPE: 'INVALID_TYPE',
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  INVALID_LENGTH: 'INVALID_LENGTH',
  INVALID_VALUE: 'INVALID_VALUE',
  INVALID_FORMAT: 'INVALID_FORMAT',
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
  YAML_SYNTAX: 'YAML_SYNTAX',
  // Uniqueness and references.
  DUPLICATE_EXTENSION: 'DUPLICATE_EXTENSION',
  DUPLICATE_NAME: 'DUPLICATE_NAME',
  DUPLICATE_ENTRY: 'DUPLICATE_ENTRY',
  DUPLICATE_LINE_ID: 'DUPLICATE_LINE_ID',
  DUPLICATE_ROUTE: 'DUPLICATE_ROUTE',
  DUPLICATE_SHORT_CODE: 'DUPLICATE_SHORT_CODE',
  UNKNOWN_USER: 'UNKNOWN_USER',
  NOT_A_USER: 'NOT_A_USER',
  UNKNOWN_HUNT_GROUP: 'UNKNOWN_HUNT_GROUP',
  UNKNOWN_TIME_PROFILE: 'UNKNOWN_TIME_PROFILE',
  UNKNOWN_USER_RIGHTS: 'UNKNOWN_USER_RIGHTS',
  UNKNOWN_TRUNK: 'UNKNOWN_TRUNK',
  UNKNOWN_LINE: 'UNKNOWN_LINE',
  UNKNOWN_DESTINATION: 'UNKNOWN_DESTINATION',
  INVALID_TIME_ZONE: 'INVALID_TIME_ZONE',
  RESERVED_NAME: 'RESERVED_NAME',
  // Twinning (spec §1 twinnedHandset row).
  TWIN_SELF: 'TWIN_SELF',
  TWIN_TAKEN: 'TWIN_TAKEN',
  TWIN_DESTINATION_CANNOT_TWIN: 'TWIN_DESTINATION_CANNOT_TWIN',
  // Licences — LIC-2.
  LICENCE_REQUIRED: 'LICENCE_REQUIRED',
  // Other cross-field rules.
  SELF_REFERENCE: 'SELF_REFERENCE',
  DESTINATION_REQUIRED: 'DESTINATION_REQUIRED',
  EMPTY_INTERVAL: 'EMPTY_INTERVAL',
  INVALID_DATE: 'INVALID_DATE',
  OVERRIDE_SET_AT_REQUIRED: 'OVERRIDE_SET_AT_REQUIRED',
  NOT_LOCKABLE: 'NOT_LOCKABLE',
  TOO_MANY_TEAMS_TRUNKS: 'TOO_MANY_TEAMS_TRUNKS',
  WRONG_TRUNK_KIND: 'WRONG_TRUNK_KIND',
  SHORT_CODE_NEEDS_DIGITS: 'SHORT_CODE_NEEDS_DIGITS',
  SHORT_CODE_CONFLICT: 'SHORT_CODE_CONFLICT',
  // Change rules (validateChange).
  READ_ONLY_UNLICENSED: 'READ_ONLY_UNLICENSED',
  READ_ONLY_TWIN_DESTINATION: 'READ_ONLY_TWIN_DESTINATION',
  READ_ONLY_TEAMS_AUTO: 'READ_ONLY_TEAMS_AUTO',
  LOCKED_BY_USER_RIGHTS: 'LOCKED_BY_USER_RIGHTS',
  NOT_PERMITTED: 'NOT_PERMITTED',
  // Warnings (never block a change).
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  INERT_SETTING: 'INERT_SETTING',
  NUMBER_WITHOUT_PREFIX: 'NUMBER_WITHOUT_PREFIX',
  NO_TEAMS_TRUNK: 'NO_TEAMS_TRUNK',
  NO_CARRIER_TRUNK: 'NO_CARRIER_TRUNK',
  EXTENSION_PREFIX_CONFLICT: 'EXTENSION_PREFIX_CONFLICT',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/**
 * One problem with a configuration value. `path` uses array indexes
 * (`users[3].mobility.mobileDialDelay`); the message also names the entry
 * (`user 402`), so both a form and a person can place it.
 */
export interface ConfigIssue {
  path: string;
  value: unknown;
  /** What would have been accepted, e.g. `0–99 seconds`. */
  allowed: string;
  message: string;
  code: ConfigErrorCode;
}

/** Thrown by the functions that cannot return a result object (e.g. buildSnapshot). */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly errors: readonly ConfigIssue[],
    readonly warnings: readonly ConfigIssue[] = [],
  ) {
    super(
      `configuration rejected with ${errors.length} error${errors.length === 1 ? '' : 's'}: ` +
        errors
          .slice(0, 5)
          .map((e) => e.message)
          .join('; ') +
        (errors.length > 5 ? '; …' : ''),
    );
    this.name = 'ConfigValidationError';
  }
}

/** `['users', 3, 'mobility', 'x']` → `users[3].mobility.x`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out;
}

/** A short, safe rendering of a value for a message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return 'an object';
}

/**
 * The configuration model's public face: the directory schema and types, validation of
 * whole directories and of changes, effective values, time profiles, snapshots, YAML.
 */
export { demoDirectory, demoDirectoryInput } from './demo.js';
export {
  DEFAULT_TRANSFER_RETURN_TIME,
  type EffectiveSettings,
  type EffectiveUser,
  effectiveUser,
} from './effective.js';
export { ConfigErrorCode, type ConfigIssue, ConfigValidationError } from './errors.js';
export { LOCKABLE_SETTINGS, SELF_SERVICE_SETTINGS } from './fields.js';
export { hasMobilityEntitlement, isLicensed } from './licence.js';
export * from './schema.js';
export {
  buildSnapshot,
  type ConfigSnapshot,
  findRoute,
  type ResolvedDestination,
  resolveDestination,
  type SnapshotResult,
  trySnapshot,
} from './snapshot.js';
export {
  isProfileActive,
  isScheduleActive,
  isValidTimeZone,
  nextScheduledChange,
  type ProfileOverride,
} from './time-profile.js';
export {
  type Actor,
  lockedSettings,
  routeKey,
  type ValidationResult,
  validateChange,
  validateDirectory,
} from './validate.js';
export { dumpDirectoryYaml, parseDirectoryYaml } from './yaml.js';

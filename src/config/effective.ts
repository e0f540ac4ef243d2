/**
 * Effective values (UR-2, UR-3, TP, LIC, CFG-2, CFG-3, IT-8): what a user's settings
 * amount to at a given instant, after the user-rights template in force and the licence.
 * The call engine reads `settings`; the admin API shows `settings` beside `own`.
 *
 * Order: working-hours profile (UR-2) → template in force → locked values override the
 * user's own (UR-1) → licence gating (CFG-2, LIC-2) → system gating (IT-8) → derived
 * values (No Answer Time, Transfer Return Time, twinning mode).
 */
import { getPath, withPath } from './fields.js';
import { hasMobilityEntitlement, isLicensed } from './licence.js';
import {
  type Directory,
  defaultMobility,
  type LicenceLevel,
  type MobilitySettings,
  type TimeProfile,
  type TwinningMode,
  type User,
  type UserRights,
} from './schema.js';
import type { ConfigSnapshot } from './snapshot.js';
import { isProfileActive } from './time-profile.js';

/** Transfer Return Time when the user has none set (BTN-1). */
export const DEFAULT_TRANSFER_RETURN_TIME = 15;

/** The user's settings with every inherited value resolved. */
export type EffectiveSettings = Omit<User, 'noAnswerTime' | 'transferReturnTime'> & {
  noAnswerTime: number;
  transferReturnTime: number;
};

export interface EffectiveUser {
  extension: string;
  name: string;
  licence: LicenceLevel;
  /** LIC-1: any level but unlicensed. */
  licensed: boolean;
  /** LIC-1: the licence carries the mobility entitlement. */
  mobilityEntitled: boolean;
  /** UR-3: the user's own stored values. */
  own: User;
  /** The values in force: after user rights, licence and system gating. */
  settings: EffectiveSettings;
  /** UR-1: setting path → name of the template that locks it (only the template in force). */
  lockedBy: Record<string, string>;
  /** UR-2: inside the working-hours time profile (always true without one). */
  workingHours: boolean;
  /** The user-rights template in force, if any. */
  userRights: string | undefined;
  /** CFG-3: the twinning in use: the stored mode when both are configured, the only one configured, or none. */
  twinningMode: TwinningMode | 'none';
  /** Whether the user's twinningTimeProfile is active now (TP-3: none = active). */
  twinningProfileActive: boolean;
  /** IT-1/IT-3: when this user is someone's twinned handset, that primary's extension. */
  twinOf: string | undefined;
  /** The voicemail target: the user's own URI, else system.voicemailUri. */
  voicemailUri: string | undefined;
}

/** What effectiveUser needs to look things up; a snapshot provides it, a bare directory is indexed once. */
interface View {
  directory: Directory;
  usersByExtension: ReadonlyMap<string, User>;
  timeProfilesByName: ReadonlyMap<string, TimeProfile>;
  userRightsByName: ReadonlyMap<string, UserRights>;
  twinPrimaryByDestination: ReadonlyMap<string, string>;
}

const viewCache = new WeakMap<Directory, View>();

function viewOf(src: Directory | ConfigSnapshot): View {
  if ('revision' in src) return src;
  const hit = viewCache.get(src);
  if (hit) return hit;
  const twins = new Map<string, string>();
  for (const u of src.users) if (u.mobility.twinnedHandset) twins.set(u.mobility.twinnedHandset, u.extension);
  const v: View = {
    directory: src,
    usersByExtension: new Map(src.users.map((u) => [u.extension, u])),
    timeProfilesByName: new Map(src.timeProfiles.map((t) => [t.name, t])),
    userRightsByName: new Map(src.userRights.map((r) => [r.name, r])),
    twinPrimaryByDestination: twins,
  };
  viewCache.set(src, v);
  return v;
}

/** Switches under the mobilityFeatures master switch (spec §1: "all fields below are inert while off"). */
const MOBILITY_SWITCHES = [
  'mobileTwinning',
  'fallbackTwinning',
  'twinWhenLoggedOut',
  'mobileCallControl',
  'mobileCallback',
] as const satisfies readonly (keyof MobilitySettings)[];

/**
 * A user's effective values at `at` (UR-2, UR-3). Returns undefined for an unknown
 * extension. Pass a {@link ConfigSnapshot} on hot paths; a bare Directory is indexed on
 * first use (and cached while the object lives).
 */
export function effectiveUser(
  src: Directory | ConfigSnapshot,
  extension: string,
  at: Date | number,
): EffectiveUser | undefined {
  const view = viewOf(src);
  const own = view.usersByExtension.get(extension);
  if (!own) return undefined;
  const system = view.directory.system;
  const tz = system.timeZone;

  // UR-2: working hours → which template.
  const whProfile = own.workingHoursTimeProfile
    ? view.timeProfilesByName.get(own.workingHoursTimeProfile)
    : undefined;
  const workingHours = own.workingHoursTimeProfile ? isProfileActive(whProfile, at, tz) : true;
  const rightsName = workingHours ? own.workingHoursUserRights : own.outOfHoursUserRights;
  const rights = rightsName ? view.userRightsByName.get(rightsName) : undefined;

  // UR-1: locked values override the user's own; null locks a setting to "unset".
  let user: User = own;
  const lockedBy: Record<string, string> = {};
  if (rights) {
    for (const [path, value] of Object.entries(rights.locked)) {
      lockedBy[path] = rights.name;
      if (getPath(user, path) !== (value ?? undefined)) user = withPath(user, path, value ?? undefined);
    }
  }

  const licensed = isLicensed(own);
  const mobilityEntitled = hasMobilityEntitlement(system, own);
  let m: MobilitySettings;
  if (!licensed) {
    // CFG-2: the engine treats every Mobility field of an unlicensed user as off.
    m = defaultMobility();
  } else {
    m = { ...user.mobility };
    // LIC-2: without the entitlement mobility features stop applying at once.
    if (!mobilityEntitled) m.mobilityFeatures = false;
    if (!m.mobilityFeatures) for (const k of MOBILITY_SWITCHES) m[k] = false;
    // IT-8: no internal twinning in resilience mode.
    if (system.resilienceMode) m.internalTwinning = false;
  }
  // Legacy, accepted and inert.
  m.oneXMobileClient = false;

  // CFG-3: which twinning is in use.
  const internalConfigured = m.internalTwinning && m.twinnedHandset !== undefined;
  const mobileConfigured = m.mobilityFeatures && m.mobileTwinning && m.twinnedMobileNumber !== '';
  const twinningMode: TwinningMode | 'none' =
    internalConfigured && mobileConfigured
      ? (user.twinningMode ?? 'internal')
      : internalConfigured
        ? 'internal'
        : mobileConfigured
          ? 'mobile'
          : 'none';

  const twinProfile = m.twinningTimeProfile ? view.timeProfilesByName.get(m.twinningTimeProfile) : undefined;
  const settings: EffectiveSettings = {
    ...user,
    mobility: m,
    noAnswerTime: user.noAnswerTime ?? system.defaultNoAnswerTime,
    transferReturnTime: user.transferReturnTime ?? DEFAULT_TRANSFER_RETURN_TIME,
  };
  return {
    extension: own.extension,
    name: own.name,
    licence: own.licence,
    licensed,
    mobilityEntitled,
    own,
    settings,
    lockedBy,
    workingHours,
    userRights: rights?.name,
    twinningMode,
    twinningProfileActive: m.twinningTimeProfile ? isProfileActive(twinProfile, at, tz) : true,
    twinOf: view.twinPrimaryByDestination.get(own.extension),
    voicemailUri: user.voicemail.uri ?? system.voicemailUri,
  };
}

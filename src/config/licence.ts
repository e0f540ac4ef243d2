/**
 * Licences (LIC-1, LIC-2): a user's licence level decides whether they count as licensed
 * (internal twinning, CFG-2) and whether they carry the mobility entitlement
 * (mobilityFeatures and everything under it).
 */
import type { SystemSettings, User } from './schema.js';

/** LIC-1: any level but `unlicensed` counts as licensed (internal twinning, CFG-2). */
export function isLicensed(user: Pick<User, 'licence'>): boolean {
  return user.licence !== 'unlicensed';
}

/** LIC-1: the levels listed in system.mobilityLicenceLevels carry the mobility entitlement. */
export function hasMobilityEntitlement(
  system: Pick<SystemSettings, 'mobilityLicenceLevels'>,
  user: Pick<User, 'licence'>,
): boolean {
  return isLicensed(user) && system.mobilityLicenceLevels.includes(user.licence);
}

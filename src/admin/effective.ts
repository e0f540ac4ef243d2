/**
 * UR-3: a user's own values beside the values in force at an instant, and which fields
 * are locked (UR-1, by which template) or read-only (CFG-2 unlicensed, a twinned
 * handset's pairing, MS Teams auto-populated data) — what a form greys out and why.
 */
import {
  type ConfigSnapshot,
  effectiveUser,
  isLicensed,
  MOBILITY_FIELDS,
  type TwinningMode,
} from '../config/index.js';
import { redact } from './changes.js';

export interface LockView {
  /** The user-rights template that locks the field. */
  userRights: string;
  /** The value it is locked to (null = unset). */
  value: unknown;
}

export interface ReadOnlyView {
  /** READ_ONLY_UNLICENSED | READ_ONLY_TWIN_DESTINATION | READ_ONLY_TEAMS_AUTO */
  code: string;
  message: string;
}

export interface EffectiveView {
  extension: string;
  name: string;
  /** ISO 8601 instant the values are for. */
  at: string;
  licence: string;
  licensed: boolean;
  mobilityEntitled: boolean;
  /** UR-2: inside the working-hours profile. */
  workingHours: boolean;
  /** The user-rights template in force. */
  userRights: string | null;
  twinningMode: TwinningMode | 'none';
  twinningProfileActive: boolean;
  /** When this user is someone's twinned handset, that user's extension. */
  twinOf: string | null;
  voicemailUri: string | null;
  /** The user's own stored values (secrets left out). */
  own: Record<string, unknown>;
  /** The values in force (secrets left out). */
  effective: Record<string, unknown>;
  /** Setting path → the template that locks it now. */
  locked: Record<string, LockView>;
  /** Setting path → why nobody but twinline may change it now. */
  readOnly: Record<string, ReadOnlyView>;
  /** Fields accepted for compatibility that have no effect. */
  notSupported: string[];
}

/** The effective view of user `extension` at `at`, or undefined when there is no such user. */
export function effectiveView(
  snapshot: ConfigSnapshot,
  extension: string,
  at: number,
): EffectiveView | undefined {
  const e = effectiveUser(snapshot, extension, at);
  if (!e) return undefined;
  const rights = e.userRights ? snapshot.userRightsByName.get(e.userRights) : undefined;
  const locked: Record<string, LockView> = {};
  for (const [path, name] of Object.entries(e.lockedBy)) {
    locked[path] = { userRights: name, value: rights?.locked[path] ?? null };
  }
  const readOnly: Record<string, ReadOnlyView> = {};
  if (!isLicensed(e.own)) {
    // CFG-2
    for (const f of MOBILITY_FIELDS) {
      readOnly[`mobility.${f}`] = {
        code: 'READ_ONLY_UNLICENSED',
        message: `user ${extension} is unlicensed, so Mobility settings are read-only`,
      };
    }
  }
  if (e.twinOf !== undefined) {
    readOnly['mobility.twinnedHandset'] = {
      code: 'READ_ONLY_TWIN_DESTINATION',
      message: `user ${extension} is the twinned handset of user ${e.twinOf}`,
    };
  }
  if (snapshot.system.autoPopulateMsTeamsData) {
    readOnly['mobility.msTeamsUri'] = {
      code: 'READ_ONLY_TEAMS_AUTO',
      message: 'filled in automatically while system.autoPopulateMsTeamsData is on',
    };
  }
  return {
    extension: e.extension,
    name: e.name,
    at: new Date(at).toISOString(),
    licence: e.licence,
    licensed: e.licensed,
    mobilityEntitled: e.mobilityEntitled,
    workingHours: e.workingHours,
    userRights: e.userRights ?? null,
    twinningMode: e.twinningMode,
    twinningProfileActive: e.twinningProfileActive,
    twinOf: e.twinOf ?? null,
    voicemailUri: e.voicemailUri ?? null,
    own: redact('users', e.own as unknown as Record<string, unknown>),
    effective: redact('users', e.settings as unknown as Record<string, unknown>),
    locked,
    readOnly,
    notSupported: ['mobility.oneXMobileClient'],
  };
}

export const effectiveViewSchema = {
  type: 'object',
  required: ['extension', 'at', 'own', 'effective', 'locked', 'readOnly'],
  properties: {
    extension: { type: 'string' },
    name: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    licence: { type: 'string' },
    licensed: { type: 'boolean' },
    mobilityEntitled: { type: 'boolean' },
    workingHours: { type: 'boolean' },
    userRights: { type: ['string', 'null'] },
    twinningMode: { enum: ['internal', 'mobile', 'none'] },
    twinningProfileActive: { type: 'boolean' },
    twinOf: { type: ['string', 'null'] },
    voicemailUri: { type: ['string', 'null'] },
    own: { type: 'object', description: 'The user’s own stored values' },
    effective: { type: 'object', description: 'The values in force after user rights, licence and system' },
    locked: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { userRights: { type: 'string' }, value: {} },
      },
    },
    readOnly: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
    notSupported: { type: 'array', items: { type: 'string' } },
  },
} as const;

/**
 * Shared fixtures of the mobility tests: a small directory (Alice 201 with mobile
 * twinning, a carrier and a Teams trunk, voicemail), a call request builder, and a
 * one-line-per-leg summary so a table row reads like the spec.
 */

import type { ConfigSnapshot } from '../../../src/config/snapshot.js';
import { buildSnapshot } from '../../../src/config/snapshot.js';
import { runScenario, type ScriptEvent, type Timeline } from '../../../src/mobility/scenario.js';
import type { CallInfo, CallRequest, Outcome, Presence } from '../../../src/mobility/types.js';

/** Wednesday 4 March 2026, 10:00 in London (GMT): inside office hours. */
export const WED_10 = Date.parse('2026-03-04T10:00:00Z');
/** Wednesday 4 March 2026, 20:00 in London: outside office hours. */
export const WED_20 = Date.parse('2026-03-04T20:00:00Z');

type Json = Record<string, unknown>;

export function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (Array.isArray(over) || over === null || typeof over !== 'object') return over as T;
  const out: Json = { ...(base as Json) };
  for (const [k, v] of Object.entries(over as Json)) out[k] = merge(out[k], v);
  return out as T;
}

export function user(extension: string, over: Json = {}): Json {
  return merge(
    { extension, name: `User ${extension}`, password: `Secr3t-pass-${extension}`, licence: 'mobile-worker' },
    over,
  );
}

/** Alice (201): mobile twinning to 9 07700 900201, dial delay 2 s (default), voicemail. */
export function alice(over: Json = {}): Json {
  return user(
    '201',
    merge(
      {
        name: 'Alice',
        mobility: { mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '907700900201' },
      },
      over,
    ),
  );
}

export function directory(over: { users?: Json[]; system?: Json; [k: string]: unknown } = {}): Json {
  const { users, system, ...rest } = over;
  return {
    system: merge({ timeZone: 'Europe/London', voicemailUri: 'sip:vm@voicemail.example' }, system),
    trunks: [
      { name: 'carrier', kind: 'carrier', host: 'carrier.example', lineId: 'L100' },
      { name: 'teams', kind: 'msTeams', host: 'teams.example' },
    ],
    users: users ?? [alice()],
    ...rest,
  };
}

export function snap(over: Parameters<typeof directory>[0] = {}): ConfigSnapshot {
  return buildSnapshot(directory(over), 1);
}

export function request(
  over: {
    user?: string;
    call?: Partial<CallInfo>;
    presence?: Partial<Presence>;
    now?: number;
    others?: CallRequest['others'];
  } = {},
): CallRequest {
  return {
    user: over.user ?? '201',
    call: {
      caller: { number: '01632960001', name: 'Carol Caller', external: true },
      kind: 'direct',
      ...over.call,
    },
    presence: { loggedIn: true, devices: ['desk'], calls: [], ...over.presence },
    now: over.now ?? WED_10,
    ...(over.others ? { others: over.others } : {}),
  };
}

export function run(s: ConfigSnapshot, req: CallRequest, script: ScriptEvent[] = []): Timeline {
  return runScenario(s, req, script);
}

/** `reason@placedAt-ms:status` per leg, in plan order (`-` = never placed). */
export function legs(t: Timeline): string[] {
  return t.legs.map((l) => `${l.plan.reason}@${l.placedAt ?? '-'}:${l.status}`);
}

export function outcome(t: Timeline | { outcome?: Outcome }): string {
  const o = t.outcome;
  if (!o) return 'none';
  switch (o.kind) {
    case 'connected':
      return `connected ${'legs' in t ? t.legs.find((l) => l.plan.id === o.leg)?.plan.reason : o.leg} at ${o.at}`;
    case 'diverted': {
      const tgt = o.target;
      const where =
        tgt.kind === 'voicemail'
          ? `voicemail ${tgt.mailbox}`
          : tgt.kind === 'dial'
            ? `dial ${tgt.dialString}`
            : `ext ${tgt.extension}`;
      return `diverted ${o.reason} to ${where} at ${o.at}`;
    }
    case 'responded':
      return `${o.code} at ${o.at}`;
    case 'abandoned':
      return `abandoned at ${o.at}`;
    case 'cleared':
      return `cleared at ${o.at}`;
  }
}

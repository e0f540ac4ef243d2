/**
 * Scenario files of `twinline simulate` (docs/mobility-engine.md): a call for a user at
 * a local date and time, the caller, the kind of call, the user's presence and what
 * happens ("primary answers at 3.1 s", "mobile answers 0.8 s after its leg starts",
 * "caller hangs up at 9 s"), with optional expectations. This module turns the parsed
 * data (from YAML or JSON) into a {@link CallRequest} and a script; reading files is the
 * caller's business.
 */
import { DateTime } from 'luxon';
import type { ScriptEvent, Timeline } from './scenario.js';
import { legLine, outcomeLine } from './timeline.js';
import { type ActiveCall, CALL_KINDS, type CallKind, type CallRequest, type OtherPresence } from './types.js';

export class ScenarioError extends Error {
  readonly code = 'SCENARIO_INVALID';
}

export interface Scenario {
  title: string;
  /** The call's local time as written, with the zone. */
  when: string;
  request: CallRequest;
  script: ScriptEvent[];
  expect?: { outcome?: string; legs?: string[] };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown, what: string): string {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new ScenarioError(`${what}: expected text, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, what: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean')
    throw new ScenarioError(`${what}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) throw new ScenarioError(`${what}: expected a list`);
  return v.map((x, i) => str(x, `${what}[${i}]`));
}

/** "3.1 s", "3.1s", "800 ms", "3" (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)?\s*$/.exec(text);
  if (!m) throw new ScenarioError(`not a duration: "${text}" (write e.g. 3.1 s or 800 ms)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : n * 1000);
}

const WHEN = String.raw`(?:at\s+(?<at>[\d.]+\s*(?:ms|s|sec|seconds?)?)|(?<after>[\d.]+\s*(?:ms|s|sec|seconds?)?)\s+after\s+(?:its|the)\s+leg\s+(?:starts|is\s+placed))`;
const LINE_PATTERNS: readonly [
  RegExp,
  (g: Record<string, string>) => Omit<ScriptEvent, 'at' | 'after'> | 'callerHangup',
][] = [
  [/^caller\s+(?:hangs\s+up|abandons)\s+at\s+(?<at>.+)$/, () => 'callerHangup'],
  [new RegExp(String.raw`^(?<leg>\S+)\s+answers\s+${WHEN}$`), (g) => ({ kind: 'answer', leg: g.leg! })],
  [
    new RegExp(String.raw`^(?<leg>\S+)\s+(?:fails|rejects)\s+(?:with\s+)?(?<status>\d{3})\s+${WHEN}$`),
    (g) => ({ kind: 'fail', leg: g.leg!, status: Number(g.status) }),
  ],
  [
    new RegExp(String.raw`^(?<leg>\S+)\s+is\s+busy\s+${WHEN}$`),
    (g) => ({ kind: 'fail', leg: g.leg!, status: 486 }),
  ],
  [new RegExp(String.raw`^(?<leg>\S+)\s+hangs\s+up\s+${WHEN}$`), (g) => ({ kind: 'legHangup', leg: g.leg! })],
  [
    new RegExp(String.raw`^(?<leg>\S+)\s+presses\s+(?<digit>[0-9*#])\s+${WHEN}$`),
    (g) => ({ kind: 'digit', leg: g.leg!, digit: g.digit! }),
  ],
];

/**
 * One event line: `primary answers at 3.1 s`, `mobileTwin answers 0.8 s after its leg
 * starts`, `mobile presses 1 at 7 s`, `teams fails with 486 at 2 s`, `primary is busy at
 * 1 s`, `mobileTwin hangs up 4 s after its leg starts`, `caller hangs up at 9 s`.
 */
export function parseEventLine(line: string): ScriptEvent {
  const text = line.trim().replace(/\s+/g, ' ');
  for (const [re, build] of LINE_PATTERNS) {
    const m = re.exec(text);
    if (!m?.groups) continue;
    const g = m.groups as Record<string, string>;
    const ev = build(g);
    if (ev === 'callerHangup') return { kind: 'callerHangup', at: parseDuration(g.at!) };
    const when = g.at !== undefined ? { at: parseDuration(g.at) } : { after: parseDuration(g.after!) };
    return { ...ev, ...when } as ScriptEvent;
  }
  throw new ScenarioError(
    `cannot read event "${line}": write e.g. "primary answers at 3.1 s", "mobileTwin answers 0.8 s after its leg starts", "caller hangs up at 9 s"`,
  );
}

function parseCalls(v: unknown): ActiveCall[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return Array.from({ length: v }, () => ({ where: 'desk' }));
  if (!Array.isArray(v))
    throw new ScenarioError('presence.calls: a number or a list of desk | internalTwin | mobile | teams');
  return v.map((c, i) => {
    const o: Obj = isObj(c) ? c : { where: c };
    const where = str(o.where, `presence.calls[${i}].where`);
    if (!['desk', 'internalTwin', 'mobile', 'teams'].includes(where)) {
      throw new ScenarioError(`presence.calls[${i}]: "${where}" is not desk | internalTwin | mobile | teams`);
    }
    const state = o.state === undefined ? undefined : str(o.state, `presence.calls[${i}].state`);
    if (state !== undefined && state !== 'alerting' && state !== 'connected') {
      throw new ScenarioError(`presence.calls[${i}].state: alerting | connected`);
    }
    return { where: where as ActiveCall['where'], ...(state ? { state } : {}) };
  });
}

/** Parses scenario data; `timeZone` is the system zone the local `at:` is read in (TP-5). */
export function parseScenario(data: unknown, timeZone: string): Scenario {
  if (!isObj(data)) throw new ScenarioError('a scenario is a mapping with user, at, caller, events');
  const user = str(data.user, 'user');
  const atText = str(data.at, 'at');
  const iso = atText.trim().replace(' ', 'T');
  const dt = /[zZ]|[+-]\d{2}:\d{2}$/.test(iso)
    ? DateTime.fromISO(iso, { setZone: true })
    : DateTime.fromISO(iso, { zone: timeZone });
  if (!dt.isValid) throw new ScenarioError(`at: "${atText}" is not a date and time (write 2026-03-04 10:00)`);
  const caller = isObj(data.caller) ? data.caller : { number: data.caller ?? '' };
  const kind = (data.kind === undefined ? 'direct' : str(data.kind, 'kind')) as CallKind;
  if (!CALL_KINDS.includes(kind)) throw new ScenarioError(`kind: "${kind}" is not ${CALL_KINDS.join(' | ')}`);
  const p = isObj(data.presence) ? data.presence : {};
  const devices =
    p.devices !== undefined
      ? strings(p.devices, 'presence.devices')
      : bool(p.reachable, 'presence.reachable', true)
        ? ['desk']
        : [];
  const mode = p.twinningMode === undefined ? undefined : str(p.twinningMode, 'presence.twinningMode');
  if (mode !== undefined && mode !== 'internal' && mode !== 'mobile') {
    throw new ScenarioError('presence.twinningMode: internal | mobile');
  }
  const others: Record<string, OtherPresence> = {};
  if (isObj(data.others)) {
    for (const [ext, o] of Object.entries(data.others)) {
      const oo = isObj(o) ? o : {};
      others[ext] = {
        loggedIn: bool(oo.loggedIn, `others.${ext}.loggedIn`, true),
        devices: oo.devices !== undefined ? strings(oo.devices, `others.${ext}.devices`) : ['default'],
        ...(oo.dnd !== undefined ? { dnd: bool(oo.dnd, `others.${ext}.dnd`, false) } : {}),
      };
    }
  }
  const request: CallRequest = {
    user,
    call: {
      caller: {
        number: caller.number === undefined ? '' : str(caller.number, 'caller.number'),
        ...(caller.name !== undefined ? { name: str(caller.name, 'caller.name') } : {}),
        external: bool(caller.external, 'caller.external', true),
      },
      kind,
      ...(data.huntGroup !== undefined ? { huntGroup: str(data.huntGroup, 'huntGroup') } : {}),
      ...(data.forwardedBy !== undefined ? { forwardedBy: str(data.forwardedBy, 'forwardedBy') } : {}),
      ...(data.lineId !== undefined ? { lineId: str(data.lineId, 'lineId') } : {}),
      ...(data.dndException !== undefined
        ? { dndException: bool(data.dndException, 'dndException', false) }
        : {}),
    },
    presence: {
      loggedIn: bool(p.loggedIn, 'presence.loggedIn', true),
      devices,
      calls: parseCalls(p.calls),
      ...(p.dnd !== undefined ? { dnd: bool(p.dnd, 'presence.dnd', false) } : {}),
      ...(mode ? { twinningMode: mode } : {}),
    },
    ...(Object.keys(others).length > 0 ? { others } : {}),
    now: dt.toMillis(),
  };
  const script = (data.events === undefined ? [] : strings(data.events, 'events')).map(parseEventLine);
  const ex = isObj(data.expect) ? data.expect : undefined;
  return {
    title: data.title === undefined ? `call for ${user}` : str(data.title, 'title'),
    when: `${dt.toFormat('ccc yyyy-LL-dd HH:mm')} ${dt.zoneName ?? timeZone}`,
    request,
    script,
    ...(ex
      ? {
          expect: {
            ...(ex.outcome !== undefined ? { outcome: str(ex.outcome, 'expect.outcome') } : {}),
            ...(ex.legs !== undefined ? { legs: strings(ex.legs, 'expect.legs') } : {}),
          },
        }
      : {}),
  };
}

/** Differences between a played timeline and the scenario's `expect:` block (empty = as expected). */
export function checkExpectations(t: Timeline, expect: Scenario['expect']): string[] {
  const out: string[] = [];
  if (!expect) return out;
  const got = outcomeLine(t.outcome, t.legs);
  if (expect.outcome !== undefined && expect.outcome !== got)
    out.push(`outcome: expected "${expect.outcome}", got "${got}"`);
  if (expect.legs) {
    const lines = t.legs.map(legLine);
    const n = Math.max(lines.length, expect.legs.length);
    for (let i = 0; i < n; i++) {
      if (lines[i] !== expect.legs[i])
        out.push(`leg ${i + 1}: expected "${expect.legs[i] ?? '(none)'}", got "${lines[i] ?? '(none)'}"`);
    }
  }
  return out;
}

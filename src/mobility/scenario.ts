/**
 * A pure driver for one call: it plays the role of the call engine in virtual time —
 * executes the timer commands `decide` returns, feeds the fired timers and the scripted
 * network events back in time order, and records everything. Tests, property tests and
 * `twinline simulate` all use it, so they see exactly the reactions the engine would.
 */
import type { ConfigSnapshot } from './config.js';
import { decide, startCall } from './decide.js';
import {
  type CallRequest,
  type CallState,
  type Command,
  type LegState,
  MOBILE_REASONS,
  type MobilityEvent,
  type Outcome,
  type TimerId,
} from './types.js';

/**
 * Which leg a scripted event is for: a leg id (`L2`), a reason (`mobileTwin`: the first
 * leg with that reason), `reason#n` (the n-th, 1-based: `primary#2`), or the aliases
 * `desk` (primary) and `mobile` (the mobile twin, fallback or logged-out twin leg).
 */
export type LegSelector = string;

/** When: `at` ms after the call was offered, or `after` ms after the leg was placed. */
export type When = { at: number; after?: undefined } | { after: number; at?: undefined };

export type ScriptEvent =
  | ({ kind: 'answer'; leg: LegSelector } & When)
  | ({ kind: 'fail'; leg: LegSelector; status: number } & When)
  | ({ kind: 'legHangup'; leg: LegSelector } & When)
  | ({ kind: 'digit'; leg: LegSelector; digit: string } & When)
  | { kind: 'callerHangup'; at: number };

export interface Step {
  at: number;
  event: MobilityEvent;
  commands: readonly Command[];
}

export interface Timeline {
  request: CallRequest;
  /** The state after the last event. */
  state: CallState;
  steps: readonly Step[];
  legs: readonly LegState[];
  outcome: Outcome | undefined;
  notes: readonly string[];
  /** Scripted events that could not happen (leg never placed, call already over). */
  undelivered: readonly { event: ScriptEvent; why: string }[];
}

export function resolveLeg(legs: readonly LegState[], sel: LegSelector): string | undefined {
  if (legs.some((l) => l.plan.id === sel)) return sel;
  const [reason, nth = '1'] = sel.split('#');
  const n = Number(nth);
  // Aliases: `desk` = the primary devices, `mobile` = whichever leg goes to the mobile number.
  const matching = legs.filter((l) =>
    reason === 'mobile'
      ? MOBILE_REASONS.has(l.plan.reason)
      : l.plan.reason === (reason === 'desk' ? 'primary' : reason),
  );
  return matching[n - 1]?.plan.id;
}

interface Pending {
  seq: number;
  ev: ScriptEvent;
  leg?: string;
  at?: number;
}

const TERMINAL = new Set(['diverted', 'ended']);

/** Safety net against a runaway loop; a call has a handful of events. */
const MAX_STEPS = 10_000;

export function runScenario(
  snapshot: ConfigSnapshot,
  request: CallRequest,
  script: readonly ScriptEvent[],
): Timeline {
  const first = startCall(snapshot, request);
  let state = first.state;
  const steps: Step[] = [{ at: 0, event: { type: 'offered', at: 0, request }, commands: first.commands }];
  const timers = new Map<TimerId, number>();
  const undelivered: { event: ScriptEvent; why: string }[] = [];
  const pending: Pending[] = [];
  script.forEach((ev, seq) => {
    if (ev.kind === 'callerHangup') {
      pending.push({ seq, ev, at: ev.at });
      return;
    }
    const leg = resolveLeg(state.legs, ev.leg);
    if (!leg) {
      undelivered.push({ event: ev, why: `no ${ev.leg} leg in the plan` });
      return;
    }
    pending.push({ seq, ev, leg, ...(ev.at !== undefined ? { at: ev.at } : {}) });
  });

  const apply = (at: number, commands: readonly Command[]): void => {
    for (const c of commands) {
      if (c.type === 'startTimer') timers.set(c.timer, c.at);
      else if (c.type === 'cancelTimer') timers.delete(c.timer);
      else if (c.type === 'placeLeg') {
        for (const p of pending) {
          if (p.leg === c.leg.id && p.ev.kind !== 'callerHangup' && p.ev.after !== undefined)
            p.at = at + p.ev.after;
        }
      }
    }
  };
  apply(0, first.commands);

  for (let i = 0; i < MAX_STEPS && !TERMINAL.has(state.phase); i++) {
    const due = pending.filter((p) => p.at !== undefined).sort((a, b) => a.at! - b.at! || a.seq - b.seq)[0];
    let timer: [TimerId, number] | undefined;
    for (const t of timers) if (!timer || t[1] < timer[1]) timer = t;
    if (!due && !timer) break;
    let event: MobilityEvent;
    // At the same instant a person's action comes before a timer (they made it in time).
    if (due && (!timer || due.at! <= timer[1])) {
      pending.splice(pending.indexOf(due), 1);
      const at = due.at!;
      const ev = due.ev;
      if (ev.kind === 'callerHangup') {
        event = { type: 'callerHangup', at };
      } else {
        const leg = state.legs.find((l) => l.plan.id === due.leg);
        if (!leg || leg.placedAt === undefined || at < leg.placedAt) {
          undelivered.push({ event: ev, why: `${ev.leg} was not placed by ${at} ms` });
          continue;
        }
        const id = leg.plan.id;
        event =
          ev.kind === 'answer'
            ? { type: 'legAnswered', at, leg: id }
            : ev.kind === 'fail'
              ? { type: 'legFailed', at, leg: id, status: ev.status }
              : ev.kind === 'legHangup'
                ? { type: 'legHungUp', at, leg: id }
                : { type: 'digit', at, leg: id, digit: ev.digit };
      }
    } else {
      const [id, at] = timer!;
      timers.delete(id);
      event = { type: 'timer', at, timer: id };
    }
    const next = decide(state, event, snapshot);
    state = next.state;
    steps.push({ at: event.at, event, commands: next.commands });
    apply(event.at, next.commands);
  }
  for (const p of pending) {
    undelivered.push({
      event: p.ev,
      why: p.at === undefined ? 'its leg was never placed' : 'the call was over',
    });
  }
  return { request, state, steps, legs: state.legs, outcome: state.outcome, notes: state.notes, undelivered };
}

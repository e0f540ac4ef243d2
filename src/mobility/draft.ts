/**
 * The two state tables of a call (its phase and each leg's status) and the one place
 * that moves them. `decide` works on a {@link Draft}: a private, mutable copy of the
 * immutable {@link CallState} that checks every move against the tables, records the
 * commands in order, and hands back a new frozen-by-convention state.
 */
import type {
  CallPhase,
  CallState,
  Command,
  Decision,
  FinalPath,
  LegPlan,
  LegState,
  LegStatus,
  Outcome,
  TimerId,
} from './types.js';

/** See the diagram on {@link CallPhase}. */
export const PHASE_MOVES: Readonly<Record<CallPhase, readonly CallPhase[]>> = {
  idle: ['alerting', 'diverted', 'ended'],
  alerting: ['connected', 'diverted', 'ended'],
  connected: ['ended'],
  diverted: [],
  ended: [],
};

/** See the diagram on {@link LegStatus}. */
export const LEG_MOVES: Readonly<Record<LegStatus, readonly LegStatus[]>> = {
  pending: ['alerting', 'skipped'],
  alerting: ['connected', 'confirming', 'guarded', 'failed', 'cancelled'],
  confirming: ['connected', 'unconfirmed', 'failed', 'cancelled', 'hungUp'],
  connected: ['ended'],
  guarded: [],
  unconfirmed: [],
  failed: [],
  cancelled: [],
  hungUp: [],
  skipped: [],
  ended: [],
};

/** Legs still able to answer. */
export const LIVE: ReadonlySet<LegStatus> = new Set(['pending', 'alerting', 'confirming']);

export class IllegalTransitionError extends Error {
  readonly code = 'MOBILITY_ILLEGAL_TRANSITION';
}

export class Draft {
  phase: CallPhase;
  readonly legs: LegState[];
  private readonly timers: TimerId[];
  readonly commands: Command[] = [];
  outcome: Outcome | undefined;
  readonly notes: string[];

  constructor(readonly base: CallState) {
    this.phase = base.phase;
    this.legs = base.legs.slice();
    this.timers = base.timers.slice();
    this.outcome = base.outcome;
    this.notes = base.notes.slice();
  }

  moveTo(to: CallPhase): void {
    if (!PHASE_MOVES[this.phase].includes(to)) {
      throw new IllegalTransitionError(`call cannot move from ${this.phase} to ${to}`);
    }
    this.phase = to;
  }

  leg(id: string): LegState | undefined {
    return this.legs.find((l) => l.plan.id === id);
  }

  setLeg(id: string, to: LegStatus, patch: Partial<Omit<LegState, 'plan' | 'status'>> = {}): void {
    const i = this.legs.findIndex((l) => l.plan.id === id);
    const cur = this.legs[i];
    if (!cur) throw new IllegalTransitionError(`no leg ${id}`);
    if (!LEG_MOVES[cur.status].includes(to)) {
      throw new IllegalTransitionError(`leg ${id} cannot move from ${cur.status} to ${to}`);
    }
    this.legs[i] = { ...cur, ...patch, status: to };
  }

  addLeg(plan: LegPlan): void {
    this.legs.push({ plan, status: 'pending' });
  }

  emit(c: Command): void {
    this.commands.push(c);
  }

  running(timer: TimerId): boolean {
    return this.timers.includes(timer);
  }

  startTimer(timer: TimerId, at: number): void {
    if (!this.timers.includes(timer)) this.timers.push(timer);
    this.emit({ type: 'startTimer', timer, at });
  }

  /** Emits cancelTimer only for a running timer. */
  cancelTimer(timer: TimerId): void {
    const i = this.timers.indexOf(timer);
    if (i < 0) return;
    this.timers.splice(i, 1);
    this.emit({ type: 'cancelTimer', timer });
  }

  /** A fired timer is no longer running; false when it was not (stale: cancelled or replaced). */
  consumeTimer(timer: TimerId): boolean {
    const i = this.timers.indexOf(timer);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** Takes a final path (no answer, busy, nothing to ring) for the caller. */
  takePath(path: FinalPath, at: number): void {
    this.cancelTimer('noAnswer');
    if (path.type === 'divertTo') {
      this.moveTo('diverted');
      this.outcome = { kind: 'diverted', target: path.target, reason: path.reason, at };
      this.emit({ type: 'divertTo', target: path.target, reason: path.reason });
    } else if (path.type === 'respond') {
      this.moveTo('ended');
      this.outcome = { kind: 'responded', code: path.code, reason: path.reason, at };
      this.emit({ type: 'respond', code: path.code, reason: path.reason });
    } else {
      this.moveTo('ended');
      this.outcome = { kind: 'cleared', reason: path.reason, at };
      this.emit({ type: 'clear', reason: path.reason });
    }
  }

  finish(patch: Partial<CallState> = {}): Decision {
    const state: CallState = {
      ...this.base,
      ...patch,
      phase: this.phase,
      legs: this.legs,
      timers: this.timers,
      notes: this.notes,
      ...(this.outcome ? { outcome: this.outcome } : {}),
    };
    return { state, commands: this.commands };
  }
}

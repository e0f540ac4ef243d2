/**
 * Ringing one user: runs the mobility policy core's plan for the call (src/mobility) and
 * executes its commands on real SIP branches. The core decides everything — which legs,
 * when, the answer guard, first answer wins, the no-answer and busy paths — and this
 * stage only places legs, starts timers and reports what happened back as events.
 *
 * One plan leg can be several SIP branches (a user with two registered phones); the
 * first branch of a leg to answer is the leg's answer, the others are cancelled.
 */
import type { ConfigSnapshot } from '../config/index.js';
import {
  ANSWERED_ELSEWHERE_REASON,
  type CallRequest,
  type CallState,
  type Command,
  type Decision,
  decide,
  type LegPlan,
  type MobilityEvent,
  startCall,
  type TimerId,
} from '../mobility/index.js';
import type { SipResponse } from '../sip/message.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { OutboundEvents, OutboundLeg } from './outbound-leg.js';
import type { Stage, StageOwner } from './stage.js';

/** Starts the SIP branches for a plan leg (one per device, one trunk call, …), or says why not. */
export type BranchFactory = (plan: LegPlan, events: OutboundEvents) => OutboundLeg[] | { failed: number };

/** RFC 3261 §16.7 step 6, simplified: which final failure best explains a group of branches. */
export function bestFailure(statuses: readonly number[]): number {
  if (statuses.length === 0) return 480;
  const sixxx = statuses.find((s) => s >= 600);
  if (sixxx) return sixxx;
  // Busy means more to a caller than "not found" or "unavailable".
  if (statuses.includes(486)) return 486;
  return [...statuses].sort((a, b) => a - b).find((s) => s >= 400 && s !== 408 && s !== 503) ?? statuses[0]!;
}

class LegGroup {
  readonly branches: OutboundLeg[] = [];
  readonly failures: number[] = [];
  answered: OutboundLeg | undefined;
  constructor(readonly plan: LegPlan) {}
}

export class UserStage implements Stage {
  private state: CallState | undefined;
  private readonly groups = new Map<string, LegGroup>();
  private readonly timers = new Map<TimerId, TimerHandle>();
  private readonly startedAt: number;
  private finished = false;
  /** Epoch ms when the user was offered the call: leg times in the state count from here. */
  readonly offeredAt: number;
  /** Told after every decision (a leg placed, answered, ended), for the live view. */
  onChange: (() => void) | undefined;

  constructor(
    private readonly snapshot: ConfigSnapshot,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly branches: BranchFactory,
    private readonly owner: StageOwner,
  ) {
    this.startedAt = clock.now();
    this.offeredAt = clock.wallNow();
  }

  /** The mobility state (legs with their times and outcomes) for logs and CDRs. */
  get callState(): CallState | undefined {
    return this.state;
  }

  start(request: CallRequest): void {
    this.begin(startCall(this.snapshot, request));
  }

  /** Runs a plan the core made outside `startCall` (the mobile callback, a handover). */
  begin(decision: Decision): void {
    if (this.state) return;
    this.apply(decision);
  }

  callerHangup(): void {
    this.event({ type: 'callerHangup', at: this.elapsed() });
  }

  /** Stops timers and cancels every branch but a connected one (with `reason` as RFC 3326 Reason). */
  close(reason?: string): void {
    this.finished = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const g of this.groups.values()) {
      for (const b of g.branches) if (b !== g.answered || b.state !== 'connected') b.cancel(reason);
    }
  }

  /** The branch bridged to the caller after `connect`. */
  connectedBranch(legId: string): OutboundLeg | undefined {
    return this.groups.get(legId)?.answered;
  }

  private elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  private event(e: MobilityEvent): void {
    if (!this.state) return;
    this.apply(decide(this.state, e, this.snapshot));
  }

  private apply(decision: Decision): void {
    this.state = decision.state;
    for (const command of decision.commands) this.execute(command);
    this.onChange?.();
  }

  private execute(c: Command): void {
    switch (c.type) {
      case 'placeLeg':
        this.place(c.leg);
        return;
      case 'cancelLeg': {
        const g = this.groups.get(c.leg);
        if (!g) return;
        for (const b of g.branches) b.cancel(c.sipReason);
        return;
      }
      case 'startTimer': {
        this.timers.get(c.timer)?.cancel();
        const timer = c.timer;
        const at = c.at;
        this.timers.set(
          timer,
          this.clock.setTimer(Math.max(0, at - this.elapsed()), () => {
            this.timers.delete(timer);
            this.event({ type: 'timer', at, timer });
          }),
        );
        return;
      }
      case 'cancelTimer':
        this.timers.get(c.timer)?.cancel();
        this.timers.delete(c.timer);
        return;
      case 'confirmPrompt': {
        // CONF-1: the prompt and the keypress travel on the leg's anchored media.
        const branch = this.groups.get(c.leg)?.answered;
        const leg = c.leg;
        const ok =
          branch &&
          this.owner.confirm?.(branch, (digit) =>
            this.event({ type: 'digit', at: this.elapsed(), leg, digit }),
          );
        if (!ok) this.logger.warn({ leg }, 'keypress confirmation needs an anchored leg; it will time out');
        return;
      }
      case 'connect': {
        const branch = this.groups.get(c.leg)?.answered;
        if (branch) this.owner.connected(branch, c.leg);
        return;
      }
      case 'respond':
        this.finish(() => this.owner.respond(c.code, c.reason));
        return;
      case 'divertTo':
        this.finish(() => this.owner.divert(c.target, c.reason));
        return;
      case 'hangupCaller':
        this.owner.hangupCaller();
        return;
      case 'clear':
        this.finish(() => this.owner.cleared(c.reason));
        return;
    }
  }

  private finish(then: () => void): void {
    if (this.finished) return;
    this.close();
    then();
  }

  private place(plan: LegPlan): void {
    const group = new LegGroup(plan);
    this.groups.set(plan.id, group);
    const made = this.branches(plan, {
      onAnswered: (leg) => this.onAnswered(group, leg),
      onFailed: (leg, status) => this.onFailed(group, leg, status),
      onHungUp: (leg) => {
        if (group.answered === leg) this.event({ type: 'legHungUp', at: this.elapsed(), leg: plan.id });
      },
    });
    if ('failed' in made) {
      // Reported after the current decision's commands have run, as a network failure would be.
      const status = made.failed;
      queueMicrotask(() => this.event({ type: 'legFailed', at: this.elapsed(), leg: plan.id, status }));
      return;
    }
    group.branches.push(...made);
    for (const b of made) b.start();
  }

  private onAnswered(group: LegGroup, leg: OutboundLeg): void {
    if (group.answered) {
      // A second phone of the same user answered too: it lost.
      leg.hangUp(ANSWERED_ELSEWHERE_REASON);
      return;
    }
    group.answered = leg;
    for (const b of group.branches) if (b !== leg) b.cancel(ANSWERED_ELSEWHERE_REASON);
    this.event({ type: 'legAnswered', at: this.elapsed(), leg: group.plan.id });
  }

  private onFailed(group: LegGroup, _leg: OutboundLeg, status: number): void {
    group.failures.push(status);
    if (group.answered) return;
    if (group.failures.length < group.branches.length) return;
    this.event({
      type: 'legFailed',
      at: this.elapsed(),
      leg: group.plan.id,
      status: bestFailure(group.failures),
    });
  }
}

export type { SipResponse };

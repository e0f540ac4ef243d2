/**
 * Ringing a hunt group (pbx.md): its members, each through their own mobility plan for a
 * hunt-group call (MT-7: twinned only when huntGroupCallsEligible), in the group's ring
 * mode. A member that is busy, on DND or logged out answers "not presented" at once and
 * the hunt moves on; when every member has had its turn the group's own no-answer path
 * (overflow groups, then voicemail, then 480) is the owner's to take.
 *
 *  collective      all members at once, for the group's No Answer Time
 *  sequential      one after another, from the first member, each for the No Answer Time
 *  rotary          like sequential, starting after the member the last call started with
 *  longestWaiting  like sequential, the member idle longest first
 */
import type { HuntGroup, User } from '../config/index.js';
import { ANSWERED_ELSEWHERE_REASON, type CallInfo } from '../mobility/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { OutboundLeg } from './outbound-leg.js';
import type { Stage, StageOwner } from './stage.js';
import type { UserStage } from './user-stage.js';

export interface HuntServices {
  clock: Clock;
  /** A stage for one member that reports to `owner`; not started yet. */
  memberStage(owner: StageOwner): UserStage;
  /** Starts ringing `user` on `stage` with a hunt-group call. */
  startMember(stage: UserStage, user: User, call: CallInfo): void;
  /** Epoch ms when the member's last call ended (longest waiting), 0 when never. */
  idleSince(extension: string): number;
  /** Rotary: the member after which the next call starts; remembered per group. */
  rotaryCursor: Map<string, number>;
}

export class HuntStage implements Stage {
  private readonly running = new Set<UserStage>();
  private queue: User[] = [];
  private done = false;
  private failures: number[] = [];
  private overflowTimer: TimerHandle | undefined;
  /** The overflow groups' members have been alerted (so they are not rung again after). */
  overflowStarted = false;

  constructor(
    private readonly group: HuntGroup,
    private readonly members: readonly User[],
    private readonly call: CallInfo,
    private readonly services: HuntServices,
    private readonly owner: StageOwner,
  ) {}

  /**
   * Overflow groups whose members also alert after `afterMs` while this group's members
   * keep alerting (the schema's `overflow.time`); each member alerts under its own group.
   */
  overflowAfter(afterMs: number, groups: readonly { group: HuntGroup; members: readonly User[] }[]): void {
    this.overflowTimer = this.services.clock.setTimer(afterMs, () => {
      this.overflowTimer = undefined;
      if (this.done) return;
      this.overflowStarted = true;
      for (const { group, members } of groups) for (const m of members) this.ring(m, group);
    });
  }

  start(): void {
    const order = this.order();
    if (order.length === 0) {
      this.finish(480);
      return;
    }
    if (this.group.ringMode === 'collective') {
      for (const m of order) this.ring(m);
      return;
    }
    this.queue = order;
    this.next();
  }

  callerHangup(): void {
    for (const s of this.running) s.callerHangup();
    this.close();
  }

  close(reason?: string): void {
    this.done = true;
    this.overflowTimer?.cancel();
    for (const s of this.running) s.close(reason);
    this.running.clear();
  }

  private order(): User[] {
    const members = [...this.members];
    switch (this.group.ringMode) {
      case 'rotary': {
        const start = (this.services.rotaryCursor.get(this.group.name) ?? -1) + 1;
        const k = members.length === 0 ? 0 : start % members.length;
        this.services.rotaryCursor.set(this.group.name, k);
        return [...members.slice(k), ...members.slice(0, k)];
      }
      case 'longestWaiting':
        return members.sort(
          (a, b) => this.services.idleSince(a.extension) - this.services.idleSince(b.extension),
        );
      default:
        return members;
    }
  }

  private next(): void {
    const member = this.queue.shift();
    if (!member) {
      if (this.running.size === 0) this.finish(this.failures.every((f) => f === 486) ? 486 : 480);
      return;
    }
    this.ring(member);
  }

  private ring(member: User, group: HuntGroup = this.group): void {
    let stage: UserStage | undefined;
    const memberOwner: StageOwner = {
      connected: (branch: OutboundLeg, legId: string) => {
        if (this.done) {
          branch.hangUp(ANSWERED_ELSEWHERE_REASON);
          return;
        }
        // MT-3: the other members' phones show the call as answered elsewhere.
        for (const s of this.running) if (s !== stage) s.close(ANSWERED_ELSEWHERE_REASON);
        this.running.clear();
        this.done = true;
        this.owner.connected(branch, legId);
      },
      // A member's own forwards and voicemail do not take a group call (pbx.md hunt groups).
      divert: () => this.memberDone(stage, 480),
      respond: (code) => this.memberDone(stage, code),
      hangupCaller: () => this.owner.hangupCaller(),
      cleared: () => this.memberDone(stage, 480),
    };
    stage = this.services.memberStage(memberOwner);
    this.running.add(stage);
    // Started after it is known: a member who is busy answers "not presented" at once.
    this.services.startMember(stage, member, { ...this.call, kind: 'huntGroup', huntGroup: group.name });
  }

  private memberDone(stage: UserStage | undefined, code: number): void {
    if (this.done || !stage || !this.running.delete(stage)) return;
    this.failures.push(code);
    if (this.group.ringMode === 'collective' || this.queue.length === 0) {
      // Done once nobody is left ringing: own members, and overflow members already alerted.
      // With nobody left, waiting for the overflow time serves no one: fail now, and the
      // owner moves on to the overflow groups at once.
      if (this.running.size === 0) this.finish(this.failures.every((f) => f === 486) ? 486 : 480);
      return;
    }
    this.next();
  }

  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    this.overflowTimer?.cancel();
    this.owner.respond(code, '');
  }
}

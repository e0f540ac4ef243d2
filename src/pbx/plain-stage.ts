/**
 * Ringing a target with no mobility plan: a number on a trunk, the voicemail server, an
 * external forward destination. Every branch starts at once; the first 2xx wins and the
 * others are cancelled as answered elsewhere (MT-3 / RFC 3326); when all fail, the best
 * failure goes back (RFC 3261 §16.7). An optional no-answer time ends the stage with 480.
 */
import { ANSWERED_ELSEWHERE_REASON } from '../mobility/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { OutboundEvents, OutboundLeg } from './outbound-leg.js';
import type { Stage, StageOwner } from './stage.js';
import { bestFailure } from './user-stage.js';

export class PlainStage implements Stage {
  private readonly branches: OutboundLeg[] = [];
  private readonly failures: number[] = [];
  private winner: OutboundLeg | undefined;
  private timer: TimerHandle | undefined;
  private done = false;

  constructor(
    private readonly clock: Clock,
    private readonly owner: StageOwner,
    private readonly noAnswerMs?: number,
  ) {}

  /** Events to give each branch created for this stage. */
  readonly events: OutboundEvents = {
    onAnswered: (leg) => {
      if (this.winner || this.done) {
        leg.hangUp(ANSWERED_ELSEWHERE_REASON);
        return;
      }
      this.winner = leg;
      this.timer?.cancel();
      for (const b of this.branches) if (b !== leg) b.cancel(ANSWERED_ELSEWHERE_REASON);
      this.owner.connected(leg, leg.id);
    },
    onFailed: (_leg, status) => {
      this.failures.push(status);
      if (this.winner || this.done || this.failures.length < this.branches.length) return;
      this.end(() => {
        const code = bestFailure(this.failures);
        this.owner.respond(code, '');
      });
    },
    onHungUp: (leg) => {
      if (leg === this.winner) this.owner.hangupCaller();
    },
  };

  start(branches: OutboundLeg[]): void {
    this.branches.push(...branches);
    if (this.noAnswerMs !== undefined) {
      this.timer = this.clock.setTimer(this.noAnswerMs, () => this.end(() => this.owner.respond(480, '')));
    }
    for (const b of branches) b.start();
  }

  callerHangup(): void {
    // An abandon: no "completed elsewhere" Reason, so phones log a missed call.
    this.end(() => {});
  }

  close(): void {
    this.done = true;
    this.timer?.cancel();
    for (const b of this.branches) if (b !== this.winner) b.cancel();
  }

  private end(then: () => void): void {
    if (this.done) return;
    this.close();
    then();
  }
}

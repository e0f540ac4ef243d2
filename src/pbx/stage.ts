/**
 * A call is routed in stages: ring a user (with their mobility plan), ring a plain target
 * (a trunk number, the voicemail server), ring a hunt group. A stage ends by connecting a
 * branch, diverting the call to a new target, answering the caller with a failure, or
 * clearing a call that has no caller.
 */
import type { DivertReason, DivertTarget } from '../mobility/index.js';
import type { OutboundLeg } from './outbound-leg.js';

export interface StageOwner {
  connected(branch: OutboundLeg, legId: string): void;
  divert(target: DivertTarget, reason: DivertReason): void;
  respond(code: number, reason: string): void;
  hangupCaller(): void;
  cleared(reason: string): void;
  /**
   * CONF-1: plays the prompt to the answered `branch` and reports its DTMF digits;
   * false when the branch has no anchored media.
   */
  confirm?(branch: OutboundLeg, onDigit: (digit: string) => void): boolean;
}

export interface Stage {
  /** The caller hung up (before the answer: an abandon). */
  callerHangup(): void;
  /** Stops timers and cancels every branch not connected (with `reason` as RFC 3326 Reason). Idempotent. */
  close(reason?: string): void;
}

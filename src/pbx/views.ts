/**
 * What the call engine shows of itself: live calls with their legs (SEE-2, the alerting
 * timeline) and the record of each finished call (SEE-1). The admin API serves these.
 */
import type { LegReason, LegStatus } from '../mobility/types.js';

export type CallViewPhase = 'routing' | 'connected' | 'transferring' | 'ended';

/** One leg of a call as the live view and the timeline draw it (SEE-2). */
export interface CallLegView {
  /** Stable within the call: L1, L2, … */
  id: string;
  /** Why the leg alerts (primary, mobileTwin, internalTwin, teams, fallback, coverage, …). */
  reason: LegReason | 'direct' | 'voicemail' | 'trunk' | 'pickup' | 'handoverReturn';
  /** Who or what it rings: an extension, a dial string or a Teams URI, as text. */
  target: string;
  status: LegStatus;
  /** Epoch milliseconds; absent while the leg waits for its start delay. */
  placedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** Why it ended: answeredElsewhere, answerGuard, noAnswer, busy, cancelled, a SIP status… */
  endReason?: string;
  /** The spec rule that put the leg in the plan (e.g. MT-1), for the timeline. */
  rule?: string;
  /** AG-1: the answer-guard window in ms from placedAt (0 = none), for the timeline. */
  answerGuardMs?: number;
}

export interface CallView {
  /** The caller's Call-ID; stable for the call's life. */
  id: string;
  phase: CallViewPhase;
  /** The calling party as presented. */
  from: string;
  /** The number dialled. */
  to: string;
  /** The user whose call it is ('' before routing decides). */
  user: string;
  /** Epoch milliseconds the call was offered. */
  startedAt: number;
  answeredAt?: number;
  legs: CallLegView[];
}

/** What the live-calls stream sends; `at` is epoch milliseconds. */
export type CallEvent =
  | { type: 'callStarted'; at: number; call: CallView }
  | { type: 'callUpdated'; at: number; call: CallView }
  | { type: 'callEnded'; at: number; call: CallView };

/** The calls in progress, and a feed of their changes. */
export interface CallsView {
  active(): CallView[];
  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: (event: CallEvent) => void): () => void;
}

/** SEE-1: a leg of a finished call. */
export interface CdrLeg {
  id: string;
  reason: CallLegView['reason'];
  target: string;
  placedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** answered, answeredElsewhere, answerGuard, noAnswer, busy, cancelled, failed 486, … */
  endReason?: string;
}

/** SEE-1: the record of a finished call with each of its legs. */
export interface Cdr {
  id: string;
  from: string;
  to: string;
  /** The user the call was for ('' if it was never routed to a user). */
  user: string;
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
  /** The leg that was connected, if any. */
  answeredBy?: string;
  /** completed, abandoned, failed 486, … */
  outcome: string;
  legs: CdrLeg[];
}

export interface CdrFilter {
  /** Epoch milliseconds: records of calls that started at or after this. */
  since?: number;
  /** Records of calls for this user (extension) or from/to them. */
  user?: string;
  /** Most records returned, newest first. */
  limit?: number;
}

export interface CdrView {
  query(filter: CdrFilter): Cdr[];
}

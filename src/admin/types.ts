/**
 * What the admin API is given by the composition root, and the two views the call
 * engine implements for it: live calls ({@link CallsView}) and call records
 * ({@link CdrView}, SEE-1).
 */
import type { Registry } from 'prom-client';
import type { ConfigSnapshot } from '../config/index.js';
import type { CallPhase, LegReason, LegStatus } from '../mobility/types.js';
import type { ThrottleOptions } from '../registrar/throttle.js';
import type { LiveConfig } from '../store/live-config.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

// ───────────────────────────── registrations ─────────────────────────────

/** One live registration binding, as the registrations resource lists it. */
export interface RegistrationView {
  /** The user's extension. */
  aor: string;
  contact: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  source: { protocol: string; address: string; port: number };
  userAgent?: string;
  /** The last qualify probes answered (FB-3). */
  reachable: boolean;
}

// ───────────────────────────── live calls ─────────────────────────────

/** One leg of a call as the live view and the timeline draw it (SEE-2). */
export interface CallLegView {
  /** Stable within the call: L1, L2, … */
  id: string;
  /** Why the leg alerts (primary, mobileTwin, internalTwin, teams, fallback, coverage, …). */
  reason: LegReason;
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
}

/** A call in progress. */
export interface CallView {
  /** The call's id (the caller's Call-ID or an engine id); stable for the call's life. */
  id: string;
  phase: CallPhase;
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
  /** Anything about the call changed (a leg placed, answered, ended; the call connected). */
  | { type: 'callUpdated'; at: number; call: CallView }
  /** The call is over; its record follows in the {@link CdrView}. */
  | { type: 'callEnded'; at: number; call: CallView };

/** Implemented by the call engine: the calls in progress, and a feed of their changes. */
export interface CallsView {
  /** A consistent copy of every call in progress. */
  active(): CallView[];
  /**
   * Calls `listener` for every change from now on, in order. Returns the unsubscribe
   * function. A listener that throws must not disturb the engine or other listeners.
   */
  subscribe(listener: (event: CallEvent) => void): () => void;
}

// ───────────────────────────── call records ─────────────────────────────

/** SEE-1: a leg of a finished call. */
export interface CdrLeg {
  id: string;
  reason: LegReason;
  target: string;
  placedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** answered, answeredElsewhere, answerGuard, noAnswer, busy, cancelled, failed:<status>, … */
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
  /** connected, diverted, responded (with the status), abandoned, cleared. */
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

/** Implemented by the call engine (or its CDR store): finished calls, newest first. */
export interface CdrView {
  query(filter: CdrFilter): Cdr[];
}

// ───────────────────────────── the context ─────────────────────────────

export interface AdminContext {
  config: LiveConfig<ConfigSnapshot>;
  store: Store;
  registrations(): RegistrationView[];
  clock: Clock;
  logger: Logger;
  /** The process's metrics; the SIP side registers its own counters here, the API adds its own. */
  metrics: Registry;
  /** Ready to serve: the SIP transports are listening. Absent = ready once the store reads. */
  ready?(): boolean;
  calls?: CallsView;
  cdrs?: CdrView;
}

export interface AdminOptions {
  /** How long a browser session lasts from sign-in (default 8 hours). */
  sessionTtlMs?: number;
  /** Mark cookies Secure (set behind HTTPS; default false, the API listens on plain HTTP). */
  secureCookies?: boolean;
  /** Serve /metrics without authentication (for a scraper on a trusted network; default false). */
  publicMetrics?: boolean;
  /** Take the client address from X-Forwarded-For (behind a reverse proxy; default false). */
  trustProxy?: boolean;
  /** Sign-in back-off, per source address and per account (default: the registrar's). */
  loginThrottle?: Partial<ThrottleOptions>;
  /** Interval of the keep-alive comment on event streams (default 15 s). */
  heartbeatMs?: number;
  /** Largest accepted request body (default 1 MiB). */
  bodyLimit?: number;
}

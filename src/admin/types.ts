/**
 * What the admin API is given by the composition root, and the two views the call
 * engine implements for it: live calls ({@link CallsView}) and call records
 * ({@link CdrView}, SEE-1).
 */
import type { Registry } from 'prom-client';
import type { ConfigSnapshot } from '../config/index.js';
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

// ───────────────────────────── live calls and call records ─────────────────────────────

// The call engine defines what it shows of itself (src/pbx/views.ts); the API serves it as is.
export type {
  CallEvent,
  CallLegView,
  CallsView,
  CallView,
  Cdr,
  CdrFilter,
  CdrLeg,
  CdrView,
} from '../pbx/views.js';

import type { CallsView, CdrView } from '../pbx/views.js';

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

/**
 * Back-off for failed authentication: after a few free failures a key (a source address,
 * a user name) is locked out for a period that doubles with each further failure, up to
 * a cap. A success clears the key. Memory is bounded: idle keys are forgotten.
 */
import type { Clock } from '../util/clock.js';

export interface ThrottleOptions {
  /** Failures allowed before the first lock-out (default 5). */
  freeFailures: number;
  /** First lock-out, doubled per further failure (default 2 s). */
  baseLockMs: number;
  /** Longest lock-out (default 5 minutes). */
  maxLockMs: number;
  /** A key with no failure for this long is forgotten (default 15 minutes). */
  forgetAfterMs: number;
  /** Most keys remembered at once (default 100,000); the oldest go first. */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseLockMs: 2_000,
  maxLockMs: 300_000,
  forgetAfterMs: 900_000,
  maxKeys: 100_000,
};

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export interface Throttle {
  /** Milliseconds the key must still wait, 0 when it may try. */
  retryAfterMs(key: string): number;
  failed(key: string): void;
  succeeded(key: string): void;
  readonly size: number;
}

export function createThrottle(clock: Clock, options: Partial<ThrottleOptions> = {}): Throttle {
  const opts = { ...DEFAULT_THROTTLE, ...options };
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const e = entries.get(key);
    if (e && clock.now() - e.lastFailure > opts.forgetAfterMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  return {
    retryAfterMs(key) {
      const e = live(key);
      return e ? Math.max(0, e.lockedUntil - clock.now()) : 0;
    },
    failed(key) {
      const now = clock.now();
      const e = live(key) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
      e.failures++;
      e.lastFailure = now;
      const over = e.failures - opts.freeFailures;
      if (over > 0)
        e.lockedUntil = now + Math.min(opts.maxLockMs, opts.baseLockMs * 2 ** Math.min(over - 1, 30));
      // Re-insert so Map order stays oldest-failure-first for eviction.
      entries.delete(key);
      entries.set(key, e);
      if (entries.size > opts.maxKeys) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    succeeded(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

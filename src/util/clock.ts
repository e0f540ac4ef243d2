/**
 * The one clock every timer in twinline goes through.
 *
 * Production uses {@link systemClock}; tests use {@link VirtualClock} and step time, so a
 * 32-second transaction timeout or a 15-second no-answer timer takes microseconds of wall
 * time and never flakes. Nothing in the code base calls `setTimeout` directly.
 */

export interface TimerHandle {
  /** Stops the timer; calling it again, or after the timer fired, does nothing. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since an arbitrary, fixed origin; monotonic. */
  now(): number;
  /** Wall-clock time as epoch milliseconds (for time profiles, CDRs, logs). */
  wallNow(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The real clock: `performance.now()` for intervals, `Date.now()` for the wall. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    // A pending protocol timer must never keep the process alive on shutdown.
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock whose time moves only when a test says so. Timers fire in deadline order
 * (ties in the order they were set), each seeing `now()` equal to its own deadline;
 * timers set by a firing timer fire in the same `advance` if they fall inside it.
 */
export class VirtualClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly pending: PendingTimer[] = [];

  constructor(private readonly wallOrigin = Date.UTC(2026, 0, 5, 9, 0, 0)) {}

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.wallOrigin + this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers still waiting to fire. */
  get pendingCount(): number {
    return this.pending.filter((t) => !t.cancelled).length;
  }

  /** Deadline of the next live timer, or undefined when none is pending. */
  nextDeadline(): number | undefined {
    const next = this.takeNext(Number.POSITIVE_INFINITY, false);
    return next?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Moves time forward to the absolute instant `t`, firing every timer due on the way. */
  advanceTo(t: number): void {
    if (t < this.current) throw new RangeError(`virtual time cannot go back (${t} < ${this.current})`);
    for (;;) {
      const next = this.takeNext(t, true);
      if (!next) break;
      this.current = next.at;
      next.fn();
    }
    this.current = t;
  }

  /** Fires timers until none is left, or until `limitMs` of virtual time has passed. */
  runAll(limitMs = 3_600_000): void {
    const end = this.current + limitMs;
    for (;;) {
      const next = this.takeNext(end, true);
      if (!next) return;
      this.current = next.at;
      next.fn();
    }
  }

  private takeNext(limit: number, remove: boolean): PendingTimer | undefined {
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const t = this.pending[i]!;
      if (t.cancelled) continue;
      if (t.at > limit) continue;
      const b = best >= 0 ? this.pending[best]! : undefined;
      if (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
    }
    if (best < 0) {
      if (remove) this.compact();
      return undefined;
    }
    const found = this.pending[best]!;
    if (remove) this.pending.splice(best, 1);
    return found;
  }

  private compact(): void {
    for (let i = this.pending.length - 1; i >= 0; i--)
      if (this.pending[i]!.cancelled) this.pending.splice(i, 1);
  }
}

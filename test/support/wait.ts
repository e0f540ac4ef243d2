/**
 * Bounded waits for interop tests. Every wait has a deadline and an error that says what was
 * awaited; the preferred form waits on an event, so nothing sleeps and hopes.
 *
 *   await waitFor(() => peer.calls.length === 2, { timeoutMs: 2000, what: 'two calls', wakeOn: [peer, 'call'] });
 *   const msg = await waitForEvent(socket, 'message', { timeoutMs: 1000, what: 'first datagram' });
 *   await withTimeout(proc.exited, { timeoutMs: 5000, what: 'sipp to exit', detail: () => proc.lastLines() });
 */
import type { EventEmitter } from 'node:events';

/** Raised when a bounded wait runs out of time. `code` is stable; the message says what and how long. */
export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    detail?: string,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions {
  /** Hard bound; required on purpose. */
  timeoutMs: number;
  /** What is awaited, in words: it is the subject of the timeout message. */
  what: string;
  /** Extra context appended to the timeout message (e.g. a process's last output lines). */
  detail?: () => string;
  /** Aborts the wait early (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Something that can wake a predicate wait: an emitter and one or more of its event names. */
export type WakeSource = readonly [emitter: EventEmitter, ...events: string[]];

export interface PredicateWaitOptions extends WaitOptions {
  /**
   * Re-check the predicate when one of these events fires instead of polling. Without it the
   * predicate is polled every `intervalMs`, for state no event reports (a file, /proc).
   */
  wakeOn?: WakeSource | readonly WakeSource[];
  /** Poll period when nothing wakes the wait; default 20 ms. */
  intervalMs?: number;
}

/** A predicate's result: falsy means "not yet"; anything else resolves the wait with that value. */
export type Predicate<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/**
 * Resolves with the predicate's first truthy value, or rejects with WaitTimeoutError. A predicate
 * that throws rejects the wait with that error.
 */
export function waitFor<T>(predicate: Predicate<T>, options: PredicateWaitOptions): Promise<T> {
  const { timeoutMs, what, detail, signal, intervalMs = 20 } = options;
  const sources = normaliseWakeSources(options.wakeOn);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let checking = false;
    let recheck = false;
    const cleanups: Array<() => void> = [];
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      fn();
    };
    const check = async (): Promise<void> => {
      if (settled) return;
      if (checking) {
        recheck = true;
        return;
      }
      checking = true;
      try {
        do {
          recheck = false;
          const value = await predicate();
          if (value) {
            finish(() => resolve(value));
            return;
          }
        } while (recheck && !settled);
      } catch (err) {
        finish(() => reject(err));
      } finally {
        checking = false;
      }
    };
    const timer = setTimeout(
      () => finish(() => reject(new WaitTimeoutError(what, timeoutMs, detail?.()))),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
    if (sources.length > 0) {
      const onEvent = (): void => void check();
      for (const [emitter, ...events] of sources) {
        for (const ev of events) {
          emitter.on(ev, onEvent);
          cleanups.push(() => emitter.off(ev, onEvent));
        }
      }
    } else {
      const poll = setInterval(() => void check(), intervalMs);
      cleanups.push(() => clearInterval(poll));
    }
    attachAbort(signal, cleanups, (reason) => finish(() => reject(reason)));
    void check();
  });
}

export interface EventWaitOptions<A extends unknown[]> extends WaitOptions {
  /** Only an emission whose arguments pass this resolves the wait. */
  filter?: (...args: A) => boolean;
  /** Reject at once if the emitter emits one of these (e.g. 'error', 'exit'); default ['error']. */
  failOn?: readonly string[];
}

/** Resolves with the arguments of the first matching emission of `event`. */
export function waitForEvent<A extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  options: EventWaitOptions<A>,
): Promise<A> {
  const { timeoutMs, what, detail, signal, filter, failOn = ['error'] } = options;
  return new Promise<A>((resolve, reject) => {
    let settled = false;
    const cleanups: Array<() => void> = [];
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      fn();
    };
    const onEvent = (...args: unknown[]): void => {
      try {
        if (filter && !filter(...(args as A))) return;
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      finish(() => resolve(args as A));
    };
    emitter.on(event, onEvent);
    cleanups.push(() => emitter.off(event, onEvent));
    for (const bad of failOn) {
      if (bad === event) continue;
      const onBad = (arg: unknown): void =>
        finish(() =>
          reject(
            arg instanceof Error
              ? new Error(`while waiting for ${what}: ${arg.message}`, { cause: arg })
              : new Error(`while waiting for ${what}: '${bad}' was emitted${detail ? `\n${detail()}` : ''}`),
          ),
        );
      emitter.on(bad, onBad);
      cleanups.push(() => emitter.off(bad, onBad));
    }
    const timer = setTimeout(
      () => finish(() => reject(new WaitTimeoutError(what, timeoutMs, detail?.()))),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
    attachAbort(signal, cleanups, (reason) => finish(() => reject(reason)));
  });
}

/** Bounds any promise. The promise itself is not cancelled; only the wait gives up. */
export function withTimeout<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
  const { timeoutMs, what, detail, signal } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cleanups: Array<() => void> = [];
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new WaitTimeoutError(what, timeoutMs, detail?.()))),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
    attachAbort(signal, cleanups, (reason) => finish(() => reject(reason)));
    promise.then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
  });
}

/**
 * A deliberate pause that is part of what a test exercises (e.g. "hold the call 300 ms"), not a
 * wait for something to happen; for that use waitFor/waitForEvent.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    const timer = setTimeout(() => {
      for (const c of cleanups) c();
      resolve();
    }, ms);
    cleanups.push(() => clearTimeout(timer));
    attachAbort(signal, cleanups, (reason) => {
      for (const c of cleanups) c();
      reject(reason);
    });
  });
}

function normaliseWakeSources(wakeOn: PredicateWaitOptions['wakeOn']): readonly WakeSource[] {
  if (!wakeOn || wakeOn.length === 0) return [];
  const first = wakeOn[0];
  return Array.isArray(first) ? (wakeOn as readonly WakeSource[]) : [wakeOn as WakeSource];
}

function attachAbort(
  signal: AbortSignal | undefined,
  cleanups: Array<() => void>,
  onAbort: (reason: unknown) => void,
): void {
  if (!signal) return;
  if (signal.aborted) {
    queueMicrotask(() => onAbort(signal.reason));
    return;
  }
  const listener = (): void => onAbort(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  cleanups.push(() => signal.removeEventListener('abort', listener));
}

/**
 * RFC 3261 §17 timer values (Table 4 of Appendix A) and a small named-timer set that
 * turns each expiry into an event for the owning state machine (STYLE 5: timers are
 * events, every timer goes through the injected clock).
 */
import type { Clock, TimerHandle } from '../../util/clock.js';

export interface TimerConfig {
  /** RTT estimate; RFC 3261 §17.1.1.1 default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  t2: number;
  /** Maximum time a message stays in the network; default 5 s. */
  t4: number;
  /** Timer D for unreliable transports; RFC 3261 §17.1.1.2: at least 32 s. */
  timerD: number;
}

export const DEFAULT_TIMER_CONFIG: Readonly<TimerConfig> = Object.freeze({
  t1: 500,
  t2: 4000,
  t4: 5000,
  timerD: 32_000,
});

export function resolveTimerConfig(partial?: Partial<TimerConfig>): TimerConfig {
  return { ...DEFAULT_TIMER_CONFIG, ...partial };
}

/**
 * RFC 3261 Appendix A (Table 4), plus Timer L of RFC 6026 §8.4. Values that the RFC sets
 * to zero on reliable transports take `reliable` into account; A, E and G are the
 * *initial* intervals (their timers are not started at all on reliable transports).
 */
export function timerDuration(name: TimerName, c: TimerConfig, reliable: boolean): number {
  switch (name) {
    case 'A':
    case 'E':
    case 'G':
      return c.t1;
    case 'B':
    case 'F':
    case 'H':
    case 'L':
      return 64 * c.t1;
    case 'D':
      return reliable ? 0 : c.timerD;
    case 'I':
    case 'K':
      return reliable ? 0 : c.t4;
    case 'J':
      return reliable ? 0 : 64 * c.t1;
  }
}

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L';

/** Named one-shot timers; starting a running name restarts it. */
export class TimerSet<N extends string> {
  private readonly running = new Map<N, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: (name: N) => void,
  ) {}

  start(name: N, ms: number): void {
    this.stop(name);
    const handle = this.clock.setTimer(ms, () => {
      this.running.delete(name);
      this.fire(name);
    });
    this.running.set(name, handle);
  }

  stop(name: N): void {
    this.running.get(name)?.cancel();
    this.running.delete(name);
  }

  stopAll(): void {
    for (const handle of this.running.values()) handle.cancel();
    this.running.clear();
  }

  isRunning(name: N): boolean {
    return this.running.has(name);
  }
}

/**
 * OPTIONS qualify of registered contacts (FB-3): every interval each contact gets an
 * OPTIONS; after `failureThreshold` unanswered probes in a row the contact is unreachable,
 * and one answer makes it reachable again. A user's extension is reachable while any
 * live contact is; Fallback Twinning (FB-1) reads exactly that.
 *
 *   registered ──probe ok──▶ reachable ──N failures──▶ unreachable ──probe ok──▶ reachable
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Binding } from './bindings.js';

export interface QualifyOptions {
  clock: Clock;
  /** Milliseconds between probes of one contact (default 30 s). */
  intervalMs: number;
  /** Unanswered probes in a row that make a contact unreachable (default 2). */
  failureThreshold: number;
  /** Sends one OPTIONS to the contact; resolves true when any final response came back. */
  probe(binding: Binding): Promise<boolean>;
  /** Told when a user's reachability changes. */
  onReachability?(aor: string, reachable: boolean): void;
}

type ContactState = 'reachable' | 'unreachable';

interface Tracked {
  binding: Binding;
  state: ContactState;
  failures: number;
  timer?: TimerHandle;
  generation: number;
}

export interface Qualifier {
  /** Starts (or refreshes) probing a contact; a fresh registration counts as reachable. */
  track(binding: Binding): void;
  untrack(aor: string, contact: string): void;
  /** True while any tracked contact of the user is reachable. */
  isReachable(aor: string): boolean;
  contactState(aor: string, contact: string): ContactState | undefined;
  stop(): void;
}

export function createQualifier(options: QualifyOptions): Qualifier {
  const contacts = new Map<string, Map<string, Tracked>>();
  const userReachable = (aor: string) =>
    [...(contacts.get(aor)?.values() ?? [])].some((t) => t.state === 'reachable');

  const withChange = (aor: string, change: () => void) => {
    const before = userReachable(aor);
    change();
    const after = userReachable(aor);
    if (before !== after) options.onReachability?.(aor, after);
  };

  const schedule = (t: Tracked) => {
    t.timer?.cancel();
    const generation = t.generation;
    t.timer = options.clock.setTimer(options.intervalMs, () => {
      options.probe(t.binding).then(
        (ok) => settle(t, generation, ok),
        () => settle(t, generation, false),
      );
    });
  };

  const settle = (t: Tracked, generation: number, ok: boolean) => {
    // A probe that outlived its contact (unregistered or re-registered) changes nothing.
    if (t.generation !== generation || contacts.get(t.binding.aor)?.get(t.binding.contact) !== t) return;
    withChange(t.binding.aor, () => {
      if (ok) {
        t.failures = 0;
        t.state = 'reachable';
      } else {
        t.failures++;
        if (t.failures >= options.failureThreshold) t.state = 'unreachable';
      }
    });
    schedule(t);
  };

  return {
    track(binding) {
      let m = contacts.get(binding.aor);
      if (!m) {
        m = new Map();
        contacts.set(binding.aor, m);
      }
      const old = m.get(binding.contact);
      if (old) {
        old.timer?.cancel();
        old.generation++;
      }
      const t: Tracked = { binding, state: 'reachable', failures: 0, generation: (old?.generation ?? 0) + 1 };
      withChange(binding.aor, () => m.set(binding.contact, t));
      schedule(t);
    },
    untrack(aor, contact) {
      const m = contacts.get(aor);
      const t = m?.get(contact);
      if (!m || !t) return;
      t.timer?.cancel();
      t.generation++;
      withChange(aor, () => {
        m.delete(contact);
        if (m.size === 0) contacts.delete(aor);
      });
    },
    isReachable: userReachable,
    contactState: (aor, contact) => contacts.get(aor)?.get(contact)?.state,
    stop() {
      for (const m of contacts.values()) for (const t of m.values()) t.timer?.cancel();
      contacts.clear();
    },
  };
}

/**
 * The Mobile Call Control digit collector.
 *
 * It watches a leg's key presses for the trigger (`**` within 1 s, MCC-1); then it collects the
 * number the user dials, ended by the terminator `#`, an inter-digit timeout or a maximum length.
 * Timing runs on the injected clock only.
 *
 *   watching ──trigger──▶ collecting ──# / timeout / max digits──▶ done ──reset()──▶ watching
 *      ▲                    ▲  (startCollecting() skips the trigger: MCC-3, MCB-2)        │
 *      └────────────────────┴───────────────────────────── reset() ─────────────────────┘
 *   any state ──close()──▶ closed
 */
import { type Clock, systemClock, type TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { DtmfDigit, DtmfEvent } from './dtmf.js';

export type CollectorState = 'watching' | 'collecting' | 'done' | 'closed';

export type CollectEndReason = 'terminator' | 'timeout' | 'max-digits';

export interface CollectResult {
  /** The digits dialled after the trigger, terminator excluded. */
  digits: string;
  reason: CollectEndReason;
}

export interface DigitCollectorOptions {
  clock?: Clock;
  /** MCC-1: the key sequence that gives dial tone; default `**`. */
  trigger?: string;
  /** MCC-1: the whole trigger must be keyed within this many ms (first press to last); default 1000. */
  triggerWindowMs?: number;
  /** (decision) Time allowed between dialled digits; default 5000 ms. */
  interDigitTimeoutMs?: number;
  /** (decision) Time allowed for the first digit after the trigger (dial tone playing); default 10000 ms. */
  firstDigitTimeoutMs?: number;
  /** Ends the number at once; '' for none. Default `#`. */
  terminator?: DtmfDigit | '';
  /** Ends the number when this many digits are dialled; default 32 (the longest number a user may store). */
  maxDigits?: number;
  onTrigger?: () => void;
  onDigit?: (digit: DtmfDigit, soFar: string) => void;
  onComplete?: (result: CollectResult) => void;
  logger?: Logger;
}

export interface DigitCollector {
  readonly state: CollectorState;
  /** The digits collected so far. */
  readonly digits: string;
  /** Feeds one key press; `at` defaults to the event's start, else to `clock.now()`. */
  push(key: DtmfDigit | DtmfEvent, at?: number): void;
  /** Starts collecting without the trigger (dial tone given by other means). */
  startCollecting(): void;
  /** Back to watching for the trigger; a collection in progress is dropped. */
  reset(): void;
  close(): void;
}

const ALLOWED: Readonly<Record<CollectorState, readonly CollectorState[]>> = {
  watching: ['collecting', 'watching', 'closed'],
  collecting: ['done', 'watching', 'collecting', 'closed'],
  done: ['watching', 'collecting', 'closed'],
  closed: [],
};

export function createDigitCollector(options: DigitCollectorOptions = {}): DigitCollector {
  const clock = options.clock ?? systemClock;
  const trigger = options.trigger ?? '**';
  const triggerWindowMs = options.triggerWindowMs ?? 1000;
  const interDigitMs = options.interDigitTimeoutMs ?? 5000;
  const firstDigitMs = options.firstDigitTimeoutMs ?? 10_000;
  const terminator = options.terminator ?? '#';
  const maxDigits = options.maxDigits ?? 32;
  const log = options.logger;

  let state: CollectorState = 'watching';
  let recent: { digit: DtmfDigit; at: number }[] = [];
  let digits = '';
  let timer: TimerHandle | undefined;

  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log?.error({ err }, 'digit collector listener failed');
    }
  };

  const startTimer = (ms: number): void => {
    timer?.cancel();
    timer = clock.setTimer(ms, () => {
      timer = undefined;
      if (state === 'collecting') complete('timeout');
    });
  };

  const transition = (to: CollectorState): void => {
    if (!ALLOWED[state].includes(to)) throw new Error(`digit collector: illegal move ${state} → ${to}`);
    state = to;
    timer?.cancel();
    timer = undefined;
    recent = [];
    if (to === 'collecting') {
      digits = '';
      startTimer(firstDigitMs);
    } else if (to === 'watching') digits = '';
  };

  const complete = (reason: CollectEndReason): void => {
    const result = { digits, reason };
    transition('done');
    safely(() => options.onComplete?.(result));
  };

  return {
    get state() {
      return state;
    },
    get digits() {
      return digits;
    },
    push(key, at) {
      const digit = typeof key === 'string' ? key : key.digit;
      const when = at ?? (typeof key === 'string' ? clock.now() : key.start);
      if (state === 'watching') {
        recent.push({ digit, at: when });
        if (recent.length > trigger.length) recent.shift();
        const keyed = recent.map((r) => r.digit).join('');
        // MCC-1: the trigger counts only when keyed within the window, first press to last.
        if (keyed === trigger && when - recent[0]!.at <= triggerWindowMs) {
          transition('collecting');
          safely(() => options.onTrigger?.());
        }
        return;
      }
      if (state !== 'collecting') return;
      if (terminator && digit === terminator) {
        complete('terminator');
        return;
      }
      digits += digit;
      safely(() => options.onDigit?.(digit, digits));
      if (digits.length >= maxDigits) complete('max-digits');
      else startTimer(interDigitMs);
    },
    startCollecting() {
      if (state === 'closed') return;
      transition('collecting');
    },
    reset() {
      if (state === 'closed') return;
      transition('watching');
    },
    close() {
      if (state === 'closed') return;
      transition('closed');
    },
  };
}

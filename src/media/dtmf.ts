/**
 * DTMF as RFC 4733 telephone-events (and SIP INFO bodies) → one {@link DtmfEvent} per key press.
 *
 * The detector follows one event at a time per stream. An event is identified by its SSRC,
 * RTP timestamp and event code; it ends on the E bit, on the start of another event, or after
 * `endTimeoutMs` without a packet (lost end packets). Every ended event is remembered for a while
 * so the redundant end packets, duplicates and late continuation packets are not reported twice.
 *
 *   idle ──packet of a new event──▶ active ──E bit / new event / timeout──▶ idle (digit reported)
 *                                     │ ▲
 *                                     └─┘ continuation (same timestamp, growing duration)
 */
import { type Clock, systemClock, type TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { type RtpPacket, seqNewer, timestampNewer } from './rtp.js';

export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

/**
 * How an event was known to end. `info` is a SIP INFO body, which carries a whole key press
 * at once.
 */
export type DtmfEndReason = 'E-bit' | 'new-event' | 'timeout' | 'info';

export interface DtmfEvent {
  digit: DtmfDigit;
  /** Clock time (ms, the injected clock's `now()`) the key press started, estimated when its start was lost. */
  start: number;
  durationMs: number;
  endedBy: DtmfEndReason;
  /** RFC 4733 §2.3.4 volume: the power level as a positive number of dB below 0 dBm0 (0–63); undefined for INFO. */
  volume?: number;
}

/** RFC 4733 §3.2: event codes 0–9, then * (10), # (11), A–D (12–15). */
const DIGITS: readonly DtmfDigit[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
];

export function digitOfEvent(code: number): DtmfDigit | undefined {
  return DIGITS[code];
}

export function eventOfDigit(digit: DtmfDigit): number {
  return DIGITS.indexOf(digit);
}

export function isDtmfDigit(s: string): s is DtmfDigit {
  return (DIGITS as readonly string[]).includes(s);
}

/** The fields of one telephone-event block (RFC 4733 §2.3). */
export interface TelephoneEventPayload {
  /** §2.3.1: event code. */
  event: number;
  /** §2.3.2: E bit, the final packet(s) of the event. */
  end: boolean;
  /** §2.3.4: volume, 0–63 (dB below 0 dBm0). */
  volume: number;
  /** §2.3.5: duration in timestamp units since the event's timestamp. */
  duration: number;
}

/** Parses the first 4-byte telephone-event block; undefined when the payload is too short. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventPayload | undefined {
  if (payload.length < 4) return undefined;
  const b1 = payload[1]!;
  return {
    event: payload[0]!,
    end: (b1 & 0x80) !== 0,
    // RFC 4733 §2.3.3: the R bit is reserved, ignored by receivers.
    volume: b1 & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

export function serializeTelephoneEvent(p: TelephoneEventPayload): Buffer {
  const b = Buffer.alloc(4);
  b[0] = p.event & 0xff;
  b[1] = (p.end ? 0x80 : 0) | (p.volume & 0x3f);
  b.writeUInt16BE(p.duration & 0xffff, 2);
  return b;
}

export interface DtmfDetectorOptions {
  /** Called once per key press, when its end is known. Errors thrown here are contained. */
  onDigit: (event: DtmfEvent) => void;
  /** Called when a key press is first seen (before its end): the engine may stop a tone at once. */
  onStart?: (digit: DtmfDigit, at: number) => void;
  clock?: Clock;
  /** Only packets of this payload type are telephone-events; undefined = every packet handed in is one. */
  payloadType?: number;
  /** The telephone-event clock rate (RFC 4733 §2.1, 8000 unless the SDP says otherwise). */
  clockRate?: number;
  /**
   * (decision) An event with no packet for this long ends with `timeout`: senders repeat
   * continuation packets every 50 ms or so, so half a second of silence means the end was lost.
   */
  endTimeoutMs?: number;
  logger?: Logger;
}

export interface DtmfDetector {
  /** Feeds one RTP packet (any payload type; others are ignored when `payloadType` is set). */
  handle(packet: RtpPacket): void;
  /** The digit of the event in progress, if any. */
  readonly active: DtmfDigit | undefined;
  /** Stops the timeout timer; an event in progress is dropped without being reported. */
  close(): void;
}

interface EventState {
  ssrc: number;
  timestamp: number;
  code: number;
  start: number;
  /** Duration reached by earlier segments of a long event (RFC 4733 §2.5.1.3), in timestamp units. */
  base: number;
  duration: number;
  volume: number;
  lastSeq: number;
  lastAt: number;
}

const REMEMBERED = 16;

export function createDtmfDetector(options: DtmfDetectorOptions): DtmfDetector {
  const clock = options.clock ?? systemClock;
  const unitsPerMs = (options.clockRate ?? 8000) / 1000;
  const endTimeoutMs = options.endTimeoutMs ?? 500;
  const log = options.logger;
  let active: EventState | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;
  const ended: EventState[] = [];

  const sameEvent = (e: EventState, p: RtpPacket, code: number) =>
    e.ssrc === p.ssrc && e.timestamp === p.timestamp && e.code === code;

  const finish = (reason: DtmfEndReason): void => {
    const e = active;
    if (!e) return;
    active = undefined;
    timer?.cancel();
    timer = undefined;
    ended.push(e);
    if (ended.length > REMEMBERED) ended.shift();
    const event: DtmfEvent = {
      digit: digitOfEvent(e.code)!,
      start: e.start,
      durationMs: (e.base + e.duration) / unitsPerMs,
      endedBy: reason,
      volume: e.volume,
    };
    try {
      options.onDigit(event);
    } catch (err) {
      log?.error({ err }, 'dtmf listener failed');
    }
  };

  const armTimeout = (): void => {
    if (timer || !active) return;
    const due = active.lastAt + endTimeoutMs - clock.now();
    timer = clock.setTimer(due, () => {
      timer = undefined;
      if (!active || closed) return;
      // One timer per event: re-arm for the remainder when packets kept arriving meanwhile.
      if (clock.now() - active.lastAt >= endTimeoutMs) finish('timeout');
      else armTimeout();
    });
  };

  const begin = (p: RtpPacket, te: TelephoneEventPayload, base = 0, start?: number): void => {
    const now = clock.now();
    active = {
      ssrc: p.ssrc,
      timestamp: p.timestamp,
      code: te.event,
      // A lost start packet: estimate the start from the duration the sender reports so far.
      start: start ?? now - te.duration / unitsPerMs,
      base,
      duration: te.duration,
      volume: te.volume,
      lastSeq: p.sequence,
      lastAt: now,
    };
    if (start === undefined && options.onStart) {
      try {
        options.onStart(digitOfEvent(te.event)!, active.start);
      } catch (err) {
        log?.error({ err }, 'dtmf listener failed');
      }
    }
    if (te.end) finish('E-bit');
    else armTimeout();
  };

  return {
    get active() {
      return active ? digitOfEvent(active.code) : undefined;
    },
    close() {
      closed = true;
      timer?.cancel();
      timer = undefined;
      active = undefined;
    },
    handle(p) {
      if (closed) return;
      if (options.payloadType !== undefined && p.payloadType !== options.payloadType) return;
      const te = parseTelephoneEvent(p.payload);
      // Events other than the 16 DTMF codes (flash, modem tones) are not key presses.
      if (!te || digitOfEvent(te.event) === undefined) return;

      if (active && sameEvent(active, p, te.event)) {
        // RFC 4733 §2.5.1.2: continuation packets repeat the timestamp with a growing duration.
        if (seqNewer(p.sequence, active.lastSeq)) active.lastSeq = p.sequence;
        active.duration = Math.max(active.duration, te.duration);
        active.volume = te.volume;
        active.lastAt = clock.now();
        // RFC 4733 §2.5.1.4: the first packet with the E bit ends the event; its repeats are absorbed below.
        if (te.end) finish('E-bit');
        return;
      }

      const done = ended.find((e) => sameEvent(e, p, te.event));
      if (done) {
        // A marked start packet newer than everything seen of the ended event is a sender reusing
        // the timestamp for a new press of the same key (seen with "**"); anything else is a redundant
        // end packet (RFC 4733 §2.5.1.4), a duplicate or a late continuation: already reported.
        const reuse = p.marker && !te.end && seqNewer(p.sequence, done.lastSeq);
        if (!reuse) {
          if (seqNewer(p.sequence, done.lastSeq)) done.lastSeq = p.sequence;
          return;
        }
      }

      if (active) {
        if (
          active.ssrc === p.ssrc &&
          active.code === te.event &&
          !p.marker &&
          p.timestamp === ((active.timestamp + active.duration) & 0xffffffff) >>> 0
        ) {
          // RFC 4733 §2.5.1.3: a long event continues in a new segment whose timestamp is the old one plus its duration.
          const carried = active;
          active = undefined;
          timer?.cancel();
          timer = undefined;
          begin(p, te, carried.base + carried.duration, carried.start);
          return;
        }
        if (active.ssrc === p.ssrc && timestampNewer(active.timestamp, p.timestamp)) {
          // Older than the event in progress: a late packet of an event we never saw start; its
          // digit would arrive out of order, so it is dropped.
          log?.debug({ timestamp: p.timestamp }, 'late telephone-event packet dropped');
          return;
        }
        // RFC 4733 §2.5.2.2: a packet with a new timestamp (or another event code) starts a new event.
        finish('new-event');
      }
      begin(p, te);
    },
  };
}

/**
 * Parses a SIP INFO DTMF body: `application/dtmf-relay` (`Signal=5\r\nDuration=160`, duration in
 * ms) or `application/dtmf` (the key alone, or its RFC 4733 event code). Undefined for anything
 * else. `now` is the clock time the INFO arrived. (decision) A missing Duration counts as 250 ms.
 */
export function parseDtmfInfo(contentType: string, body: string, now: number): DtmfEvent | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  let signal: string | undefined;
  let durationMs = 250;
  if (type === 'application/dtmf-relay') {
    for (const line of body.split(/\r?\n/)) {
      const m = /^\s*([A-Za-z-]+)\s*=\s*(\S+)\s*$/.exec(line);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      if (key === 'signal') signal = m[2];
      else if (key === 'duration') {
        const d = Number(m[2]);
        if (Number.isFinite(d) && d >= 0) durationMs = d;
      }
    }
  } else if (type === 'application/dtmf') {
    signal = body.trim();
  } else return undefined;
  if (signal === undefined) return undefined;
  let digit: DtmfDigit | undefined;
  const upper = signal.toUpperCase();
  if (isDtmfDigit(upper)) digit = upper;
  else if (/^\d{2}$/.test(signal)) digit = digitOfEvent(Number(signal));
  if (!digit) return undefined;
  return { digit, start: now, durationMs, endedBy: 'info' };
}

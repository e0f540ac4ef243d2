/**
 * Call detail records (SEE-1): every call with each of its legs — target, reason, when
 * placed, answered and ended, and why it ended. The engine writes one record per call
 * when it ends; a sink keeps them (memory for tests, the store in production).
 */
import type { CdrLeg } from './call.js';

export interface CdrMobilityLeg {
  id: string;
  reason: string;
  status: string;
  /** ms after the call was offered to the user. */
  placedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
}

export interface CdrRecord {
  callId: string;
  /** Epoch ms. */
  startedAt: number;
  caller: string;
  dialled: string;
  outcome: string;
  /** The SIP branches the call placed (epoch ms times). */
  legs: CdrLeg[];
  /** The mobility plan's legs for each user the call rang (times relative to the offer). */
  mobility: { user: string; legs: CdrMobilityLeg[] }[];
}

export interface CdrSink {
  record(cdr: CdrRecord): void;
  query(filter?: { since?: number; limit?: number; user?: string }): CdrRecord[];
}

/** Keeps the newest `capacity` records in memory. */
export function createMemoryCdrSink(capacity = 10_000): CdrSink {
  const records: CdrRecord[] = [];
  return {
    record(cdr) {
      records.push(cdr);
      if (records.length > capacity) records.splice(0, records.length - capacity);
    },
    query(filter = {}) {
      let out = records.filter(
        (r) =>
          (filter.since === undefined || r.startedAt >= filter.since) &&
          (filter.user === undefined ||
            r.caller === filter.user ||
            r.dialled === filter.user ||
            r.mobility.some((m) => m.user === filter.user)),
      );
      if (filter.limit !== undefined) out = out.slice(-filter.limit);
      return out;
    },
  };
}

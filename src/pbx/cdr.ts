/**
 * Call detail records (SEE-1): every call with each of its legs — target, reason, when
 * placed, answered and ended, and why it ended. The engine writes one record per call
 * when it ends; a sink keeps them (memory for tests, the store in production).
 */
import type { CallRecordStore } from '../store/types.js';
import type { Cdr, CdrFilter, CdrView } from './views.js';

export interface CdrSink extends CdrView {
  record(cdr: Cdr): void;
}

function matches(r: Cdr, filter: CdrFilter): boolean {
  if (filter.since !== undefined && r.startedAt < filter.since) return false;
  if (filter.user !== undefined && r.user !== filter.user && r.from !== filter.user && r.to !== filter.user)
    return false;
  return true;
}

/** Keeps the newest `capacity` records in memory. */
export function createMemoryCdrSink(capacity = 10_000): CdrSink {
  const records: Cdr[] = [];
  return {
    record(cdr) {
      records.push(cdr);
      if (records.length > capacity) records.splice(0, records.length - capacity);
    },
    query(filter) {
      const out = records.filter((r) => matches(r, filter)).reverse();
      return filter.limit === undefined ? out : out.slice(0, filter.limit);
    },
  };
}

/** Records kept in the store (SQLite by default), so they survive a restart. */
export function createStoreCdrSink(table: CallRecordStore): CdrSink {
  return {
    record(cdr) {
      table.append({
        callId: cdr.id,
        startedAt: cdr.startedAt,
        endedAt: cdr.endedAt,
        user: cdr.user,
        from: cdr.from,
        to: cdr.to,
        doc: cdr,
      });
    },
    query(filter) {
      return table.query(filter).map((r) => r.doc as Cdr);
    },
  };
}

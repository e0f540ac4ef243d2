/**
 * Call detail records (SEE-1): every call with each of its legs — target, reason, when
 * placed, answered and ended, and why it ended. The engine writes one record per call
 * when it ends; a sink keeps them (memory for tests, the store in production).
 */
import type { CallRecordRow, CallRecordStore } from '../store/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Cdr, CdrFilter, CdrView } from './views.js';

export interface CdrSink extends CdrView {
  record(cdr: Cdr): void;
  /** Writes every record still waiting, when the sink batches them. */
  flush?(): void;
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

export interface StoreCdrSinkOptions {
  /** Schedules the flush of the records written since the last one. */
  clock: Clock;
  /** Longest a record waits before its batch is written (default 100 ms). */
  flushEveryMs?: number;
  /** A batch this large is written at once, without waiting (default 500). */
  maxBatch?: number;
  /** Records kept for another try while the store refuses writes (default 50,000; the oldest go first). */
  maxPending?: number;
  /** A batch the store refused (kept and tried again on the next flush). */
  onError?(err: unknown, pending: number): void;
}

/**
 * Records kept in the store (SQLite by default), so they survive a restart. They are
 * written in batches, one transaction each, at most `flushEveryMs` after the call ended:
 * a commit per call cost more than the rest of the record's work on the event loop.
 * `flush()` writes what is waiting (the server calls it before closing the store, so a
 * graceful stop loses nothing); a query flushes first, so it always sees every record.
 */
export function createStoreCdrSink(table: CallRecordStore, options: StoreCdrSinkOptions): CdrSink {
  const flushEveryMs = options.flushEveryMs ?? 100;
  const maxBatch = options.maxBatch ?? 500;
  const maxPending = options.maxPending ?? 50_000;
  let pending: CallRecordRow[] = [];
  let timer: TimerHandle | undefined;

  const flush = () => {
    timer?.cancel();
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      table.appendMany(batch);
    } catch (err) {
      // Kept for the next flush; past the bound the oldest are given up.
      pending = batch.concat(pending);
      if (pending.length > maxPending) pending.splice(0, pending.length - maxPending);
      options.onError?.(err, pending.length);
      timer ??= options.clock.setTimer(flushEveryMs, flush);
    }
  };

  return {
    record(cdr) {
      pending.push({
        callId: cdr.id,
        startedAt: cdr.startedAt,
        endedAt: cdr.endedAt,
        user: cdr.user,
        from: cdr.from,
        to: cdr.to,
        doc: cdr,
      });
      if (pending.length >= maxBatch) flush();
      else timer ??= options.clock.setTimer(flushEveryMs, flush);
    },
    query(filter) {
      flush();
      return table.query(filter).map((r) => r.doc as Cdr);
    },
    flush,
  };
}

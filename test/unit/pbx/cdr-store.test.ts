import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createStoreCdrSink } from '../../../src/pbx/cdr.js';
import type { Cdr } from '../../../src/pbx/views.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import type { CallRecordStore } from '../../../src/store/types.js';
import { VirtualClock } from '../../../src/util/clock.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'twinline-cdr-'));
  dirs.push(d);
  return d;
}

function cdr(n: number): Cdr {
  return {
    id: `call-${n}`,
    from: '441632960001',
    to: '201',
    user: '201',
    startedAt: 1_000 + n,
    endedAt: 2_000 + n,
    outcome: 'completed',
    legs: [],
  };
}

/** The rows in the table itself, bypassing the sink (which would flush first). */
const rowsIn = (table: CallRecordStore) => table.query({ limit: 1_000 }).map((r) => r.callId);

describe('call records in the store', () => {
  it('are written together once the batch window has passed', () => {
    const clock = new VirtualClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock });
    const sink = createStoreCdrSink(store.calls, { clock, flushEveryMs: 100 });
    sink.record(cdr(1));
    sink.record(cdr(2));
    assert.deepEqual(rowsIn(store.calls), [], 'still waiting for the window');
    clock.advance(100);
    assert.deepEqual(rowsIn(store.calls), ['call-2', 'call-1']);
    store.close();
  });

  it('are written at once when the batch is full', () => {
    const clock = new VirtualClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock });
    const sink = createStoreCdrSink(store.calls, { clock, maxBatch: 3 });
    for (let n = 1; n <= 3; n++) sink.record(cdr(n));
    assert.equal(rowsIn(store.calls).length, 3);
    assert.equal(clock.pendingCount, 0, 'no flush left scheduled');
    store.close();
  });

  it('are all seen by a query, even those not yet written', () => {
    const clock = new VirtualClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock });
    const sink = createStoreCdrSink(store.calls, { clock });
    sink.record(cdr(1));
    assert.deepEqual(
      sink.query({}).map((r) => r.id),
      ['call-1'],
    );
    store.close();
  });

  it('survive a graceful stop: flush then close, and a new process reads every one', () => {
    const dataDir = tempDir();
    const clock = new VirtualClock();
    const store = openSqliteStore({ dataDir, clock });
    const sink = createStoreCdrSink(store.calls, { clock, flushEveryMs: 60_000 });
    for (let n = 1; n <= 250; n++) sink.record(cdr(n));
    sink.flush?.();
    store.close();
    const reopened = openSqliteStore({ dataDir, clock: new VirtualClock() });
    assert.equal(rowsIn(reopened.calls).length, 250);
    reopened.close();
  });

  it('are kept and written on the next flush when the store refuses a batch', () => {
    const clock = new VirtualClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock });
    let refuse = true;
    const errors: number[] = [];
    const table: CallRecordStore = {
      ...store.calls,
      appendMany(rows) {
        if (refuse) throw new Error('disk full');
        store.calls.appendMany(rows);
      },
    };
    const sink = createStoreCdrSink(table, { clock, flushEveryMs: 100, onError: (_e, n) => errors.push(n) });
    sink.record(cdr(1));
    clock.advance(100);
    assert.deepEqual(errors, [1]);
    refuse = false;
    sink.record(cdr(2));
    clock.advance(100);
    assert.deepEqual(rowsIn(store.calls), ['call-2', 'call-1']);
    store.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openLiveConfig, type Validated } from '../../../src/store/live-config.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import type { DirectoryDocument } from '../../../src/store/types.js';
import { VirtualClock } from '../../../src/util/clock.js';

interface Snap {
  revision: number;
  delay: number;
}

const doc = (delay: unknown): DirectoryDocument => ({
  system: {},
  users: [{ extension: '201', name: 'Alice', mobility: { mobileDialDelay: delay } }],
  huntGroups: [],
  timeProfiles: [],
  userRights: [],
  trunks: [],
  incomingRoutes: [],
  shortCodes: [],
});

// A stand-in validator with one rule, enough to exercise the all-or-nothing apply.
function validate(d: DirectoryDocument, revision: number): Validated<Snap> {
  const delay = (d.users[0]?.mobility as { mobileDialDelay: unknown } | undefined)?.mobileDialDelay;
  if (typeof delay !== 'number' || delay < 0 || delay > 99) {
    return {
      ok: false,
      errors: [
        {
          path: 'users.201.mobility.mobileDialDelay',
          value: delay,
          allowed: '0–99 seconds',
          message: 'out of range',
          code: 'RANGE',
        },
      ],
    };
  }
  return { ok: true, snapshot: Object.freeze({ revision, delay }), warnings: [] };
}

describe('live configuration (CFG-4)', () => {
  it('CFG-4 seeds an empty store once, then serves the stored directory', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    const live = openLiveConfig({ store: store.config, validate, seed: () => doc(2) });
    assert.deepEqual(live.current(), { revision: 1, delay: 2 });
    const again = openLiveConfig({ store: store.config, validate, seed: () => doc(7) });
    assert.equal(again.current().delay, 2, 'the seed is not applied over a stored directory');
  });

  it('CFG-4 swaps in a new snapshot on apply while a holder of the old one keeps it', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    const live = openLiveConfig({ store: store.config, validate, seed: () => doc(2) });
    const heldByCall = live.current();
    const seen: number[] = [];
    live.onChange((s) => seen.push(s.delay));
    const result = live.apply(doc(5), 'admin');
    assert.equal(result.ok, true);
    assert.equal(live.current().delay, 5);
    assert.equal(heldByCall.delay, 2);
    assert.deepEqual(seen, [5]);
    assert.equal(store.config.load()?.revision, 2);
  });

  it('CFG-1 rejects a bad change whole, naming the field, value and range, and stores nothing', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    const live = openLiveConfig({ store: store.config, validate, seed: () => doc(2) });
    const result = live.apply(doc(120), 'admin');
    assert.deepEqual(result, {
      ok: false,
      errors: [
        {
          path: 'users.201.mobility.mobileDialDelay',
          value: 120,
          allowed: '0–99 seconds',
          message: 'out of range',
          code: 'RANGE',
        },
      ],
    });
    assert.equal(live.current().delay, 2);
    assert.equal(store.config.revision(), 1);
    assert.equal(store.config.audit({ sinceRevision: 1 }).length, 0);
  });

  it('CFG-4 picks up a directory another process committed, and ignores one that does not validate', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    const live = openLiveConfig({ store: store.config, validate, seed: () => doc(2) });
    assert.equal(live.refresh(), undefined, 'nothing newer yet');
    store.config.commit(doc(9), { actor: 'import' });
    assert.deepEqual(live.refresh(), { revision: 2 });
    assert.equal(live.current().delay, 9);
    store.config.commit(doc(500), { actor: 'import' });
    const refused = live.refresh();
    assert.ok(refused && 'errors' in refused);
    assert.equal(live.current().delay, 9);
  });
});

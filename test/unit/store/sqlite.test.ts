import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import type { DirectoryDocument } from '../../../src/store/types.js';
import { VirtualClock } from '../../../src/util/clock.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'twinline-store-'));
  dirs.push(d);
  return d;
}

function directory(users: { extension: string; name: string }[]): DirectoryDocument {
  return {
    system: { timeZone: 'Europe/London' },
    users,
    huntGroups: [],
    timeProfiles: [],
    userRights: [],
    trunks: [{ name: 'carrier', kind: 'carrier', host: '127.0.0.1', port: 5070 }],
    incomingRoutes: [{ trunk: 'carrier', ddi: '441632960000', destination: '201' }],
    shortCodes: [],
  };
}

describe('SQLite store', () => {
  it('is empty until the first commit, then loads what was committed in order', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    assert.equal(store.config.load(), undefined);
    const doc = directory([
      { extension: '202', name: 'Bob' },
      { extension: '201', name: 'Alice' },
    ]);
    const result = store.config.commit(doc, { actor: 'test' });
    assert.equal(result.revision, 1);
    assert.deepEqual(store.config.load(), { directory: doc, revision: 1 });
    store.close();
  });

  it('writes a new revision with one audit entry per changed entity, and none when nothing changed', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    store.config.commit(directory([{ extension: '201', name: 'Alice' }]), { actor: 'import' });
    const r2 = store.config.commit(
      directory([
        { extension: '201', name: 'Alice Smith' },
        { extension: '203', name: 'Carol' },
      ]),
      { actor: 'admin' },
    );
    assert.equal(r2.revision, 2);
    assert.deepEqual(
      r2.changes.map((c) => [c.collection, c.key, c.action]),
      [
        ['users', '201', 'update'],
        ['users', '203', 'create'],
      ],
    );
    const same = store.config.commit(
      directory([
        { extension: '201', name: 'Alice Smith' },
        { extension: '203', name: 'Carol' },
      ]),
      { actor: 'admin' },
    );
    assert.equal(same.revision, 2);
    assert.equal(same.changes.length, 0);
    const r3 = store.config.commit(directory([{ extension: '203', name: 'Carol' }]), { actor: 'admin' });
    assert.deepEqual(
      r3.changes.map((c) => [c.key, c.action, c.before]),
      [['201', 'delete', { extension: '201', name: 'Alice Smith' }]],
    );
    const audit = store.config.audit({ sinceRevision: 1 });
    assert.deepEqual(
      audit.map((a) => [a.revision, a.actor, a.key, a.action]),
      [
        [2, 'admin', '201', 'update'],
        [2, 'admin', '203', 'create'],
        [3, 'admin', '201', 'delete'],
      ],
    );
    store.close();
  });

  it('stores nothing of a change that fails part way (one transaction)', () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    store.config.commit(directory([{ extension: '201', name: 'Alice' }]), { actor: 'import' });
    const broken = directory([
      { extension: '201', name: 'Changed' },
      { extension: '201', name: 'Duplicate' },
    ]);
    assert.throws(() => store.config.commit(broken, { actor: 'admin' }), /duplicate key "201"/);
    assert.deepEqual(store.config.load()?.directory.users, [{ extension: '201', name: 'Alice' }]);
    assert.equal(store.config.revision(), 1);
    store.close();
  });

  it('keeps config and registration bindings across a reopen of the file', () => {
    const dataDir = tempDir();
    const clock = new VirtualClock();
    const first = openSqliteStore({ dataDir, clock });
    first.config.commit(directory([{ extension: '201', name: 'Alice' }]), { actor: 'import' });
    const binding = {
      aor: '201',
      contact: 'sip:201@127.0.0.1:5062',
      expiresAt: 123_456,
      callId: 'abc',
      cseq: 7,
      source: { protocol: 'UDP' as const, address: '127.0.0.1', port: 5062 },
      userAgent: 'phone',
      updatedAt: 100,
    };
    first.bindings.put(binding);
    first.bindings.put({ ...binding, contact: 'sip:201@127.0.0.1:5064' });
    first.bindings.remove('201', 'sip:201@127.0.0.1:5064');
    first.close();
    const second = openSqliteStore({ dataDir, clock });
    assert.equal(second.config.load()?.directory.users[0]?.name, 'Alice');
    assert.deepEqual(second.bindings.list('201'), [binding]);
    second.close();
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Directory } from '../../../src/config/index.js';
import { actorName, openDirectoryConfig, parseActorName } from '../../../src/store/directory-config.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import type { DirectoryDocument } from '../../../src/store/types.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { createLogger, silentLogger } from '../../../src/util/log.js';
import { MONDAY_10, seedDirectory } from './helpers.js';

function open() {
  const clock = new VirtualClock(MONDAY_10);
  const store = openSqliteStore({ dataDir: ':memory:', clock });
  const config = openDirectoryConfig(store, { seed: () => seedDirectory(), logger: silentLogger, clock });
  return { clock, store, config };
}

const withUser = (
  d: DirectoryDocument,
  ext: string,
  fn: (u: Record<string, unknown>) => Record<string, unknown>,
) => ({
  ...d,
  users: d.users.map((u) => (u.extension === ext ? fn(structuredClone(u)) : u)),
});

describe('openDirectoryConfig', () => {
  it('actor names carry the actor kind', () => {
    assert.equal(actorName({ kind: 'user', extension: '201' }), 'user:201');
    assert.equal(actorName({ kind: 'admin', name: 'root' }), 'admin:root');
    assert.equal(actorName({ kind: 'system' }), 'system');
    assert.deepEqual(parseActorName('user:201'), { kind: 'user', extension: '201' });
    assert.deepEqual(parseActorName('admin:root'), { kind: 'admin' });
    assert.deepEqual(parseActorName('import'), { kind: 'admin' });
    assert.deepEqual(parseActorName('system'), { kind: 'system' });
  });

  it('seeds an empty store and serves a snapshot of the real model', () => {
    const { config, store } = open();
    assert.equal(config.current().usersByExtension.get('201')?.name, 'Alice');
    assert.equal(store.config.audit()[0]?.actor, 'first-start');
    store.close();
  });

  it('each problem is reported once though both the change rules and the snapshot see it', () => {
    const { config, store } = open();
    const next = withUser(config.document(), '201', (u) => ({
      ...u,
      mobility: { ...(u.mobility as object), mobileDialDelay: 100 },
    }));
    const r = config.apply(next, 'admin:root');
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.deepEqual(
        r.errors.map((e) => e.path),
        ['users[0].mobility.mobileDialDelay'],
      );
    store.close();
  });

  it('a twin destination picking a twin gets the read-only error naming its primary, not a second one', () => {
    const { config, store } = open();
    const next = withUser(config.document(), '203', (u) => ({
      ...u,
      licence: 'power-user',
      mobility: { ...(u.mobility as object), internalTwinning: true, twinnedHandset: '204' },
    }));
    const r = config.apply(next, 'admin:root');
    assert.equal(r.ok, false);
    if (!r.ok) {
      const at = r.errors.filter((e) => e.path === 'users[2].mobility.twinnedHandset').map((e) => e.code);
      assert.deepEqual(at, ['READ_ONLY_TWIN_DESTINATION']);
    }
    store.close();
  });

  it('UR-2 a user’s own change meets the template in force now', () => {
    const { config, store, clock } = open();
    const delay = (d: number) =>
      withUser(config.document(), '201', (u) => ({
        ...u,
        mobility: { ...(u.mobility as object), mobileDialDelay: d },
      }));
    const inHours = config.apply(delay(7), 'user:201');
    assert.equal(inHours.ok, false, 'locked by the working-hours template at 10:00 on a Monday');
    if (!inHours.ok) assert.equal(inHours.errors[0]?.code, 'LOCKED_BY_USER_RIGHTS');
    clock.advance(10 * 3_600_000); // 20:00: the out-of-hours template locks only dnd
    assert.equal(config.apply(delay(7), 'user:201').ok, true);
    assert.equal(
      config.apply(delay(8), 'admin:root').ok,
      true,
      'an administrator is not bound by user rights',
    );
    store.close();
  });

  it('the default seed is the demo directory, each password logged once', () => {
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _e, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const store = openSqliteStore({ dataDir: ':memory:', clock: new VirtualClock() });
    const config = openDirectoryConfig(store, { logger });
    const users = (config.current().directory as Directory).users;
    assert.ok(users.length > 0);
    for (const u of users) assert.equal(lines.filter((l) => l.includes(u.password)).length, 1);
    store.close();
  });
});

describe('admin store', () => {
  it('keeps accounts, tokens and sessions, and deleting an account takes its tokens and sessions', () => {
    const { store } = open();
    const a = store.admin;
    assert.equal(a.countAccounts(), 0);
    a.putAccount({ name: 'root', passwordHash: 'scrypt$x', createdAt: 1, updatedAt: 1 });
    a.putAccount({ name: 'ops', passwordHash: 'scrypt$y', createdAt: 2, updatedAt: 2 });
    a.putAccount({ name: 'ops', passwordHash: 'scrypt$z', createdAt: 9, updatedAt: 3 });
    assert.deepEqual(a.getAccount('ops'), {
      name: 'ops',
      passwordHash: 'scrypt$z',
      createdAt: 2,
      updatedAt: 3,
    });
    a.putToken({ id: 't1', account: 'ops', name: 'ci', digest: 'd1', createdAt: 5 });
    a.touchToken('t1', 6);
    assert.equal(a.findTokenByDigest('d1')?.lastUsedAt, 6);
    a.putSession({ digest: 's1', kind: 'admin', subject: 'ops', csrf: 'c', createdAt: 1, expiresAt: 100 });
    a.putSession({ digest: 's2', kind: 'user', subject: '201', csrf: 'c', createdAt: 1, expiresAt: 50 });
    assert.equal(a.deleteExpiredSessions(50), 1);
    assert.equal(a.getSession('s2'), undefined);
    assert.equal(a.deleteAccount('ops'), true);
    assert.equal(a.findTokenByDigest('d1'), undefined);
    assert.equal(a.getSession('s1'), undefined);
    assert.deepEqual(
      a.listAccounts().map((x) => x.name),
      ['root'],
    );
    store.close();
  });
});

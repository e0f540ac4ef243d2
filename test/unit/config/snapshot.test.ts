import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoDirectory } from '../../../src/config/demo.js';
import { effectiveUser } from '../../../src/config/effective.js';
import { ConfigValidationError } from '../../../src/config/errors.js';
import type { DirectoryInput, UserInput } from '../../../src/config/schema.js';
import { buildSnapshot, findRoute, resolveDestination, trySnapshot } from '../../../src/config/snapshot.js';
import { validateChange } from '../../../src/config/validate.js';
import { dir, user } from './helpers.js';

function bigDirectory(n: number): DirectoryInput {
  const users: UserInput[] = [];
  for (let k = 0; k < n; k++) {
    const ext = String(10_000 + k);
    const even = k % 2 === 0;
    users.push(
      user(ext, {
        name: `User ${ext}`,
        licence: 'mobile-worker',
        workingHoursTimeProfile: 'Office',
        workingHoursUserRights: 'Day',
        mobility: even
          ? { internalTwinning: true, twinnedHandset: String(10_000 + k + 1) }
          : {
              mobilityFeatures: true,
              mobileTwinning: true,
              twinnedMobileNumber: `9077009${String(k).padStart(5, '0')}`,
            },
        appearances: k > 0 ? { coverage: [String(10_000 + k - 1)] } : {},
      }),
    );
  }
  return dir({
    users,
    timeProfiles: [
      { name: 'Office', entries: [{ kind: 'weekly', days: ['mon'], start: '09:00', end: '17:00' }] },
    ],
    userRights: [{ name: 'Day', locked: { 'mobility.mobileDialDelay': 3 } }],
    huntGroups: [
      { name: 'All', extension: '300', members: users.slice(0, 500).map((u) => String(u.extension)) },
    ],
  });
}

describe('ConfigSnapshot', () => {
  const demo = demoDirectory(() => 'demo-password-123');

  it('CFG-4 a snapshot is deep-frozen: neither the directory nor its indexes can change', () => {
    const s = buildSnapshot(demo, 7);
    assert.equal(s.revision, 7);
    assert.ok(Object.isFrozen(s.directory.users[0]!.mobility));
    assert.throws(() => {
      (s.directory.users[0]!.mobility as { mobileDialDelay: number }).mobileDialDelay = 9;
    }, TypeError);
    assert.throws(() => (s.usersByExtension as Map<string, unknown>).set('999', {}), TypeError);
    assert.throws(() => (s.lineIds as Set<string>).add('x'), TypeError);
  });

  it('CFG-4 a frozen snapshot directory can be validated and changed (copies are made, nothing mutated)', () => {
    const s = buildSnapshot(demo, 1);
    assert.equal(validateChange(s.directory, s.directory, { kind: 'admin' }).ok, true);
    assert.equal(buildSnapshot(s.directory, 2).usersByExtension.size, s.usersByExtension.size);
  });

  it('CFG-4 indexes: users by extension and name, hunt groups, twins, trunks, routes', () => {
    const s = buildSnapshot(demo, 1);
    assert.equal(s.usersByExtension.get('201')?.name, 'Alice');
    assert.equal(s.usersByName.get('Bob')?.extension, '202');
    assert.equal(s.huntGroupsByName.get('Sales')?.extension, '300');
    assert.equal(s.huntGroupsByExtension.get('300')?.name, 'Sales');
    assert.equal(s.twinPrimaryByDestination.get('203'), '202');
    assert.equal(s.trunksByName.get('teams')?.kind, 'msTeams');
    assert.equal(s.teamsTrunk?.name, 'teams');
    assert.equal(s.outgoingTrunk?.name, 'carrier');
    assert.ok(s.lineIds.has('1'));
    assert.equal(s.shortCodesByCode.get('*08')?.feature, 'dndOn');
  });

  it('CFG-4 routes: exact DDI beats the catch-all; caller-ID routes beat plain ones', () => {
    const s = buildSnapshot(
      dir({
        trunks: [{ name: 'c', kind: 'carrier', host: 'h' }],
        users: [user('201'), user('202')],
        incomingRoutes: [
          { trunk: 'c', ddi: '100', destination: '201' },
          { trunk: 'c', ddi: '100', callerId: '447700900123', destination: 'fne31' },
          { trunk: 'c', ddi: '', destination: '202' },
        ],
      }),
      1,
    );
    assert.equal(findRoute(s, 'c', '100')?.destination, '201');
    assert.equal(findRoute(s, 'c', '100', '447700900123')?.destination, 'fne31');
    assert.equal(findRoute(s, 'c', '100', '441')?.destination, '201');
    assert.equal(findRoute(s, 'c', '555')?.destination, '202');
    assert.equal(findRoute(s, 'x', '100'), undefined);
    assert.deepEqual(resolveDestination(s, 'fne31'), { kind: 'feature', feature: 'fne31' });
    assert.equal(resolveDestination(s, '201')?.kind, 'user');
    assert.equal(resolveDestination(s, 'nope'), undefined);
  });

  it('CFG-1 building from an invalid directory throws with every error', () => {
    const bad = dir({ users: [user('201', { mobility: { mobileDialDelay: 100 } }), user('201')] });
    assert.throws(
      () => buildSnapshot(bad, 1),
      (e: unknown) =>
        e instanceof ConfigValidationError && e.errors.length === 1 && e.errors[0]!.code === 'OUT_OF_RANGE',
    );
    const r = trySnapshot(dir({ users: [user('201'), user('201')] }), 1);
    assert.equal(r.ok, false);
  });

  it('CFG-4 10,000 users build into a snapshot in well under a second (O(n) validation)', () => {
    const input = bigDirectory(10_000);
    buildSnapshot(bigDirectory(100), 0); // warm up
    const t0 = performance.now();
    const s = buildSnapshot(input, 1);
    const ms = performance.now() - t0;
    assert.equal(s.usersByExtension.size, 10_000);
    // Every even user twins to the next (odd) one.
    assert.equal(s.twinPrimaryByDestination.size, 5_000);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    const e = effectiveUser(s, '10001', Date.UTC(2026, 0, 5, 10));
    assert.equal(e?.settings.mobility.mobileDialDelay, 3);
  });
});

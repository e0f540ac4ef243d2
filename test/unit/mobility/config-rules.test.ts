/**
 * Time profiles (TP), user rights (UR) and licences (LIC) are implemented in src/config
 * (time-profile.ts, effective.ts, licence.ts); the policy core calls them. These rows
 * prove each rule where it matters: in the alerting plan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigSnapshot } from '../../../src/config/snapshot.js';
import { effectiveAt } from '../../../src/mobility/config.js';
import { alice, request, run, snap, user } from './fixtures.js';

const mobileRings = (s: ConfigSnapshot, now: number) =>
  run(s, request({ now })).legs.some((l) => l.plan.reason === 'mobileTwin');

const at = (iso: string) => Date.parse(iso);

function withProfile(entries: unknown[], extra: Record<string, unknown> = {}) {
  return snap({
    users: [alice({ mobility: { twinningTimeProfile: 'Twin' } })],
    timeProfiles: [{ name: 'Twin', entries, ...extra }],
  });
}

describe('time profiles (TP), through the plan', () => {
  it('TP-1 a profile is active when any of its entries matches', () => {
    const s = withProfile([
      { kind: 'weekly', days: ['mon'], start: '09:00', end: '10:00' },
      { kind: 'weekly', days: ['wed'], start: '09:00', end: '11:00' },
    ]);
    assert.equal(mobileRings(s, at('2026-03-04T10:30:00Z')), true);
    assert.equal(mobileRings(s, at('2026-03-04T11:30:00Z')), false);
  });

  it('TP-2 a weekly entry: weekdays, start and end; overnight is two entries', () => {
    const s = withProfile([
      { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '24:00' },
      { kind: 'weekly', days: ['tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '06:00' },
    ]);
    assert.equal(mobileRings(s, at('2026-03-04T23:00:00Z')), true);
    assert.equal(mobileRings(s, at('2026-03-05T05:59:00Z')), true);
    assert.equal(mobileRings(s, at('2026-03-05T06:00:00Z')), false);
  });

  it('TP-2 a calendar entry: a date range with start and end time', () => {
    const s = withProfile([
      { kind: 'calendar', date: '2026-03-04', endDate: '2026-03-06', start: '08:00', end: '12:00' },
    ]);
    assert.equal(mobileRings(s, at('2026-03-05T09:00:00Z')), true);
    assert.equal(mobileRings(s, at('2026-03-07T09:00:00Z')), false);
  });

  it('TP-3 no twinningTimeProfile: always active', () => {
    assert.equal(mobileRings(snap(), at('2026-03-08T03:00:00Z')), true);
  });

  for (const [name, override, expected] of [
    ['TP-4 latchInactive keeps the profile inactive inside its hours', 'latchInactive', false],
    ['TP-4 latchActive keeps the profile active outside its hours', 'latchActive', true],
  ] as const) {
    it(name, () => {
      const s = withProfile([{ kind: 'weekly', days: ['wed'], start: '09:00', end: '17:00' }], { override });
      const when = override === 'latchInactive' ? '2026-03-04T10:00:00Z' : '2026-03-04T20:00:00Z';
      assert.equal(mobileRings(s, at(when)), expected);
    });
  }

  it('TP-4 inactiveUntilNextActive ends at the next scheduled change', () => {
    const s = withProfile([{ kind: 'weekly', days: ['wed', 'thu'], start: '09:00', end: '17:00' }], {
      override: 'inactiveUntilNextActive',
      overrideSetAt: '2026-03-04T12:00:00Z',
    });
    assert.equal(mobileRings(s, at('2026-03-04T13:00:00Z')), false);
    assert.equal(mobileRings(s, at('2026-03-05T10:00:00Z')), true);
  });

  it('TP-5 times are evaluated in the system time zone, DST-correct', () => {
    // 09:00–17:00 London; 1 July is BST (UTC+1): 08:30Z is 09:30 local, 16:30Z is 17:30 local.
    const s = withProfile([{ kind: 'weekly', days: ['wed'], start: '09:00', end: '17:00' }]);
    assert.equal(mobileRings(s, at('2026-07-01T08:30:00Z')), true);
    assert.equal(mobileRings(s, at('2026-07-01T16:30:00Z')), false);
    const ny = snap({
      system: { timeZone: 'America/New_York' },
      users: [alice({ mobility: { twinningTimeProfile: 'Twin' } })],
      timeProfiles: [
        { name: 'Twin', entries: [{ kind: 'weekly', days: ['wed'], start: '09:00', end: '17:00' }] },
      ],
    });
    assert.equal(mobileRings(ny, at('2026-03-04T10:00:00Z')), false); // 05:00 in New York
  });
});

describe('user rights (UR), through the plan', () => {
  const rights = {
    userRights: [
      { name: 'NoMobile', locked: { 'mobility.mobileTwinning': false } },
      { name: 'Office', locked: {} },
    ],
    timeProfiles: [
      {
        name: 'Hours',
        entries: [
          { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
        ],
      },
    ],
  };

  it("UR-1 a locked value overrides the user's own", () => {
    const s = snap({ ...rights, users: [alice({ workingHoursUserRights: 'NoMobile' })] });
    assert.equal(mobileRings(s, at('2026-03-04T10:00:00Z')), false);
  });

  it('UR-2 inside the working-hours profile the working-hours rights apply, outside the out-of-hours ones', () => {
    const s = snap({
      ...rights,
      users: [
        alice({
          workingHoursTimeProfile: 'Hours',
          workingHoursUserRights: 'Office',
          outOfHoursUserRights: 'NoMobile',
        }),
      ],
    });
    assert.equal(mobileRings(s, at('2026-03-04T10:00:00Z')), true);
    assert.equal(mobileRings(s, at('2026-03-04T20:00:00Z')), false);
  });

  it('UR-2 no working-hours profile: working hours always', () => {
    const s = snap({
      ...rights,
      users: [alice({ workingHoursUserRights: 'Office', outOfHoursUserRights: 'NoMobile' })],
    });
    assert.equal(mobileRings(s, at('2026-03-08T03:00:00Z')), true);
  });

  it('UR-3 the effective values and the own values are both visible', () => {
    const s = snap({ ...rights, users: [alice({ workingHoursUserRights: 'NoMobile' })] });
    const e = effectiveAt(s, '201', at('2026-03-04T10:00:00Z'));
    assert.equal(e?.own.mobility.mobileTwinning, true);
    assert.equal(e?.settings.mobility.mobileTwinning, false);
  });
});

describe('licences (LIC), through the plan', () => {
  it('LIC-1 configurable levels carry the mobility entitlement', () => {
    assert.equal(mobileRings(snap(), at('2026-03-04T10:00:00Z')), true);
    const basicEntitled = snap({
      system: { mobilityLicenceLevels: ['basic'] },
      users: [alice({ licence: 'basic' })],
    });
    assert.equal(mobileRings(basicEntitled, at('2026-03-04T10:00:00Z')), true);
  });

  it('LIC-1 any level but unlicensed counts as licensed for internal twinning', () => {
    const s = snap({
      users: [
        user('202', { licence: 'basic', mobility: { internalTwinning: true, twinnedHandset: '212' } }),
        user('212', { licence: 'unlicensed' }),
      ],
    });
    const t = run(s, request({ user: '202' }));
    assert.ok(t.legs.some((l) => l.plan.reason === 'internalTwin'));
  });

  it('LIC-2 a licence removed at run time: the mobility features stop at once', () => {
    const s = snap({
      users: [alice({ mobility: { fallbackTwinning: true, twinWhenLoggedOut: true, msTeamsUri: '+402' } })],
    });
    // The stored settings keep mobilityFeatures on; only the licence level changed.
    const revoked = {
      ...s,
      usersByExtension: new Map([['201', { ...s.usersByExtension.get('201')!, licence: 'basic' as const }]]),
    };
    const now = at('2026-03-04T10:00:00Z');
    assert.equal(mobileRings(revoked, now), false);
    assert.equal(
      run(revoked, request({ presence: { devices: [] } })).legs.some((l) => l.plan.reason === 'fallback'),
      false,
    );
    assert.equal(run(revoked, request({ presence: { loggedIn: false } })).legs.length, 0);
    assert.ok(run(revoked, request()).notes.some((n) => n.startsWith('LIC-2')));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigIssue } from '../../../src/config/errors.js';
import type { Directory, User } from '../../../src/config/schema.js';
import { type Actor, type ValidationResult, validateChange } from '../../../src/config/validate.js';
import { dir, user, valid } from './helpers.js';

const admin: Actor = { kind: 'admin' };
const utc = (s: string) => Date.parse(`${s}Z`);

function base(): Directory {
  return valid(
    dir({
      system: { timeZone: 'Europe/London' },
      timeProfiles: [
        {
          name: 'Office',
          entries: [
            { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
          ],
        },
      ],
      userRights: [
        { name: 'Day', locked: { 'mobility.mobileDialDelay': 5 } },
        { name: 'Night', locked: { dnd: true } },
      ],
      trunks: [{ name: 'teams', kind: 'msTeams', host: '127.0.0.1' }],
      users: [
        user('201', { licence: 'unlicensed' }),
        user('202', {
          name: 'Bob',
          licence: 'power-user',
          mobility: { internalTwinning: true, twinnedHandset: '203' },
        }),
        user('203', { licence: 'basic' }),
        user('204', { licence: 'uc-user', mobility: { msTeamsUri: '+204' } }),
        user('205', {
          licence: 'mobile-worker',
          workingHoursTimeProfile: 'Office',
          workingHoursUserRights: 'Day',
          outOfHoursUserRights: 'Night',
        }),
      ],
    }),
  );
}

/** A copy of `d` with user `ext` changed by `fn`. */
function change(d: Directory, ext: string, fn: (u: User) => User): Directory {
  return { ...d, users: d.users.map((u) => (u.extension === ext ? fn(structuredClone(u)) : u)) };
}

function rejected(r: ValidationResult): ConfigIssue[] {
  if (r.ok) assert.fail('change was accepted');
  assert.equal('directory' in r, false);
  return r.errors;
}

describe('validateChange: read-only rules', () => {
  it('CFG-2 an unlicensed user’s Mobility fields are read-only', () => {
    const d = base();
    const after = change(d, '201', (u) => ({
      ...u,
      mobility: { ...u.mobility, mobileDialDelay: 5, twinBridgeAppearances: true },
    }));
    const errors = rejected(validateChange(d, after, admin));
    assert.deepEqual(
      errors.map((e) => [e.path, e.code]),
      [
        ['users[0].mobility.twinBridgeAppearances', 'READ_ONLY_UNLICENSED'],
        ['users[0].mobility.mobileDialDelay', 'READ_ONLY_UNLICENSED'],
      ],
    );
  });

  it('CFG-2 read-only applies to turning things off as well (unchangeable means unchangeable)', () => {
    const d = valid(
      dir({ users: [user('201', { licence: 'unlicensed', mobility: { mobileTwinning: true } })] }),
    );
    const after = change(d, '201', (u) => ({ ...u, mobility: { ...u.mobility, mobileTwinning: false } }));
    assert.equal(rejected(validateChange(d, after, admin))[0]?.code, 'READ_ONLY_UNLICENSED');
  });

  it('CFG-2 licensing a user and setting Mobility fields in one change is allowed', () => {
    const d = base();
    const after = change(d, '201', (u) => ({
      ...u,
      licence: 'mobile-worker',
      mobility: { ...u.mobility, mobilityFeatures: true, mobileTwinning: true },
    }));
    assert.equal(validateChange(d, after, admin).ok, true);
  });

  it('LIC-2 turning mobilityFeatures on without the entitlement is rejected', () => {
    const d = base();
    const after = change(d, '203', (u) => ({ ...u, mobility: { ...u.mobility, mobilityFeatures: true } }));
    assert.equal(rejected(validateChange(d, after, admin))[0]?.code, 'LICENCE_REQUIRED');
  });

  it('CFG-1 a twin destination’s twinnedHandset is read-only and the error names its primary', () => {
    const d = base();
    const after = change(d, '203', (u) => ({ ...u, mobility: { ...u.mobility, twinnedHandset: '204' } }));
    const errors = rejected(validateChange(d, after, admin));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'READ_ONLY_TWIN_DESTINATION');
    assert.equal(errors[0]!.path, 'users[2].mobility.twinnedHandset');
    assert.match(errors[0]!.message, /twinned handset of user 202 \(Bob\)/);
  });

  it('TEAMS msTeamsUri is read-only while autoPopulateMsTeamsData is on', () => {
    const d0 = base();
    const d = { ...d0, system: { ...d0.system, autoPopulateMsTeamsData: true } };
    const after = change(d, '204', (u) => ({ ...u, mobility: { ...u.mobility, msTeamsUri: '+999' } }));
    const errors = rejected(validateChange(d, after, admin));
    assert.equal(errors[0]?.code, 'READ_ONLY_TEAMS_AUTO');
    assert.match(errors[0]!.message, /autoPopulateMsTeamsData/);
    // twinline's own sync writes the auto-populated data.
    assert.equal(validateChange(d, after, { kind: 'system' }).ok, true);
    // With auto-populate off the administrator may edit it.
    assert.equal(
      validateChange(
        d0,
        change(d0, '204', (u) => ({ ...u, mobility: { ...u.mobility, msTeamsUri: '+999' } })),
        admin,
      ).ok,
      true,
    );
  });

  it('CFG-1 a rejected change lists every error and stores nothing', () => {
    const d = base();
    let after = change(d, '201', (u) => ({ ...u, mobility: { ...u.mobility, mobileCallback: true } }));
    after = change(after, '203', (u) => ({ ...u, mobility: { ...u.mobility, twinnedHandset: '205' } }));
    after = change(after, '204', (u) => ({ ...u, mobility: { ...u.mobility, mobileDialDelay: 150 } }));
    const codes = rejected(validateChange(d, after, admin)).map((e) => e.code);
    assert.deepEqual(codes.sort(), ['OUT_OF_RANGE', 'READ_ONLY_TWIN_DESTINATION', 'READ_ONLY_UNLICENSED']);
  });
});

describe('validateChange: user self-service (UR-1)', () => {
  const self: Actor = { kind: 'user', extension: '205' };
  const day = utc('2026-01-05T10:00:00');
  const night = utc('2026-01-05T20:00:00');

  it('UR-1 a user may change their own unlocked settings', () => {
    const d = base();
    const after = change(d, '205', (u) => ({
      ...u,
      dnd: true,
      mobility: { ...u.mobility, twinnedMobileNumber: '907700900123' },
    }));
    assert.equal(validateChange(d, after, self, day).ok, true);
  });

  it('UR-1 a user cannot change a setting locked by the template in force', () => {
    const d = base();
    const after = change(d, '205', (u) => ({ ...u, mobility: { ...u.mobility, mobileDialDelay: 9 } }));
    const e = rejected(validateChange(d, after, self, day))[0]!;
    assert.equal(e.code, 'LOCKED_BY_USER_RIGHTS');
    assert.equal(e.path, 'users[4].mobility.mobileDialDelay');
    assert.match(e.message, /user rights Day/);
    // Out of hours the Night template is in force and does not lock the dial delay.
    assert.equal(validateChange(d, after, self, night).ok, true);
  });

  it('UR-1 without an instant, a setting locked by either template counts as locked', () => {
    const d = base();
    const after = change(d, '205', (u) => ({ ...u, dnd: true }));
    assert.equal(rejected(validateChange(d, after, self))[0]?.code, 'LOCKED_BY_USER_RIGHTS');
    assert.equal(validateChange(d, after, self, day).ok, true);
  });

  it('UR-1 the administrator is not bound by locks', () => {
    const d = base();
    const after = change(d, '205', (u) => ({ ...u, mobility: { ...u.mobility, mobileDialDelay: 9 } }));
    assert.equal(validateChange(d, after, admin, day).ok, true);
  });

  it('UR-1 a user cannot change administrative fields, other users or other sections', () => {
    const d = base();
    assert.equal(
      rejected(
        validateChange(
          d,
          change(d, '205', (u) => ({ ...u, licence: 'uc-user' })),
          self,
          day,
        ),
      )[0]?.code,
      'NOT_PERMITTED',
    );
    assert.equal(
      rejected(
        validateChange(
          d,
          change(d, '204', (u) => ({ ...u, dnd: true })),
          self,
          day,
        ),
      )[0]?.code,
      'NOT_PERMITTED',
    );
    assert.equal(
      rejected(validateChange(d, { ...d, system: { ...d.system, defaultNoAnswerTime: 30 } }, self, day))[0]
        ?.code,
      'NOT_PERMITTED',
    );
  });
});

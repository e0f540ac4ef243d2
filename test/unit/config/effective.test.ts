import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveUser } from '../../../src/config/effective.js';
import { LOCKABLE_SETTINGS } from '../../../src/config/fields.js';
import { type Directory, MOBILITY_FIELDS, type UserInput } from '../../../src/config/schema.js';
import { buildSnapshot } from '../../../src/config/snapshot.js';
import { dir, rejects, user, valid } from './helpers.js';

const utc = (s: string) => Date.parse(`${s}Z`);

/** Dana (402) has office hours in London; Day rights by day, Night rights otherwise. */
function officeDirectory(extra: Partial<UserInput> = {}): Directory {
  return valid({
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
      { name: 'Day', locked: { 'mobility.mobileDialDelay': 5, dnd: false } },
      {
        name: 'Night',
        locked: { dnd: true, 'mobility.mobileTwinning': false, 'mobility.twinningTimeProfile': null },
      },
    ],
    users: [
      user('402', {
        name: 'Dana',
        licence: 'mobile-worker',
        workingHoursTimeProfile: 'Office',
        workingHoursUserRights: 'Day',
        outOfHoursUserRights: 'Night',
        dnd: false,
        mobility: {
          mobilityFeatures: true,
          mobileTwinning: true,
          twinnedMobileNumber: '907700900123',
          mobileDialDelay: 2,
          twinningTimeProfile: 'Office',
        },
        ...extra,
      }),
    ],
  });
}

describe('UR user rights and effective values', () => {
  it('UR-2 inside the working-hours profile the working-hours rights apply', () => {
    const e = effectiveUser(officeDirectory(), '402', utc('2026-01-05T10:00:00'))!;
    assert.equal(e.workingHours, true);
    assert.equal(e.userRights, 'Day');
    assert.equal(e.settings.mobility.mobileDialDelay, 5);
    assert.equal(e.settings.dnd, false);
    assert.equal(e.settings.mobility.mobileTwinning, true);
  });

  it('UR-2 outside the profile the out-of-hours rights apply', () => {
    const e = effectiveUser(officeDirectory(), '402', utc('2026-01-05T20:00:00'))!;
    assert.equal(e.workingHours, false);
    assert.equal(e.userRights, 'Night');
    assert.equal(e.settings.dnd, true);
    assert.equal(e.settings.mobility.mobileTwinning, false);
    assert.equal(e.settings.mobility.mobileDialDelay, 2);
  });

  it('UR-2 working hours follow local time across the spring DST change (Monday 2026-03-30)', () => {
    const d = officeDirectory();
    // 08:30Z is 09:30 BST: working hours, although it is before 09:00 UTC.
    assert.equal(effectiveUser(d, '402', utc('2026-03-30T08:30:00'))!.userRights, 'Day');
    assert.equal(effectiveUser(d, '402', utc('2026-03-27T08:30:00'))!.userRights, 'Night'); // 08:30 GMT Friday
  });

  it('UR-2 and across the autumn DST change (Monday 2026-10-26)', () => {
    const d = officeDirectory();
    assert.equal(effectiveUser(d, '402', utc('2026-10-23T15:30:00'))!.userRights, 'Day'); // 16:30 BST Friday
    assert.equal(effectiveUser(d, '402', utc('2026-10-23T16:30:00'))!.userRights, 'Night'); // 17:30 BST Friday
    assert.equal(effectiveUser(d, '402', utc('2026-10-26T08:30:00'))!.userRights, 'Night'); // 08:30 GMT
    assert.equal(effectiveUser(d, '402', utc('2026-10-26T16:30:00'))!.userRights, 'Day'); // 16:30 GMT
  });

  it('UR-2 no working-hours profile means working hours always', () => {
    const d = officeDirectory({ workingHoursTimeProfile: undefined });
    const e = effectiveUser(d, '402', utc('2026-01-10T03:00:00'))!;
    assert.equal(e.workingHours, true);
    assert.equal(e.userRights, 'Day');
  });

  it('UR-2 a time profile override moves the user between templates', () => {
    const d = officeDirectory();
    const latched: Directory = { ...d, timeProfiles: [{ ...d.timeProfiles[0]!, override: 'latchInactive' }] };
    assert.equal(effectiveUser(latched, '402', utc('2026-01-05T10:00:00'))!.userRights, 'Night');
  });

  it('UR-1 a locked value overrides the user’s own value and is reported as locked', () => {
    const e = effectiveUser(officeDirectory(), '402', utc('2026-01-05T20:00:00'))!;
    assert.deepEqual(e.lockedBy, {
      dnd: 'Night',
      'mobility.mobileTwinning': 'Night',
      'mobility.twinningTimeProfile': 'Night',
    });
    // null locks an optional setting to "unset": the twinning profile no longer gates.
    assert.equal(e.settings.mobility.twinningTimeProfile, undefined);
    assert.equal(e.twinningProfileActive, true);
  });

  it('UR-1 a template may lock every Mobility field (the PIN is a secret and not lockable) and the core settings', () => {
    for (const f of MOBILITY_FIELDS) {
      if (f === 'mobileFeaturePin') assert.equal(LOCKABLE_SETTINGS.has(`mobility.${f}`), false);
      else assert.ok(LOCKABLE_SETTINGS.has(`mobility.${f}`), f);
    }
    for (const p of [
      'dnd',
      'dndExceptions',
      'forwardUnconditional.enabled',
      'forwardUnconditional.destination',
      'forwardOnBusy.enabled',
      'forwardOnNoAnswer.destination',
      'forwardHuntGroupCalls',
      'followMe.destination',
      'callWaiting',
      'voicemail.enabled',
      'twinningMode',
      'noAnswerTime',
    ]) {
      assert.ok(LOCKABLE_SETTINGS.has(p), p);
    }
  });

  it('UR-1 locked values are validated like the field itself', () => {
    const e = rejects(
      dir({ userRights: [{ name: 'R', locked: { 'mobility.mobileDialDelay': 120 } }] }),
      'userRights[0].locked.mobility.mobileDialDelay',
      'OUT_OF_RANGE',
    );
    assert.equal(e.allowed, '0–99 seconds');
    rejects(
      dir({ userRights: [{ name: 'R', locked: { password: 'x' } }] }),
      'userRights[0].locked.password',
      'NOT_LOCKABLE',
    );
    rejects(
      dir({ userRights: [{ name: 'R', locked: { 'mobility.nope': true } }] }),
      'userRights[0].locked.mobility.nope',
      'NOT_LOCKABLE',
    );
    rejects(
      dir({ userRights: [{ name: 'R', locked: { 'mobility.twinnedHandset': '203' } }] }),
      'userRights[0].locked.mobility.twinnedHandset',
      'NOT_LOCKABLE',
    );
    rejects(
      dir({ userRights: [{ name: 'R', locked: { dnd: null } }] }),
      'userRights[0].locked.dnd',
      'INVALID_TYPE',
    );
    rejects(
      dir({ userRights: [{ name: 'R', locked: { 'mobility.twinningTimeProfile': 'Nope' } }] }),
      'userRights[0].locked.mobility.twinningTimeProfile',
      'UNKNOWN_TIME_PROFILE',
    );
    valid(
      dir({
        userRights: [
          { name: 'R', locked: { 'mobility.twinnedHandset': null, 'forwardUnconditional.enabled': false } },
        ],
      }),
    );
  });

  it('UR-3 the effective view shows the user’s own values beside the effective ones', () => {
    const e = effectiveUser(officeDirectory(), '402', utc('2026-01-05T20:00:00'))!;
    assert.equal(e.own.dnd, false);
    assert.equal(e.settings.dnd, true);
    assert.equal(e.own.mobility.mobileTwinning, true);
    assert.equal(e.settings.mobility.mobileTwinning, false);
  });

  it('UR-3 works the same from a snapshot as from a directory', () => {
    const d = officeDirectory();
    const at = utc('2026-01-05T20:00:00');
    assert.deepEqual(effectiveUser(buildSnapshot(d, 1), '402', at), effectiveUser(d, '402', at));
    assert.equal(effectiveUser(d, '999', at), undefined);
  });
});

describe('licence and system gating of effective values', () => {
  const at = utc('2026-01-05T10:00:00');

  it('CFG-2 an unlicensed user’s Mobility settings are all treated as off', () => {
    const d = valid(
      dir({
        trunks: [{ name: 't', kind: 'msTeams', host: 'h' }],
        users: [
          user('201', {
            licence: 'unlicensed',
            mobility: {
              twinBridgeAppearances: true,
              msTeamsUri: '+201',
              mobileTwinning: true,
              twinnedMobileNumber: '9123',
            },
          }),
        ],
      }),
    );
    const e = effectiveUser(d, '201', at)!;
    assert.equal(e.licensed, false);
    assert.equal(e.settings.mobility.twinBridgeAppearances, false);
    assert.equal(e.settings.mobility.msTeamsUri, '');
    assert.equal(e.settings.mobility.mobileTwinning, false);
    assert.equal(e.twinningMode, 'none');
    assert.equal(e.own.mobility.msTeamsUri, '+201');
  });

  it('LIC-2 when the licence is removed the mobility features stop applying at once', () => {
    const d = valid(
      dir({
        users: [
          user('201', {
            licence: 'mobile-worker',
            mobility: { mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '9123' },
          }),
        ],
      }),
    );
    assert.equal(effectiveUser(d, '201', at)!.twinningMode, 'mobile');
    // A directory as it stands the moment the licence goes (before anyone edits the user).
    const downgraded: Directory = { ...d, users: [{ ...d.users[0]!, licence: 'basic' }] };
    const e = effectiveUser(downgraded, '201', at)!;
    assert.equal(e.mobilityEntitled, false);
    assert.equal(e.settings.mobility.mobilityFeatures, false);
    assert.equal(e.settings.mobility.mobileTwinning, false);
    assert.equal(e.twinningMode, 'none');
    const levels: Directory = { ...d, system: { ...d.system, mobilityLicenceLevels: ['uc-user'] } };
    assert.equal(effectiveUser(levels, '201', at)!.settings.mobility.mobilityFeatures, false);
  });

  it('LIC-2 a template cannot grant mobility features to a user without the entitlement', () => {
    const d = valid(
      dir({
        userRights: [{ name: 'R', locked: { 'mobility.mobilityFeatures': true } }],
        users: [user('201', { licence: 'basic', workingHoursUserRights: 'R' })],
      }),
    );
    assert.equal(effectiveUser(d, '201', at)!.settings.mobility.mobilityFeatures, false);
  });

  it('CFG-1 the fields below mobilityFeatures are inert while it is off', () => {
    const d = valid(
      dir({
        users: [
          user('201', {
            licence: 'uc-user',
            mobility: {
              mobileTwinning: true,
              fallbackTwinning: true,
              twinWhenLoggedOut: true,
              mobileCallControl: true,
              mobileCallback: true,
              twinnedMobileNumber: '9123',
            },
          }),
        ],
      }),
    );
    const m = effectiveUser(d, '201', at)!.settings.mobility;
    for (const k of [
      'mobileTwinning',
      'fallbackTwinning',
      'twinWhenLoggedOut',
      'mobileCallControl',
      'mobileCallback',
    ] as const)
      assert.equal(m[k], false, k);
  });

  it('CFG-1 oneXMobileClient is inert: always off in the effective values', () => {
    const d = valid(
      dir({
        users: [
          user('201', { licence: 'uc-user', mobility: { mobilityFeatures: true, oneXMobileClient: true } }),
        ],
      }),
    );
    assert.equal(effectiveUser(d, '201', at)!.settings.mobility.oneXMobileClient, false);
  });

  it('CFG-1 No Answer Time is the system default unless the user sets one; Transfer Return Time 15 s when unset', () => {
    const d = valid(
      dir({
        system: { defaultNoAnswerTime: 20 },
        users: [user('201'), user('202', { noAnswerTime: 30, transferReturnTime: 25 })],
      }),
    );
    assert.equal(effectiveUser(d, '201', at)!.settings.noAnswerTime, 20);
    assert.equal(effectiveUser(d, '202', at)!.settings.noAnswerTime, 30);
    assert.equal(effectiveUser(d, '201', at)!.settings.transferReturnTime, 15);
    assert.equal(effectiveUser(d, '202', at)!.settings.transferReturnTime, 25);
  });

  const modeTable: Array<[string, Partial<UserInput>, string]> = [
    [
      'only internal configured',
      { mobility: { internalTwinning: true, twinnedHandset: '203' }, twinningMode: 'mobile' },
      'internal',
    ],
    [
      'only mobile configured',
      {
        mobility: { mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '9123' },
        twinningMode: 'internal',
      },
      'mobile',
    ],
    [
      'both, mode mobile',
      {
        mobility: {
          internalTwinning: true,
          twinnedHandset: '203',
          mobilityFeatures: true,
          mobileTwinning: true,
          twinnedMobileNumber: '9123',
        },
        twinningMode: 'mobile',
      },
      'mobile',
    ],
    [
      'both, mode internal',
      {
        mobility: {
          internalTwinning: true,
          twinnedHandset: '203',
          mobilityFeatures: true,
          mobileTwinning: true,
          twinnedMobileNumber: '9123',
        },
        twinningMode: 'internal',
      },
      'internal',
    ],
    [
      'both, no mode stored',
      {
        mobility: {
          internalTwinning: true,
          twinnedHandset: '203',
          mobilityFeatures: true,
          mobileTwinning: true,
          twinnedMobileNumber: '9123',
        },
      },
      'internal',
    ],
    ['neither', {}, 'none'],
  ];
  for (const [name, u, want] of modeTable) {
    it(`CFG-3 twinning mode: ${name} → ${want}`, () => {
      const d = valid(dir({ users: [user('202', { licence: 'power-user', ...u }), user('203')] }));
      assert.equal(effectiveUser(d, '202', at)!.twinningMode, want);
    });
  }

  it('CFG-3 the twinning mode is validated', () => {
    rejects(
      dir({ users: [user('202', { twinningMode: 'teams' as never })] }),
      'users[0].twinningMode',
      'INVALID_VALUE',
    );
  });

  it('IT-8 internal twinning is off in resilience mode', () => {
    const d = valid(
      dir({
        system: { resilienceMode: true },
        users: [
          user('202', { licence: 'power-user', mobility: { internalTwinning: true, twinnedHandset: '203' } }),
          user('203'),
        ],
      }),
    );
    const e = effectiveUser(d, '202', at)!;
    assert.equal(e.settings.mobility.internalTwinning, false);
    assert.equal(e.twinningMode, 'none');
  });

  it('IT-1 the twinned handset knows its primary', () => {
    const d = valid(
      dir({
        users: [
          user('202', { licence: 'power-user', mobility: { internalTwinning: true, twinnedHandset: '203' } }),
          user('203'),
        ],
      }),
    );
    assert.equal(effectiveUser(d, '203', at)!.twinOf, '202');
    assert.equal(effectiveUser(d, '202', at)!.twinOf, undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMobility, hostTimeZone } from '../../../src/config/schema.js';
import { validateDirectory } from '../../../src/config/validate.js';
import { dir, errorsOf, rejects, user, valid } from './helpers.js';

/** Spec §1 table: field, default, a valid non-default value, invalid values (with the expected code). */
const MOBILITY_TABLE: Array<{
  field: string;
  def: unknown;
  ok: unknown[];
  bad: Array<[unknown, string]>;
  allowed?: string;
}> = [
  {
    field: 'internalTwinning',
    def: false,
    ok: [true],
    bad: [
      ['yes', 'INVALID_TYPE'],
      [1, 'INVALID_TYPE'],
    ],
  },
  {
    field: 'twinnedHandset',
    def: undefined,
    ok: ['202', 202],
    bad: [
      ['ab', 'INVALID_FORMAT'],
      [true, 'INVALID_VALUE'],
    ],
  },
  {
    field: 'maxTwinnedCalls',
    def: 1,
    ok: [1, 2],
    bad: [
      [0, 'INVALID_VALUE'],
      [3, 'INVALID_VALUE'],
      ['2', 'INVALID_VALUE'],
    ],
    allowed: '1 or 2',
  },
  { field: 'twinBridgeAppearances', def: false, ok: [true], bad: [['on', 'INVALID_TYPE']] },
  { field: 'twinCoverageAppearances', def: false, ok: [true], bad: [[0, 'INVALID_TYPE']] },
  { field: 'twinLineAppearances', def: false, ok: [true], bad: [[null, 'INVALID_TYPE']] },
  {
    field: 'msTeamsCoverageDelay',
    def: 0,
    ok: [0, 15],
    bad: [
      [16, 'OUT_OF_RANGE'],
      [-1, 'OUT_OF_RANGE'],
      [1.5, 'INVALID_TYPE'],
    ],
    allowed: '0–15 seconds',
  },
  {
    field: 'msTeamsUri',
    def: '',
    ok: ['441632768000;ext=402', '+402', 'x'.repeat(161)],
    bad: [
      ['x'.repeat(162), 'INVALID_LENGTH'],
      [402, 'INVALID_TYPE'],
    ],
    allowed: 'up to 161 characters',
  },
  { field: 'mobilityFeatures', def: false, ok: [], bad: [['true', 'INVALID_TYPE']] },
  { field: 'mobileTwinning', def: false, ok: [true], bad: [['false', 'INVALID_TYPE']] },
  { field: 'fallbackTwinning', def: false, ok: [true], bad: [[1, 'INVALID_TYPE']] },
  {
    field: 'twinnedMobileNumber',
    def: '',
    ok: ['907700900123', '9+447700900123', '*#0', '9'.repeat(32)],
    bad: [
      ['9'.repeat(33), 'INVALID_FORMAT'],
      ['907700 900123', 'INVALID_FORMAT'],
      ['9-07700', 'INVALID_FORMAT'],
      [907700900123, 'INVALID_TYPE'],
    ],
  },
  { field: 'twinningTimeProfile', def: undefined, ok: [], bad: [[' lead', 'INVALID_FORMAT']] },
  {
    field: 'mobileDialDelay',
    def: 2,
    ok: [0, 99],
    bad: [
      [100, 'OUT_OF_RANGE'],
      [-1, 'OUT_OF_RANGE'],
    ],
    allowed: '0–99 seconds',
  },
  {
    field: 'mobileAnswerGuard',
    def: 0,
    ok: [0, 99],
    bad: [
      [100, 'OUT_OF_RANGE'],
      [2.5, 'INVALID_TYPE'],
    ],
    allowed: '0–99 seconds',
  },
  { field: 'huntGroupCallsEligible', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  { field: 'forwardedCallsEligible', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  { field: 'twinWhenLoggedOut', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  { field: 'oneXMobileClient', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  { field: 'mobileCallControl', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  { field: 'mobileCallback', def: false, ok: [true], bad: [['x', 'INVALID_TYPE']] },
  {
    field: 'mobileAnswerConfirm',
    def: 'none',
    ok: ['keypress'],
    bad: [['dtmf', 'INVALID_VALUE']],
    allowed: 'none | keypress',
  },
  {
    field: 'mobileAnswerConfirmTimeout',
    def: 5,
    ok: [1, 30],
    bad: [[0, 'OUT_OF_RANGE']],
    allowed: '1–30 seconds',
  },
  { field: 'mobileFeaturePin', def: undefined, ok: ['1234'], bad: [['12', 'INVALID_FORMAT']] },
];

const mobilityOf = (input: unknown) => valid(input).users[0]!.mobility as Record<string, unknown>;

describe('CFG-1 Mobility fields: defaults, types and ranges (spec §1 table)', () => {
  it('CFG-1 every Mobility field has its default when absent', () => {
    const m = mobilityOf(dir({ users: [user('201', { licence: 'uc-user' })] }));
    for (const row of MOBILITY_TABLE) assert.deepEqual(m[row.field], row.def, row.field);
    assert.deepEqual(Object.keys(defaultMobility()).sort(), Object.keys(m).sort());
  });

  for (const row of MOBILITY_TABLE) {
    for (const v of row.ok) {
      it(`CFG-1 ${row.field} accepts ${JSON.stringify(v).slice(0, 30)}`, () => {
        const input = dir({
          users: [user('201', { licence: 'uc-user', mobility: { [row.field]: v } }), user('202')],
        });
        assert.equal(String(mobilityOf(input)[row.field]), String(v));
      });
    }
    for (const [v, code] of row.bad) {
      it(`CFG-1 ${row.field} rejects ${JSON.stringify(v).slice(0, 30)} naming field, value and range`, () => {
        const input = dir({ users: [user('402', { mobility: { [row.field]: v } })] });
        const e = rejects(input, `users[0].mobility.${row.field}`, code);
        assert.deepEqual(e.value, v);
        if (row.allowed) assert.equal(e.allowed, row.allowed);
        assert.ok(e.allowed.length > 0);
        assert.match(e.message, new RegExp(`users\\[0\\]\\.mobility\\.${row.field}`));
        assert.match(e.message, /user 402/);
      });
    }
  }

  it('CFG-1 mobileDialDelay out of range: the error names field, value and allowed range', () => {
    const e = rejects(
      dir({ users: [user('402', { mobility: { mobileDialDelay: 120 } })] }),
      'users[0].mobility.mobileDialDelay',
      'OUT_OF_RANGE',
    );
    assert.equal(e.value, 120);
    assert.equal(e.allowed, '0–99 seconds');
    assert.match(e.message, /120/);
    assert.match(e.message, /0–99 seconds/);
  });

  it('CFG-1 an unknown Mobility field is rejected (typos do not pass silently)', () => {
    rejects(
      dir({ users: [user('201', { mobility: { mobileDialdelay: 3 } as never })] }),
      'users[0].mobility.mobileDialdelay',
      'UNKNOWN_FIELD',
    );
  });

  it('CFG-1 a rejected directory lists every error and returns no directory (all-or-nothing)', () => {
    const r = validateDirectory(
      dir({
        users: [
          user('201', { mobility: { mobileDialDelay: 100, mobileAnswerGuard: -1 } }),
          user('202', { mobility: { maxTwinnedCalls: 3 as never } }),
          user('203'),
        ],
        huntGroups: [{ name: 'Sales', extension: '300', members: ['999'] }],
      }),
    );
    const errors = errorsOf(r);
    assert.equal('directory' in r, false);
    assert.deepEqual(errors.map((e) => e.path).sort(), [
      'huntGroups[0].members[0]',
      'users[0].mobility.mobileAnswerGuard',
      'users[0].mobility.mobileDialDelay',
      'users[1].mobility.maxTwinnedCalls',
    ]);
  });
});

describe('CFG-1 user, system and other entries', () => {
  it('CFG-1 system defaults: host time zone, 15 s no answer time, CLI on, prefix 9, qualify 30 s', () => {
    const d = valid({});
    assert.equal(d.system.timeZone, hostTimeZone());
    assert.equal(d.system.defaultNoAnswerTime, 15);
    assert.equal(d.system.sendOriginalPartyInfo, true);
    assert.equal(d.system.callingPartyInfoForTwinning, '');
    assert.equal(d.system.autoPopulateMsTeamsData, false);
    assert.equal(d.system.resilienceMode, false);
    assert.deepEqual(d.system.mobilityLicenceLevels, ['mobile-worker', 'power-user', 'uc-user']);
    assert.equal(d.system.outsideLinePrefix, '9');
    assert.deepEqual(d.system.qualify, { intervalSeconds: 30, failureThreshold: 2 });
    assert.equal(d.system.domain, 'twinline');
    assert.deepEqual(d.users, []);
  });

  it('CFG-1 user defaults: basic licence, inherited no answer time, coverage 10 s', () => {
    const u = valid(dir({ users: [user('201')] })).users[0]!;
    assert.equal(u.licence, 'basic');
    assert.equal(u.noAnswerTime, undefined);
    assert.equal(u.individualCoverageTime, 10);
    assert.equal(u.transferReturnTime, undefined);
    assert.equal(u.dnd, false);
    assert.equal(u.loggedOut, false);
    assert.deepEqual(u.forwardUnconditional, { enabled: false, destination: '' });
    assert.deepEqual(u.appearances, { bridged: [], coverage: [], lines: [] });
  });

  const rangeCases: Array<[string, unknown, string, string]> = [
    ['noAnswerTime', 5, 'users[0].noAnswerTime', '6–99999 seconds'],
    ['noAnswerTime', 100_000, 'users[0].noAnswerTime', '6–99999 seconds'],
    ['individualCoverageTime', 0, 'users[0].individualCoverageTime', '1–99999 seconds'],
    ['transferReturnTime', 0, 'users[0].transferReturnTime', '1–99999 seconds'],
  ];
  for (const [field, v, path, allowed] of rangeCases) {
    it(`CFG-1 user ${field} ${String(v)} is out of range (${allowed})`, () => {
      const e = rejects(dir({ users: [user('201', { [field]: v })] }), path, 'OUT_OF_RANGE');
      assert.equal(e.allowed, allowed);
    });
  }

  it('CFG-1 system defaultNoAnswerTime 6–99999, callingPartyInfoForTwinning ≤ 32 digits (CLI-2)', () => {
    rejects({ system: { defaultNoAnswerTime: 5 } }, 'system.defaultNoAnswerTime', 'OUT_OF_RANGE');
    rejects(
      { system: { callingPartyInfoForTwinning: '1'.repeat(33) } },
      'system.callingPartyInfoForTwinning',
      'INVALID_FORMAT',
    );
    rejects(
      { system: { callingPartyInfoForTwinning: '44abc' } },
      'system.callingPartyInfoForTwinning',
      'INVALID_FORMAT',
    );
    valid({ system: { timeZone: 'UTC', callingPartyInfoForTwinning: '1'.repeat(32) } });
  });

  it('CFG-1 system dialTone defaults to North American 350+440', () => {
    assert.equal(valid({}).system.dialTone, '350+440');
  });

  for (const v of ['350+440', '425'] as const) {
    it(`CFG-1 system dialTone accepts ${v}`, () => {
      assert.equal(valid({ system: { timeZone: 'UTC', dialTone: v } }).system.dialTone, v);
    });
  }

  for (const v of ['440', 'uk', 350, '']) {
    it(`CFG-1 system dialTone rejects ${JSON.stringify(v)} naming field, value and allowed values`, () => {
      const e = rejects({ system: { dialTone: v as never } }, 'system.dialTone', 'INVALID_VALUE');
      assert.deepEqual(e.value, v);
      assert.equal(e.allowed, '350+440 | 425');
      assert.match(e.message, /^system\.dialTone: /);
      assert.ok(e.message.includes(JSON.stringify(v)), e.message);
      assert.match(e.message, /allowed 350\+440 \| 425/);
    });
  }

  it('CFG-1 top-level keys are exactly the eight sections', () => {
    rejects({ sytem: {} }, 'sytem', 'UNKNOWN_FIELD');
    rejects({ users: {} }, 'users', 'INVALID_TYPE');
  });

  it('CFG-1 a required field that is missing is reported as REQUIRED', () => {
    rejects(dir({ users: [{ extension: '201', name: 'A' } as never] }), 'users[0].password', 'REQUIRED');
  });

  it('CFG-1 extensions written as YAML numbers are accepted as strings', () => {
    const d = valid(
      dir({ users: [user(201 as never), user('202', { mobility: { twinnedHandset: 201 as never } })] }),
    );
    assert.equal(d.users[0]!.extension, '201');
    assert.equal(d.users[1]!.mobility.twinnedHandset, '201');
  });

  it('CFG-1 appearances accept a bare extension as shorthand for ring immediate', () => {
    const d = valid(
      dir({
        users: [
          user('201'),
          user('202', {
            appearances: { bridged: ['201'], coverage: [{ extension: '201', ring: 'delayed' }] },
          }),
        ],
      }),
    );
    assert.deepEqual(d.users[1]!.appearances.bridged, [{ extension: '201', ring: 'immediate' }]);
    assert.deepEqual(d.users[1]!.appearances.coverage, [{ extension: '201', ring: 'delayed' }]);
  });
});

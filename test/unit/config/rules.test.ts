import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateDirectory } from '../../../src/config/validate.js';
import { dir, errorsOf, rejects, user, valid, warnings } from './helpers.js';

const licensed = { licence: 'power-user' as const };

describe('CFG-1 twinnedHandset rules (spec §1)', () => {
  it('CFG-1 twinnedHandset: a valid pairing is accepted, and the destination may be unlicensed', () => {
    valid(
      dir({
        users: [
          user('202', { ...licensed, mobility: { internalTwinning: true, twinnedHandset: '203' } }),
          user('203', { licence: 'unlicensed' }),
        ],
      }),
    );
  });

  it('CFG-1 twinnedHandset: must exist on the same system', () => {
    rejects(
      dir({ users: [user('202', { ...licensed, mobility: { twinnedHandset: '299' } })] }),
      'users[0].mobility.twinnedHandset',
      'UNKNOWN_USER',
    );
  });

  it('CFG-1 twinnedHandset: not the user itself', () => {
    const e = rejects(
      dir({ users: [user('202', { mobility: { twinnedHandset: '202' } })] }),
      'users[0].mobility.twinnedHandset',
      'TWIN_SELF',
    );
    assert.equal(e.value, '202');
  });

  it('CFG-1 twinnedHandset: not already the twin of another user (error names that primary)', () => {
    const e = rejects(
      dir({
        users: [
          user('202', { ...licensed, mobility: { twinnedHandset: '204' } }),
          user('203', { ...licensed, mobility: { twinnedHandset: '204' } }),
          user('204'),
        ],
      }),
      'users[1].mobility.twinnedHandset',
      'TWIN_TAKEN',
    );
    assert.match(e.message, /twinned handset of user 202/);
  });

  it('CFG-1 twinnedHandset: a user who is a twin destination cannot pick a twin (error names its primary)', () => {
    const e = rejects(
      dir({
        users: [
          user('202', { name: 'Bob', ...licensed, mobility: { twinnedHandset: '203' } }),
          user('203', { ...licensed, mobility: { twinnedHandset: '204' } }),
          user('204'),
        ],
      }),
      'users[1].mobility.twinnedHandset',
      'TWIN_DESTINATION_CANNOT_TWIN',
    );
    assert.match(e.message, /twinned handset of user 202 \(Bob\)/);
  });

  it('CFG-1 twinnedHandset: mutual twins are both rejected', () => {
    const errors = errorsOf(
      validateDirectory(
        dir({
          users: [
            user('202', { ...licensed, mobility: { twinnedHandset: '203' } }),
            user('203', { ...licensed, mobility: { twinnedHandset: '202' } }),
          ],
        }),
      ),
    );
    assert.deepEqual(
      errors.map((e) => e.code),
      ['TWIN_DESTINATION_CANNOT_TWIN', 'TWIN_DESTINATION_CANNOT_TWIN'],
    );
  });

  it('CFG-1 twinnedHandset: must be a user, not a hunt group (decision)', () => {
    rejects(
      dir({
        users: [user('202', { ...licensed, mobility: { twinnedHandset: '300' } })],
        huntGroups: [{ name: 'Sales', extension: '300' }],
      }),
      'users[0].mobility.twinnedHandset',
      'NOT_A_USER',
    );
  });
});

describe('LIC licences', () => {
  it('LIC-1 default entitlement levels are mobile-worker, power-user and uc-user', () => {
    for (const licence of ['mobile-worker', 'power-user', 'uc-user'] as const) {
      valid(dir({ users: [user('201', { licence, mobility: { mobilityFeatures: true } })] }));
    }
    for (const licence of ['basic', 'unlicensed'] as const) {
      rejects(
        dir({ users: [user('201', { licence, mobility: { mobilityFeatures: true } })] }),
        'users[0].mobility.mobilityFeatures',
        'LICENCE_REQUIRED',
      );
    }
  });

  it('LIC-1 the levels that carry the entitlement are configurable', () => {
    valid(
      dir({
        system: { mobilityLicenceLevels: ['basic'] },
        users: [user('201', { licence: 'basic', mobility: { mobilityFeatures: true } })],
      }),
    );
    rejects(
      dir({
        system: { mobilityLicenceLevels: ['basic'] },
        users: [user('201', { licence: 'uc-user', mobility: { mobilityFeatures: true } })],
      }),
      'users[0].mobility.mobilityFeatures',
      'LICENCE_REQUIRED',
    );
  });

  it('LIC-1 an unknown licence level is rejected', () => {
    rejects(dir({ users: [user('201', { licence: 'gold' as never })] }), 'users[0].licence', 'INVALID_VALUE');
    rejects(
      { system: { mobilityLicenceLevels: ['gold'] } },
      'system.mobilityLicenceLevels[0]',
      'INVALID_VALUE',
    );
  });

  it('LIC-1 internal twinning counts any level but unlicensed as licensed', () => {
    valid(
      dir({
        users: [
          user('202', { licence: 'basic', mobility: { internalTwinning: true, twinnedHandset: '203' } }),
          user('203'),
        ],
      }),
    );
    const e = rejects(
      dir({
        users: [
          user('202', { licence: 'unlicensed', mobility: { internalTwinning: true, twinnedHandset: '203' } }),
          user('203'),
        ],
      }),
      'users[0].mobility.internalTwinning',
      'LICENCE_REQUIRED',
    );
    assert.match(e.message, /licensed primary/);
  });

  it('LIC-2 mobilityFeatures on without the entitlement is a validation error naming the licence', () => {
    const e = rejects(
      dir({ users: [user('201', { licence: 'basic', mobility: { mobilityFeatures: true } })] }),
      'users[0].mobility.mobilityFeatures',
      'LICENCE_REQUIRED',
    );
    assert.match(e.message, /licence basic/);
    assert.match(e.allowed, /mobile-worker/);
  });
});

describe('CFG-1 references, uniqueness and formats', () => {
  it('CFG-1 extensions are unique across users and hunt groups', () => {
    rejects(dir({ users: [user('201'), user('201')] }), 'users[1].extension', 'DUPLICATE_EXTENSION');
    rejects(
      dir({ users: [user('201')], huntGroups: [{ name: 'Sales', extension: '201' }] }),
      'huntGroups[0].extension',
      'DUPLICATE_EXTENSION',
    );
  });

  it('CFG-1 user names are unique', () => {
    rejects(
      dir({ users: [user('201', { name: 'Ann' }), user('202', { name: 'Ann' })] }),
      'users[1].name',
      'DUPLICATE_NAME',
    );
  });

  it('CFG-1 twinningTimeProfile and workingHoursTimeProfile must name a time profile', () => {
    rejects(
      dir({ users: [user('201', { mobility: { twinningTimeProfile: 'Nope' } })] }),
      'users[0].mobility.twinningTimeProfile',
      'UNKNOWN_TIME_PROFILE',
    );
    rejects(
      dir({ users: [user('201', { workingHoursTimeProfile: 'Nope' })] }),
      'users[0].workingHoursTimeProfile',
      'UNKNOWN_TIME_PROFILE',
    );
    valid(
      dir({
        timeProfiles: [{ name: 'Office' }],
        users: [
          user('201', { workingHoursTimeProfile: 'Office', mobility: { twinningTimeProfile: 'Office' } }),
        ],
      }),
    );
  });

  it('UR-2 workingHoursUserRights and outOfHoursUserRights must name a template', () => {
    rejects(
      dir({ users: [user('201', { workingHoursUserRights: 'Nope' })] }),
      'users[0].workingHoursUserRights',
      'UNKNOWN_USER_RIGHTS',
    );
    rejects(
      dir({ users: [user('201', { outOfHoursUserRights: 'Nope' })] }),
      'users[0].outOfHoursUserRights',
      'UNKNOWN_USER_RIGHTS',
    );
  });

  it('CFG-1 incoming routes name an existing trunk and destination', () => {
    const trunks = [{ name: 'carrier', kind: 'carrier' as const, host: '127.0.0.1' }];
    rejects(
      dir({ trunks, incomingRoutes: [{ trunk: 'other', ddi: '', destination: 'fne31' }] }),
      'incomingRoutes[0].trunk',
      'UNKNOWN_TRUNK',
    );
    rejects(
      dir({ trunks, incomingRoutes: [{ trunk: 'carrier', ddi: '', destination: '555' }] }),
      'incomingRoutes[0].destination',
      'UNKNOWN_DESTINATION',
    );
    valid(
      dir({
        trunks,
        users: [user('201')],
        huntGroups: [{ name: 'Sales', extension: '300' }],
        incomingRoutes: [
          { trunk: 'carrier', ddi: '1', destination: '201' },
          { trunk: 'carrier', ddi: '2', destination: 'Sales' },
          { trunk: 'carrier', ddi: '3', destination: '300' },
          { trunk: 'carrier', ddi: '4', destination: 'fne33' },
        ],
      }),
    );
    rejects(
      dir({
        trunks,
        incomingRoutes: [
          { trunk: 'carrier', ddi: '1', destination: 'fne31' },
          { trunk: 'carrier', ddi: '1', destination: 'fne32' },
        ],
      }),
      'incomingRoutes[1].ddi',
      'DUPLICATE_ROUTE',
    );
  });

  it('CFG-1 at most one MS Teams trunk; outgoingTrunk must be a carrier trunk', () => {
    const teams = (name: string) => ({ name, kind: 'msTeams' as const, host: '127.0.0.1' });
    rejects(dir({ trunks: [teams('t1'), teams('t2')] }), 'trunks[1].kind', 'TOO_MANY_TEAMS_TRUNKS');
    rejects(
      dir({ system: { outgoingTrunk: 't1' }, trunks: [teams('t1')] }),
      'system.outgoingTrunk',
      'WRONG_TRUNK_KIND',
    );
    rejects(dir({ system: { outgoingTrunk: 'x' } }), 'system.outgoingTrunk', 'UNKNOWN_TRUNK');
  });

  it('CFG-1 appearances name other users and known line ids (APP-1..3)', () => {
    rejects(
      dir({ users: [user('201', { appearances: { bridged: ['201'] } })] }),
      'users[0].appearances.bridged[0].extension',
      'SELF_REFERENCE',
    );
    rejects(
      dir({ users: [user('201', { appearances: { coverage: ['209'] } })] }),
      'users[0].appearances.coverage[0].extension',
      'UNKNOWN_USER',
    );
    rejects(
      dir({ users: [user('201', { appearances: { lines: ['L9'] } })] }),
      'users[0].appearances.lines[0].lineId',
      'UNKNOWN_LINE',
    );
    valid(
      dir({
        trunks: [{ name: 'c', kind: 'carrier', host: 'h', lineId: 'L9' }],
        users: [user('201', { appearances: { lines: ['L9'] } })],
      }),
    );
  });

  it('CFG-1 forwards that are on need a destination that is not the user', () => {
    rejects(
      dir({ users: [user('201', { forwardUnconditional: { enabled: true } })] }),
      'users[0].forwardUnconditional.destination',
      'DESTINATION_REQUIRED',
    );
    rejects(
      dir({ users: [user('201', { forwardOnBusy: { enabled: true, destination: '201' } })] }),
      'users[0].forwardOnBusy.destination',
      'SELF_REFERENCE',
    );
    rejects(
      dir({ users: [user('201', { followMe: { enabled: true, destination: '209' } })] }),
      'users[0].followMe.destination',
      'UNKNOWN_USER',
    );
  });

  it('CFG-1 hunt group members must be users', () => {
    rejects(
      dir({
        huntGroups: [
          { name: 'A', extension: '300', members: ['301'] },
          { name: 'B', extension: '301' },
        ],
      }),
      'huntGroups[0].members[0]',
      'NOT_A_USER',
    );
    rejects(
      dir({ huntGroups: [{ name: 'fne31', extension: '300' }] }),
      'huntGroups[0].name',
      'RESERVED_NAME',
    );
    rejects(
      dir({ huntGroups: [{ name: 'A', extension: '300', overflow: { groups: ['Z'] } }] }),
      'huntGroups[0].overflow.groups[0]',
      'UNKNOWN_HUNT_GROUP',
    );
  });

  it('CFG-1 short codes are unique and features that take digits have N', () => {
    rejects(
      dir({
        shortCodes: [
          { code: '*08', feature: 'dndOn' },
          { code: '*08', feature: 'dndOff' },
        ],
      }),
      'shortCodes[1].code',
      'DUPLICATE_SHORT_CODE',
    );
    rejects(
      dir({ shortCodes: [{ code: '*9#', feature: 'setMobileTwinningNumber' }] }),
      'shortCodes[0].code',
      'SHORT_CODE_NEEDS_DIGITS',
    );
    rejects(
      dir({ shortCodes: [{ code: '*9NN#', feature: 'setMobileTwinningNumber' }] }),
      'shortCodes[0].code',
      'INVALID_FORMAT',
    );
    rejects(
      dir({ shortCodes: [{ code: '*9', feature: 'teleport' as never }] }),
      'shortCodes[0].feature',
      'INVALID_VALUE',
    );
  });

  it('TP-5 the system time zone must be a known IANA zone, canonically spelt', () => {
    rejects({ system: { timeZone: 'Mars/Olympus' } }, 'system.timeZone', 'INVALID_TIME_ZONE');
    rejects({ system: { timeZone: 'UTC+2' } }, 'system.timeZone', 'INVALID_TIME_ZONE');
    rejects({ system: { timeZone: 'europe/london' } }, 'system.timeZone', 'INVALID_TIME_ZONE');
    valid({ system: { timeZone: 'Europe/London' } });
    assert.equal(warnings({ system: { timeZone: 'EST' } })[0]?.code, 'INVALID_TIME_ZONE');
  });
});

describe('warnings (accepted, but worth saying)', () => {
  it('CFG-1 oneXMobileClient is accepted and inert, with a warning that it is not supported', () => {
    const w = warnings(dir({ users: [user('201', { mobility: { oneXMobileClient: true } })] }));
    const hit = w.find((x) => x.code === 'NOT_SUPPORTED');
    assert.equal(hit?.path, 'users[0].mobility.oneXMobileClient');
    assert.match(hit!.message, /not supported/);
  });

  it('CFG-1 twinnedMobileNumber is dialled as the user would, so a number without the prefix is warned about', () => {
    const w = warnings(dir({ users: [user('201', { mobility: { twinnedMobileNumber: '07700900123' } })] }));
    assert.ok(w.some((x) => x.code === 'NUMBER_WITHOUT_PREFIX'));
    const ok = warnings(dir({ users: [user('201', { mobility: { twinnedMobileNumber: '907700900123' } })] }));
    assert.ok(!ok.some((x) => x.code === 'NUMBER_WITHOUT_PREFIX'));
  });

  it('CFG-2 an unlicensed user with Mobility settings is accepted with a warning that they are inert', () => {
    const w = warnings(
      dir({ users: [user('201', { licence: 'unlicensed', mobility: { mobileTwinning: true } })] }),
    );
    assert.ok(w.some((x) => x.code === 'INERT_SETTING' && x.path === 'users[0].mobility'));
  });
});

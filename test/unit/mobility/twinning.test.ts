/**
 * Internal twinning (IT), MS Teams (TEAMS), the mode switch (WPC), caller ID on twin
 * legs (CLI) and appearances (APP).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCall } from '../../../src/mobility/decide.js';
import { alice, legs, outcome, request, run, snap, user } from './fixtures.js';

/** Bob (202) is internally twinned with handset 212. */
function bob(over: Record<string, unknown> = {}) {
  return user('202', {
    name: 'Bob',
    licence: 'basic',
    mobility: { internalTwinning: true, twinnedHandset: '212' },
    ...over,
  });
}
const handset = (over: Record<string, unknown> = {}) =>
  user('212', { name: 'Bob handset', licence: 'basic', ...over });
const bobReq = (over: Parameters<typeof request>[0] = {}) => request({ user: '202', ...over });

describe('internal twinning (IT)', () => {
  const s = snap({ users: [bob(), handset()] });

  it('IT-1 one-to-one: the primary and one secondary handset', () => {
    const t = run(s, bobReq());
    assert.deepEqual(
      t.legs.map((l) => [l.plan.reason, l.plan.target]),
      [
        ['primary', { kind: 'device', extension: '202', contact: 'desk' }],
        ['internalTwin', { kind: 'extension', extension: '212' }],
      ],
    );
  });

  it('IT-2 the secondary alerts at the same time, its own ring delay ignored', () => {
    const slow = snap({ users: [bob(), handset({ appearanceRingDelay: 9 })] });
    const t = run(slow, bobReq(), [{ kind: 'answer', leg: 'internalTwin', at: 2000 }]);
    assert.deepEqual(legs(t), ['primary@0:cancelled', 'internalTwin@0:connected']);
  });

  it('IT-2 a call the primary would not ring is not twinned', () => {
    // Bob holds a bridged appearance of 205 with ring "none" and twins bridged appearances.
    const s2 = snap({
      users: [
        bob({
          appearances: { bridged: [{ extension: '205', ring: 'none' }] },
          mobility: { internalTwinning: true, twinnedHandset: '212', twinBridgeAppearances: true },
        }),
        handset(),
        user('205'),
      ],
    });
    const t = run(s2, request({ user: '205' }));
    assert.deepEqual(legs(t), ['primary@0:cancelled', 'bridged@0:cancelled']);
    assert.equal(t.legs[1]?.plan.alert, 'visual');
  });

  it('IT-3 the secondary shows the primary: legs are on behalf of the primary, its own number cannot be dialled', () => {
    const t = run(s, bobReq());
    assert.ok(t.legs.every((l) => l.plan.onBehalfOf === '202'));
    assert.equal(outcome(run(s, request({ user: '212' }))), '404 at 0');
  });

  for (const [name, max, calls, expected] of [
    ['IT-4 max 1: a second call while either phone is busy gets busy treatment', 1, 1, 'busy'],
    ['IT-4 max 2: the second call gets call waiting', 2, 1, 'waiting'],
    ['IT-4 max 2: the third call gets busy treatment', 2, 2, 'busy'],
  ] as const) {
    it(name, () => {
      const s2 = snap({
        users: [
          bob({ mobility: { internalTwinning: true, twinnedHandset: '212', maxTwinnedCalls: max } }),
          handset(),
        ],
      });
      const inCall = Array.from({ length: calls }, (_, i) => ({
        where: i === 0 ? ('internalTwin' as const) : ('desk' as const),
      }));
      const t = run(s2, bobReq({ presence: { calls: inCall } }));
      if (expected === 'busy') assert.equal(outcome(t), 'diverted busy to voicemail 202 at 0');
      else assert.ok(t.legs.length === 2 && t.legs.every((l) => l.plan.callWaiting));
    });
  }

  for (const [name, req, expected] of [
    ['IT-5 logout at the primary silences the secondary too', bobReq({ presence: { loggedIn: false } }), []],
    ['IT-5 DND at the primary silences the secondary too', bobReq({ presence: { dnd: true } }), []],
    [
      'IT-5 DND at the secondary affects only the secondary',
      bobReq({ others: { '212': { loggedIn: true, devices: ['h'], dnd: true } } }),
      ['primary@0:cancelled'],
    ],
    [
      'IT-5 logout at the secondary affects only the secondary',
      bobReq({ others: { '212': { loggedIn: false, devices: [] } } }),
      ['primary@0:cancelled'],
    ],
  ] as const) {
    it(name, () => assert.deepEqual(legs(run(s, req)), expected));
  }

  it("IT-6 the primary's voicemail box on both phones", () => {
    assert.equal(outcome(run(s, bobReq())), 'diverted noAnswer to voicemail 202 at 15000');
  });

  for (const [name, flag, appearance, twinned] of [
    [
      'IT-7 coverage appearance reaches the secondary with twinCoverageAppearances',
      'twinCoverageAppearances',
      'coverage',
      true,
    ],
    ['IT-7 coverage appearance does not reach the secondary without it', null, 'coverage', false],
    [
      'IT-7 bridged appearance reaches the secondary with twinBridgeAppearances',
      'twinBridgeAppearances',
      'bridged',
      true,
    ],
    ['IT-7 bridged appearance does not reach the secondary without it', null, 'bridged', false],
  ] as const) {
    it(name, () => {
      const s2 = snap({
        users: [
          bob({
            appearances: { [appearance]: ['205'] },
            mobility: { internalTwinning: true, twinnedHandset: '212', ...(flag ? { [flag]: true } : {}) },
          }),
          handset(),
          user('205'),
        ],
      });
      const t = run(s2, request({ user: '205' }));
      const twin = t.legs.find(
        (l) => l.plan.target.kind === 'extension' && l.plan.target.extension === '212',
      );
      assert.equal(twin !== undefined, twinned);
      if (twin) assert.equal(twin.plan.rule, 'IT-7');
    });
  }

  it('IT-7 line appearance reaches the secondary only with twinLineAppearances', () => {
    const mk = (on: boolean) =>
      snap({
        users: [
          bob({
            appearances: { lines: ['L100'] },
            mobility: { internalTwinning: true, twinnedHandset: '212', twinLineAppearances: on },
          }),
          handset(),
        ],
      });
    assert.deepEqual(legs(run(mk(true), bobReq({ call: { lineId: 'L100' } }))), [
      'line@0:cancelled',
      'internalTwin@0:cancelled',
    ]);
    assert.deepEqual(legs(run(mk(false), bobReq({ call: { lineId: 'L100' } }))), ['line@0:cancelled']);
  });

  it('IT-8 internal twinning is off in resilience mode', () => {
    const s2 = snap({ users: [bob(), handset()], system: { resilienceMode: true } });
    assert.deepEqual(legs(run(s2, bobReq())), ['primary@0:cancelled']);
  });
});

describe('MS Teams (TEAMS) and the mode switch (WPC)', () => {
  const teams = (over: Record<string, unknown> = {}) =>
    snap({ users: [alice({ mobility: { msTeamsUri: '441632768000;ext=402', ...over } })] });

  for (const [name, delay, at] of [
    ['TEAMS-1 the Teams URI alerts after msTeamsCoverageDelay', 4, 4000],
    ['TEAMS-1 delay 0 alerts at once', 0, 0],
  ] as const) {
    it(name, () => {
      const t = run(teams({ msTeamsCoverageDelay: delay }), request(), [
        { kind: 'answer', leg: 'teams', after: 1000 },
      ]);
      assert.equal(t.legs.find((l) => l.plan.reason === 'teams')?.placedAt, at);
      assert.equal(outcome(t), `connected teams at ${at + 1000}`);
    });
  }

  it('TEAMS-1 no Teams trunk configured: no Teams leg', () => {
    const s = snap({
      users: [alice({ mobility: { msTeamsUri: '+402' } })],
      trunks: [{ name: 'carrier', kind: 'carrier', host: 'carrier.example' }],
    });
    assert.ok(!run(s, request()).legs.some((l) => l.plan.reason === 'teams'));
  });

  it('TEAMS-2 the URI is passed as the user entered it; the trunk adds sip: and its host', () => {
    const t = run(teams(), request());
    assert.deepEqual(t.legs.find((l) => l.plan.reason === 'teams')?.plan.target, {
      kind: 'teams',
      uri: '441632768000;ext=402',
      user: '201',
    });
  });

  it('TEAMS-3 Teams forks alongside mobile twinning', () => {
    assert.deepEqual(legs(run(teams({ msTeamsCoverageDelay: 5 }), request())), [
      'primary@0:cancelled',
      'mobileTwin@2000:cancelled',
      'teams@5000:cancelled',
    ]);
  });

  it('TEAMS-3 Teams forks alongside internal twinning', () => {
    const s = snap({
      users: [
        bob({ mobility: { internalTwinning: true, twinnedHandset: '212', msTeamsUri: '+402' } }),
        handset(),
      ],
    });
    assert.deepEqual(legs(run(s, bobReq())), [
      'primary@0:cancelled',
      'internalTwin@0:cancelled',
      'teams@0:cancelled',
    ]);
  });

  for (const [name, eligible] of [
    ['TEAMS-3 hunt group calls fork to Teams only with huntGroupCallsEligible (off)', false],
    ['TEAMS-3 hunt group calls fork to Teams only with huntGroupCallsEligible (on)', true],
  ] as const) {
    it(name, () => {
      const s = snap({
        users: [alice({ mobility: { msTeamsUri: '+402', huntGroupCallsEligible: eligible } })],
        huntGroups: [{ name: 'Sales', extension: '300', members: ['201'] }],
      });
      const t = run(s, request({ call: { kind: 'huntGroup', huntGroup: 'Sales' } }));
      assert.equal(
        t.legs.some((l) => l.plan.reason === 'teams'),
        eligible,
      );
    });
  }

  const both = () =>
    snap({
      users: [
        bob({
          licence: 'mobile-worker',
          mobility: {
            internalTwinning: true,
            twinnedHandset: '212',
            mobilityFeatures: true,
            mobileTwinning: true,
            twinnedMobileNumber: '907700900202',
          },
        }),
        handset(),
      ],
    });

  it('WPC-1 in internal mode the secondary rings, not the mobile', () => {
    assert.deepEqual(legs(run(both(), bobReq({ presence: { twinningMode: 'internal' } }))), [
      'primary@0:cancelled',
      'internalTwin@0:cancelled',
    ]);
  });

  it('WPC-1 switched to mobile mode: the mobile rings and the secondary gets its own number back', () => {
    const s = both();
    assert.deepEqual(legs(run(s, bobReq({ presence: { twinningMode: 'mobile' } }))), [
      'primary@0:cancelled',
      'mobileTwin@2000:cancelled',
    ]);
    const mobileMode = snap({
      users: [
        bob({
          licence: 'mobile-worker',
          twinningMode: 'mobile',
          mobility: {
            internalTwinning: true,
            twinnedHandset: '212',
            mobilityFeatures: true,
            mobileTwinning: true,
            twinnedMobileNumber: '907700900202',
          },
        }),
        handset(),
      ],
    });
    assert.deepEqual(legs(run(mobileMode, request({ user: '212' }))), ['primary@0:cancelled']);
  });
});

describe('caller ID on twin legs (CLI)', () => {
  it('CLI-1 by default the twin leg presents the original caller and a diversion naming the user', () => {
    const d = startCall(snap(), request());
    assert.deepEqual(d.state.legs.find((l) => l.plan.reason === 'mobileTwin')?.plan.callerId, {
      kind: 'original',
      number: '01632960001',
      name: 'Carol Caller',
      diversion: '201',
    });
  });

  for (const [name, system, expected] of [
    [
      'CLI-2 sendOriginalPartyInfo off: callingPartyInfoForTwinning when set',
      { sendOriginalPartyInfo: false, callingPartyInfoForTwinning: '441632960000' },
      { kind: 'fixed', number: '441632960000' },
    ],
    [
      "CLI-2 sendOriginalPartyInfo off, nothing set: the trunk's normal caller ID",
      { sendOriginalPartyInfo: false },
      { kind: 'trunkDefault' },
    ],
  ] as const) {
    it(name, () => {
      const s = snap({ system, users: [alice({ mobility: { msTeamsUri: '+402' } })] });
      const d = startCall(s, request());
      for (const reason of ['mobileTwin', 'teams']) {
        assert.deepEqual(d.state.legs.find((l) => l.plan.reason === reason)?.plan.callerId, expected);
      }
      // The desk phone always sees the caller.
      assert.equal(d.state.legs[0]?.plan.callerId.kind, 'original');
    });
  }
});

describe('appearances (APP)', () => {
  for (const [name, ring, placed, alert] of [
    ['APP-1 bridged appearance ring immediate: alerts with the user', 'immediate', 0, 'ring'],
    ["APP-1 bridged appearance ring delayed: after the holder's ring delay", 'delayed', 7000, 'ring'],
    ['APP-1 bridged appearance ring none: flashes without ringing', 'none', 0, 'visual'],
  ] as const) {
    it(name, () => {
      const s = snap({
        users: [
          alice(),
          user('203', { appearanceRingDelay: 7, appearances: { bridged: [{ extension: '201', ring }] } }),
        ],
      });
      const leg = run(s, request()).legs.find((l) => l.plan.reason === 'bridged');
      assert.equal(leg?.placedAt, placed);
      assert.equal(leg?.plan.alert, alert);
    });
  }

  const cover = (over: Record<string, unknown> = {}) =>
    snap({
      users: [
        alice({ individualCoverageTime: 8, callWaiting: true, ...over }),
        user('203', { appearances: { coverage: ['201'] } }),
      ],
    });

  it("APP-2 coverage alerts after the user's Individual Coverage Time", () => {
    const t = run(cover(), request(), [{ kind: 'answer', leg: 'coverage', after: 1000 }]);
    assert.deepEqual(legs(t), [
      'primary@0:cancelled',
      'mobileTwin@2000:cancelled',
      'coverage@8000:connected',
    ]);
  });

  it('APP-2 coverage alerts at once when the user is busy', () => {
    const t = run(cover(), request({ presence: { calls: [{ where: 'desk' }] } }));
    assert.equal(t.legs.find((l) => l.plan.reason === 'coverage')?.placedAt, 0);
  });

  it("APP-2 until answered the user's no-answer settings rule the call", () => {
    const t = run(cover({ forwardOnNoAnswer: { enabled: true, destination: '905' } }), request());
    assert.equal(outcome(t), 'diverted forwardOnNoAnswer to dial 905 at 15000');
    const never = run(cover({ individualCoverageTime: 20 }), request());
    assert.ok(!never.legs.some((l) => l.plan.reason === 'coverage'));
  });

  it('APP-3 users with the line appearance are extra alert points', () => {
    const s = snap({ users: [alice(), user('204', { appearances: { lines: ['L100'] } })] });
    assert.deepEqual(legs(run(s, request({ call: { lineId: 'L100' } }))), [
      'primary@0:cancelled',
      'mobileTwin@2000:cancelled',
      'line@0:cancelled',
    ]);
  });

  it('APP-3 the destination holding the line appearance alerts only there and does not follow forwarding', () => {
    const s = snap({
      users: [
        alice({
          appearances: { lines: ['L100'] },
          forwardUnconditional: { enabled: true, destination: '905' },
          forwardOnNoAnswer: { enabled: true, destination: '906' },
        }),
      ],
    });
    const t = run(s, request({ call: { lineId: 'L100' } }));
    assert.deepEqual(legs(t), ['line@0:cancelled']);
    assert.equal(outcome(t), 'diverted noAnswer to voicemail 201 at 15000');
  });
});

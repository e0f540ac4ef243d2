/**
 * Mobile twinning (MT), answer guard (AG), keypress confirmation (CONF), dial delay (DD),
 * fallback twinning (FB) and twin-when-logged-out (TWLO): one row per rule, each a call
 * played through the policy core in virtual time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, startCall } from '../../../src/mobility/decide.js';
import { ANSWERED_ELSEWHERE_REASON } from '../../../src/mobility/types.js';
import { alice, legs, outcome, request, run, snap, user } from './fixtures.js';

const base = snap();

describe('mobile twinning (MT)', () => {
  it('MT-1 primary alerts at once, the mobile twin after mobileDialDelay through the dial plan', () => {
    const d = startCall(base, request());
    const placed = d.commands.filter((c) => c.type === 'placeLeg');
    assert.equal(placed.length, 1);
    assert.deepEqual(
      d.commands.find((c) => c.type === 'startTimer' && c.timer === 'start:L2'),
      { type: 'startTimer', timer: 'start:L2', at: 2000 },
    );
    const mobile = d.state.legs.find((l) => l.plan.reason === 'mobileTwin');
    assert.deepEqual(mobile?.plan.target, { kind: 'dial', dialString: '907700900201', asUser: '201' });
    const t = run(base, request(), [{ kind: 'answer', leg: 'mobileTwin', after: 1500 }]);
    assert.deepEqual(legs(t), ['primary@0:cancelled', 'mobileTwin@2000:connected']);
  });

  it('MT-2 answered before the dial delay ends: the twin leg is never placed', () => {
    const t = run(base, request(), [{ kind: 'answer', leg: 'primary', at: 1200 }]);
    assert.deepEqual(legs(t), ['primary@0:connected', 'mobileTwin@-:skipped']);
    assert.ok(
      !t.steps.flatMap((s) => s.commands).some((c) => c.type === 'placeLeg' && c.leg.reason === 'mobileTwin'),
    );
  });

  it('MT-2 abandoned before the dial delay ends: the twin leg is never placed', () => {
    const t = run(base, request(), [{ kind: 'callerHangup', at: 1999 }]);
    assert.deepEqual(legs(t), ['primary@0:cancelled', 'mobileTwin@-:skipped']);
    assert.equal(outcome(t), 'abandoned at 1999');
  });

  it('MT-2 the dial delay runs inside the No Answer Time, not on top of it', () => {
    const t = run(base, request());
    assert.equal(outcome(t), 'diverted noAnswer to voicemail 201 at 15000');
    const late = snap({ users: [alice({ noAnswerTime: 10, mobility: { mobileDialDelay: 12 } })] });
    const t2 = run(late, request());
    assert.deepEqual(legs(t2), ['primary@0:cancelled']);
    assert.equal(outcome(t2), 'diverted noAnswer to voicemail 201 at 10000');
  });

  it('MT-3 first answer wins: every other leg is cancelled with Reason cause=200', () => {
    const s = snap({ users: [alice({ mobility: { msTeamsUri: '+441632960201' } })] });
    const t = run(s, request(), [{ kind: 'answer', leg: 'primary', at: 3100 }]);
    assert.deepEqual(legs(t), ['primary@0:connected', 'mobileTwin@2000:cancelled', 'teams@0:cancelled']);
    const cancels = t.steps.flatMap((x) => x.commands).filter((c) => c.type === 'cancelLeg');
    assert.equal(cancels.length, 2);
    for (const c of cancels)
      assert.deepEqual(c, { ...c, reason: 'answeredElsewhere', sipReason: ANSWERED_ELSEWHERE_REASON });
  });

  it('MT-3 a late 2xx from a cancelled leg is hung up, never connected', () => {
    const t = run(base, request(), [
      { kind: 'answer', leg: 'primary', at: 3000 },
      { kind: 'answer', leg: 'mobileTwin', at: 3001 },
    ]);
    assert.equal(t.legs.filter((l) => l.status === 'connected').length, 1);
    const last = t.steps.at(-1)!;
    assert.deepEqual(last.commands, [{ type: 'cancelLeg', leg: 'L2', reason: 'answeredElsewhere' }]);
  });

  for (const [name, presence, expected] of [
    ['MT-4 DND: neither primary nor twin rings', { dnd: true }, 'diverted dnd to voicemail 201 at 0'],
    [
      'MT-4 busy: no twin leg for a call the primary is not offered',
      { calls: [{ where: 'desk' }] },
      'diverted busy to voicemail 201 at 0',
    ],
  ] as const) {
    it(name, () => {
      const t = run(base, request({ presence }));
      assert.deepEqual(legs(t), []);
      assert.equal(outcome(t), expected);
    });
  }

  it('MT-4 Follow Me active: no twin leg, only the follow-me destination', () => {
    const s = snap({ users: [alice({ followMe: { enabled: true, destination: '205' } }), user('205')] });
    const t = run(s, request());
    assert.deepEqual(legs(t), []);
    assert.equal(outcome(t), 'diverted followMe to ext 205 at 0');
  });

  it('MT-4 DND exception caller: both primary and twin ring', () => {
    const s = snap({ users: [alice({ dnd: true, dndExceptions: ['01632960001'] })] });
    const t = run(s, request(), [{ kind: 'answer', leg: 'mobileTwin', after: 500 }]);
    assert.deepEqual(legs(t), ['primary@0:cancelled', 'mobileTwin@2000:connected']);
  });

  for (const [name, over, path] of [
    [
      'MT-5 no answer: forward on no answer first',
      { forwardOnNoAnswer: { enabled: true, destination: '907700900777' } },
      'diverted forwardOnNoAnswer to dial 907700900777 at 15000',
    ],
    ['MT-5 no answer: else voicemail', {}, 'diverted noAnswer to voicemail 201 at 15000'],
    ['MT-5 no answer: else 480', { voicemail: { enabled: false } }, '480 at 15000'],
    [
      'MT-5 no answer: the user override of No Answer Time applies',
      { noAnswerTime: 25 },
      'diverted noAnswer to voicemail 201 at 25000',
    ],
  ] as const) {
    it(name, () => {
      const t = run(snap({ users: [alice(over)] }), request());
      assert.deepEqual(legs(t), ['primary@0:cancelled', 'mobileTwin@2000:cancelled']);
      assert.equal(outcome(t), path);
      const cancels = t.steps.at(-1)!.commands.filter((c) => c.type === 'cancelLeg');
      assert.ok(cancels.every((c) => c.type === 'cancelLeg' && c.reason === 'noAnswer'));
    });
  }

  it('MT-5 system default No Answer Time (15 s) when the user has none', () => {
    const s = snap({ system: { defaultNoAnswerTime: 20 } });
    assert.equal(outcome(run(s, request())), 'diverted noAnswer to voicemail 201 at 20000');
  });

  for (const [name, over, presence, blocked] of [
    ['MT-6 not without mobilityFeatures', { mobility: { mobilityFeatures: false } }, {}, true],
    ['MT-6 not without mobileTwinning', { mobility: { mobileTwinning: false } }, {}, true],
    ['MT-6 not without a twinnedMobileNumber', { mobility: { twinnedMobileNumber: '' } }, {}, true],
    [
      'MT-6 not in internal twinning mode',
      { mobility: { internalTwinning: true, twinnedHandset: '212' }, twinningMode: 'internal' },
      {},
      true,
    ],
    ['MT-6 applies with every condition met', {}, {}, false],
  ] as const) {
    it(name, () => {
      const s = snap({ users: [alice(over), user('212', { licence: 'basic' })] });
      const t = run(s, request({ presence }));
      assert.equal(
        t.legs.some((l) => l.plan.reason === 'mobileTwin'),
        !blocked,
      );
    });
  }

  for (const [name, kind, over, eligible] of [
    ['MT-7 direct calls from external callers are eligible', 'direct', {}, true],
    ['MT-7 transferred calls are eligible', 'transferred', {}, true],
    ['MT-7 hunt group calls only with huntGroupCallsEligible (off)', 'huntGroup', {}, false],
    [
      'MT-7 hunt group calls only with huntGroupCallsEligible (on)',
      'huntGroup',
      { mobility: { huntGroupCallsEligible: true } },
      true,
    ],
    ['MT-7 forwarded calls only with forwardedCallsEligible (off)', 'forwarded', {}, false],
    [
      'MT-7 forwarded calls only with forwardedCallsEligible (on)',
      'forwarded',
      { mobility: { forwardedCallsEligible: true } },
      true,
    ],
    ['MT-7 park/hold recalls are not eligible', 'recall', {}, false],
    ['MT-7 voicemail ringback is not eligible', 'voicemailRingback', {}, false],
  ] as const) {
    it(name, () => {
      const s = snap({
        users: [alice(over)],
        huntGroups: [{ name: 'Sales', extension: '300', members: ['201'] }],
      });
      const t = run(s, request({ call: { kind, ...(kind === 'huntGroup' ? { huntGroup: 'Sales' } : {}) } }));
      assert.equal(
        t.legs.some((l) => l.plan.reason === 'mobileTwin'),
        eligible,
      );
    });
  }

  it('MT-7 internal callers are eligible too', () => {
    const t = run(base, request({ call: { caller: { number: '205', external: false } } }));
    assert.ok(t.legs.some((l) => l.plan.reason === 'mobileTwin'));
  });

  for (const [name, calls, twinned] of [
    [
      'MT-8 a twin leg of another call still alerting: not twinned again',
      [{ where: 'mobile', state: 'alerting' }],
      false,
    ],
    ['MT-8 a call connected on the mobile: not twinned again', [{ where: 'mobile' }], false],
    ['MT-8 a call on the desk phone does not block the mobile', [{ where: 'desk' }], true],
  ] as const) {
    it(name, () => {
      const s = snap({ users: [alice({ callWaiting: true })] });
      const t = run(s, request({ presence: { calls } }));
      assert.equal(
        t.legs.some((l) => l.plan.reason === 'mobileTwin'),
        twinned,
      );
    });
  }

  it('MT-9 Forward Unconditional: the forward destination and the mobile both ring', () => {
    const s = snap({
      users: [alice({ forwardUnconditional: { enabled: true, destination: '901632960555' } })],
    });
    const t = run(s, request(), [{ kind: 'answer', leg: 'forward', at: 4000 }]);
    assert.deepEqual(legs(t), ['forward@0:connected', 'mobileTwin@2000:cancelled']);
    assert.deepEqual(t.legs[0]?.plan.target, { kind: 'dial', dialString: '901632960555', asUser: '201' });
  });

  it('MT-9 Forward Unconditional without mobile twinning: a plain forward', () => {
    const s = snap({
      users: [
        alice({
          mobility: { mobileTwinning: false },
          forwardUnconditional: { enabled: true, destination: '205' },
        }),
      ],
    });
    assert.equal(outcome(run(s, request())), 'diverted forwardUnconditional to dial 205 at 0');
  });

  it('MT-9 Follow Me active: only the follow-me destination rings', () => {
    const s = snap({ users: [alice({ followMe: { enabled: true, destination: '205' } }), user('205')] });
    const t = run(s, request());
    assert.deepEqual(t.legs, []);
    assert.equal(outcome(t), 'diverted followMe to ext 205 at 0');
  });

  it('MT-10 a call connected on the mobile makes the user busy for the next call', () => {
    // The presence/BLF state itself is published by src/pbx; the core treats the call as occupying the user.
    const t = run(base, request({ presence: { calls: [{ where: 'mobile' }] } }));
    assert.equal(outcome(t), 'diverted busy to voicemail 201 at 0');
  });
});

describe('mergeable configuration (CFG-4)', () => {
  it('CFG-4 a call in progress keeps the plan it started with when the configuration changes', () => {
    const first = startCall(base, request());
    const changed = snap({ users: [alice({ mobility: { mobileTwinning: false, mobileDialDelay: 9 } })] });
    const next = decide(first.state, { type: 'timer', at: 2000, timer: 'start:L2' }, changed);
    assert.equal(next.commands[0]?.type === 'placeLeg' && next.commands[0].leg.reason, 'mobileTwin');
    // The next call uses the new configuration.
    assert.ok(!startCall(changed, request()).state.legs.some((l) => l.plan.reason === 'mobileTwin'));
  });
});

describe('answer guard (AG) and confirmation (CONF)', () => {
  const guarded = snap({ users: [alice({ mobility: { mobileAnswerGuard: 3 } })] });

  it('AG-1 a twin leg answered inside the guard is hung up, not retried, and the others keep alerting', () => {
    const t = run(guarded, request(), [
      { kind: 'answer', leg: 'mobileTwin', after: 800 },
      { kind: 'answer', leg: 'primary', at: 6000 },
    ]);
    assert.deepEqual(legs(t), ['primary@0:connected', 'mobileTwin@2000:guarded']);
    const guardStep = t.steps.find((s) => s.event.type === 'legAnswered' && s.event.leg === 'L2')!;
    assert.deepEqual(guardStep.commands, [{ type: 'cancelLeg', leg: 'L2', reason: 'answerGuard' }]);
    assert.equal(
      t.steps.flatMap((s) => s.commands).filter((c) => c.type === 'placeLeg' && c.leg.id === 'L2').length,
      1,
    );
  });

  it('AG-1 an answer after the guard connects', () => {
    const t = run(guarded, request(), [{ kind: 'answer', leg: 'mobileTwin', after: 3000 }]);
    assert.equal(outcome(t), 'connected mobileTwin at 5000');
  });

  for (const [name, guard, after, result] of [
    ['AG-2 guard 0 is off: an answer 100 ms after the INVITE connects', 0, 100, 'connected'],
    ['AG-2 the guard is timed from the twin INVITE, not from the call start', 3, 2500, 'guarded'],
    ['AG-2 the guard ends exactly at mobileAnswerGuard seconds', 3, 3000, 'connected'],
  ] as const) {
    it(name, () => {
      const s = snap({ users: [alice({ mobility: { mobileAnswerGuard: guard } })] });
      const t = run(s, request(), [{ kind: 'answer', leg: 'mobileTwin', after }]);
      assert.equal(t.legs[1]?.status, result);
    });
  }

  it('AG-1 the primary is never guarded', () => {
    const t = run(guarded, request(), [{ kind: 'answer', leg: 'primary', at: 100 }]);
    assert.equal(outcome(t), 'connected primary at 100');
  });

  const confirming = snap({
    users: [alice({ mobility: { mobileAnswerGuard: 1, mobileAnswerConfirm: 'keypress' } })],
  });

  it('CONF-1 keypress confirmation: prompt to the mobile leg only, connect on 1', () => {
    const t = run(confirming, request(), [
      { kind: 'answer', leg: 'mobileTwin', after: 4000 },
      { kind: 'digit', leg: 'mobileTwin', digit: '1', after: 5500 },
    ]);
    const answer = t.steps.find((s) => s.event.type === 'legAnswered')!;
    assert.deepEqual(answer.commands, [
      { type: 'confirmPrompt', leg: 'L2', until: 11000 },
      { type: 'startTimer', timer: 'confirm:L2', at: 11000 },
    ]);
    assert.equal(outcome(t), 'connected mobileTwin at 7500');
  });

  it('CONF-1 no keypress within the timeout: that leg is hung up, the others keep ringing', () => {
    const t = run(confirming, request(), [
      { kind: 'answer', leg: 'mobileTwin', after: 2000 },
      { kind: 'answer', leg: 'primary', at: 12000 },
    ]);
    assert.deepEqual(legs(t), ['primary@0:connected', 'mobileTwin@2000:unconfirmed']);
  });

  it('CONF-1 other digits do not confirm', () => {
    const t = run(confirming, request(), [
      { kind: 'answer', leg: 'mobileTwin', after: 2000 },
      { kind: 'digit', leg: 'mobileTwin', digit: '2', after: 3000 },
    ]);
    assert.equal(t.legs[1]?.status, 'unconfirmed');
    assert.equal(outcome(t), 'diverted noAnswer to voicemail 201 at 15000');
  });

  it('CONF-1 default none: an answer after the guard connects directly', () => {
    const t = run(guarded, request(), [{ kind: 'answer', leg: 'mobileTwin', after: 3500 }]);
    assert.ok(!t.steps.flatMap((s) => s.commands).some((c) => c.type === 'confirmPrompt'));
  });
});

describe('dial delay (DD), fallback (FB), logged out (TWLO)', () => {
  it('DD-1 fallback twinning places the twin at once, ignoring the dial delay', () => {
    const s = snap({ users: [alice({ mobility: { fallbackTwinning: true, mobileDialDelay: 9 } })] });
    const t = run(s, request({ presence: { devices: [] } }));
    assert.deepEqual(legs(t).slice(0, 1), ['fallback@0:cancelled']);
  });

  it('DD-1 twin when logged out places the twin at once', () => {
    const s = snap({ users: [alice({ mobility: { twinWhenLoggedOut: true, mobileDialDelay: 9 } })] });
    const t = run(s, request({ presence: { loggedIn: false } }));
    assert.deepEqual(legs(t), ['loggedOutTwin@0:cancelled']);
  });

  it('FB-1 logged in but unreachable: the mobile rings even with mobileTwinning off', () => {
    const s = snap({ users: [alice({ mobility: { mobileTwinning: false, fallbackTwinning: true } })] });
    const t = run(s, request({ presence: { devices: [] } }), [
      { kind: 'answer', leg: 'fallback', after: 4000 },
    ]);
    assert.deepEqual(legs(t), ['fallback@0:connected']);
  });

  it('FB-1 reachable: no fallback leg', () => {
    const s = snap({ users: [alice({ mobility: { mobileTwinning: false, fallbackTwinning: true } })] });
    assert.deepEqual(legs(run(s, request())), ['primary@0:cancelled']);
  });

  it('FB-1 without fallback and nothing to ring: the no-answer path at once', () => {
    const s = snap({ users: [alice({ mobility: { mobileTwinning: false } })] });
    assert.equal(
      outcome(run(s, request({ presence: { devices: [] } }))),
      'diverted noAnswer to voicemail 201 at 0',
    );
  });

  const fb = (over = {}) =>
    snap({
      users: [alice({ mobility: { fallbackTwinning: true, mobileAnswerGuard: 4, ...over } })],
      timeProfiles: [
        {
          name: 'Office',
          entries: [
            { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' },
          ],
        },
      ],
    });

  it('FB-2 the answer guard still applies', () => {
    const t = run(fb(), request({ presence: { devices: [] } }), [
      { kind: 'answer', leg: 'fallback', after: 1000 },
    ]);
    assert.equal(t.legs[0]?.status, 'guarded');
  });

  it('FB-2 the No Answer Time and no-answer path still apply', () => {
    assert.equal(
      outcome(run(fb(), request({ presence: { devices: [] } }))),
      'diverted noAnswer to voicemail 201 at 15000',
    );
  });

  it('FB-2 DND blocks fallback', () => {
    assert.deepEqual(legs(run(fb(), request({ presence: { devices: [], dnd: true } }))), []);
  });

  it('FB-2 the twinningTimeProfile gates fallback', () => {
    const s = fb({ twinningTimeProfile: 'Office' });
    assert.deepEqual(
      legs(run(s, request({ presence: { devices: [] }, now: Date.parse('2026-03-04T10:00:00Z') }))),
      ['fallback@0:cancelled'],
    );
    assert.equal(
      outcome(run(s, request({ presence: { devices: [] }, now: Date.parse('2026-03-04T19:00:00Z') }))),
      'diverted noAnswer to voicemail 201 at 0',
    );
  });

  it('FB-3 an extension whose OPTIONS probing failed counts as unreachable', () => {
    // Probing and expiry are src/registrar's (qualify.ts, defaults interval 30 s, threshold 2 in
    // the schema); the core receives the surviving devices and treats none as unreachable.
    const s = fb();
    assert.equal(s.system.qualify.intervalSeconds, 30);
    const t = run(s, request({ presence: { devices: [] } }));
    assert.equal(t.legs[0]?.plan.reason, 'fallback');
  });

  const twlo = (over = {}) =>
    snap({ users: [alice({ mobility: { twinWhenLoggedOut: true, mobileAnswerGuard: 2, ...over } })] });

  it('TWLO-1 a logged-out user: only the twin alerts, at once', () => {
    const t = run(twlo(), request({ presence: { loggedIn: false } }), [
      { kind: 'answer', leg: 'loggedOutTwin', after: 2500 },
    ]);
    assert.deepEqual(legs(t), ['loggedOutTwin@0:connected']);
  });

  it('TWLO-1 without mobile twinning applying: voicemail as usual', () => {
    const t = run(twlo({ mobileTwinning: false }), request({ presence: { loggedIn: false } }));
    assert.equal(outcome(t), 'diverted loggedOut to voicemail 201 at 0');
  });

  it('TWLO-1 off: logged-out calls go to voicemail', () => {
    assert.equal(
      outcome(run(base, request({ presence: { loggedIn: false } }))),
      'diverted loggedOut to voicemail 201 at 0',
    );
  });

  it('TWLO-2 No Answer Time, no-answer path and answer guard apply', () => {
    const t = run(twlo(), request({ presence: { loggedIn: false } }), [
      { kind: 'answer', leg: 'loggedOutTwin', after: 1000 },
    ]);
    assert.equal(t.legs[0]?.status, 'guarded');
    assert.equal(outcome(t), 'diverted noAnswer to voicemail 201 at 1000');
  });

  it('TWLO-2 hunt group calls are not presented to a logged-out member', () => {
    const s = snap({
      users: [alice({ mobility: { twinWhenLoggedOut: true, huntGroupCallsEligible: true } })],
      huntGroups: [{ name: 'Sales', extension: '300', members: ['201'] }],
    });
    const t = run(
      s,
      request({ presence: { loggedIn: false }, call: { kind: 'huntGroup', huntGroup: 'Sales' } }),
    );
    assert.equal(outcome(t), '486 at 0');
  });
});

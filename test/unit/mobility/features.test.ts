/**
 * Twinning controls (BTN), Mobile Call Control (MCC), Mobile Direct Access (MDA) and
 * Mobile Callback (MCB): the eligibility decisions of the core.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../../src/mobility/decide.js';
import {
  callControlRequested,
  decideMobileFeature,
  planHandover,
  planMobileCallback,
  sameNumber,
  twinningControl,
} from '../../../src/mobility/features.js';
import type { CallState, Command, MobilityEvent } from '../../../src/mobility/types.js';
import { alice, request, run, snap, WED_10 } from './fixtures.js';

const ctx = { now: WED_10, mobileCallConnected: false, deskCallConnected: false, handoverInProgress: false };

function play(
  state: CallState,
  s: ReturnType<typeof snap>,
  events: MobilityEvent[],
): { state: CallState; commands: Command[] } {
  const commands: Command[] = [];
  for (const e of events) {
    const d = decide(state, e, s);
    state = d.state;
    commands.push(...d.commands);
  }
  return { state, commands };
}

describe('twinning controls (BTN)', () => {
  const s = snap();

  it('BTN-1 Set Mobile Twinning Number takes the digits from the dialled string', () => {
    assert.deepEqual(
      twinningControl(s, '201', { kind: 'setMobileTwinningNumber', digits: '907700900999' }, ctx),
      {
        kind: 'change',
        path: 'mobility.twinnedMobileNumber',
        value: '907700900999',
      },
    );
    assert.equal(
      twinningControl(s, '201', { kind: 'setMobileTwinningNumber', digits: '' }, ctx).kind,
      'refuse',
    );
  });

  for (const [name, to, value] of [
    ['BTN-1 Set Mobile Twinning Status off', 'off', false],
    ['BTN-1 Set Mobile Twinning Status on', 'on', true],
    ['BTN-1 Set Mobile Twinning Status toggle', 'toggle', false],
  ] as const) {
    it(name, () => {
      assert.deepEqual(twinningControl(s, '201', { kind: 'setMobileTwinningStatus', to }, ctx), {
        kind: 'change',
        path: 'mobility.mobileTwinning',
        value,
      });
    });
  }

  it('BTN-1 Mobile Twinned Call Pickup pulls a call connected on the mobile back to the desk', () => {
    assert.deepEqual(
      twinningControl(s, '201', { kind: 'twinnedCallPickup' }, { ...ctx, mobileCallConnected: true }),
      { kind: 'pickup' },
    );
    assert.equal(twinningControl(s, '201', { kind: 'twinnedCallPickup' }, ctx).kind, 'refuse');
  });

  it('BTN-1 Twinning Handover works with mobile twinning off, dialling it again cancels', () => {
    const off = snap({ users: [alice({ mobility: { mobileTwinning: false } })] });
    assert.deepEqual(
      twinningControl(off, '201', { kind: 'twinningHandover' }, { ...ctx, deskCallConnected: true }),
      { kind: 'handover' },
    );
    assert.deepEqual(
      twinningControl(
        off,
        '201',
        { kind: 'twinningHandover' },
        { ...ctx, deskCallConnected: true, handoverInProgress: true },
      ),
      { kind: 'cancelHandover' },
    );
  });

  it('BTN-1 Twinning Handover returns to the desk after the Transfer Return Time (15 s unset)', () => {
    for (const [trt, back] of [
      [undefined, 15000],
      [8, 8000],
    ] as const) {
      const hs = snap({ users: [alice(trt ? { transferReturnTime: trt } : {})] });
      const first = planHandover(hs, '201', WED_10);
      assert.equal(first.state.legs[0]?.plan.reason, 'handover');
      const { state, commands } = play(first.state, hs, [{ type: 'timer', at: back, timer: 'noAnswer' }]);
      assert.equal(state.phase, 'diverted');
      assert.deepEqual(commands.at(-1), {
        type: 'divertTo',
        target: { kind: 'extension', extension: '201' },
        reason: 'handoverReturn',
      });
    }
  });

  it('BTN-2 short codes honour user-rights locks', () => {
    const locked = snap({
      users: [alice({ workingHoursUserRights: 'Locked' })],
      userRights: [
        {
          name: 'Locked',
          locked: { 'mobility.mobileTwinning': true, 'mobility.twinnedMobileNumber': '907700900201' },
        },
      ],
    });
    for (const control of [
      { kind: 'setMobileTwinningStatus', to: 'off' },
      { kind: 'setMobileTwinningNumber', digits: '9123456' },
    ] as const) {
      const r = twinningControl(locked, '201', control, ctx);
      assert.equal(r.kind === 'refuse' && r.reason, 'locked');
    }
  });
});

describe('Mobile Call Control (MCC), Direct Access (MDA), Callback (MCB)', () => {
  const mcc = snap({ users: [alice({ mobility: { mobileCallControl: true, mobileCallback: true } })] });
  const noCall = () => false;

  it('MCC-1 ** within 1 second on an answered mobile twin leg requests dial tone', () => {
    const t = run(mcc, request(), [{ kind: 'answer', leg: 'mobileTwin', after: 1000 }]);
    const connect = t.steps.flatMap((x) => x.commands).find((c) => c.type === 'connect');
    assert.deepEqual(connect, { type: 'connect', leg: 'L2', mobileCallControl: true, dialTone: false });
    assert.equal(
      callControlRequested([
        { digit: '*', at: 0 },
        { digit: '*', at: 900 },
      ]),
      true,
    );
    assert.equal(
      callControlRequested([
        { digit: '*', at: 0 },
        { digit: '*', at: 1200 },
      ]),
      false,
    );
    assert.equal(
      callControlRequested([
        { digit: '1', at: 0 },
        { digit: '*', at: 100 },
      ]),
      false,
    );
  });

  it('MCC-1 not armed without mobileCallControl, nor on the desk phone', () => {
    const t = run(snap(), request(), [{ kind: 'answer', leg: 'mobileTwin', after: 1000 }]);
    assert.equal(t.legs[1]?.plan.mobileCallControl, false);
    assert.equal(run(mcc, request()).legs[0]?.plan.mobileCallControl, false);
  });

  it('MCC-2 DTMF detection is owned by src/media: the core only arms it on the connected mobile leg', () => {
    // MCC-2: owned by src/media (DTMF detection, RFC 4733 and SIP INFO, digit suppression).
    const t = run(mcc, request(), [{ kind: 'answer', leg: 'primary', at: 500 }]);
    const connect = t.steps.flatMap((x) => x.commands).find((c) => c.type === 'connect');
    assert.equal(connect?.type === 'connect' && connect.mobileCallControl, false);
  });

  for (const [name, callerId, countryCode, match] of [
    [
      'MCC-3 caller ID matches the twinned number after stripping the outside-line prefix',
      '07700900201',
      undefined,
      true,
    ],
    ['MCC-3 international form matches the national one (+44)', '+447700900201', undefined, true],
    ['MCC-3 00-international form matches with a configured country code', '00447700900201', '44', true],
    ['MCC-3 a different number does not match', '07700900202', undefined, false],
  ] as const) {
    it(name, () => {
      const d = decideMobileFeature(mcc, {
        feature: 'fne31',
        callerId,
        mobileCallInProgress: noCall,
        now: WED_10,
        ...(countryCode ? { countryCode } : {}),
      });
      assert.equal(d.kind, match ? 'dialTone' : 'reject');
      assert.equal(
        sameNumber(callerId, '907700900201', {
          outsideLinePrefix: '9',
          ...(countryCode ? { countryCode } : {}),
        }),
        match,
      );
    });
  }

  it('MCC-4 an unknown caller ID is rejected with 403', () => {
    assert.deepEqual(
      decideMobileFeature(mcc, {
        feature: 'fne31',
        callerId: '01632960999',
        mobileCallInProgress: noCall,
        now: WED_10,
      }),
      {
        kind: 'reject',
        code: 403,
        reason: 'caller ID matches no mobile user',
      },
    );
  });

  it('MCC-4 a PIN is required after dial tone when the user has one', () => {
    const pin = snap({ users: [alice({ mobility: { mobileCallControl: true, mobileFeaturePin: '4821' } })] });
    assert.deepEqual(
      decideMobileFeature(pin, {
        feature: 'fne31',
        callerId: '07700900201',
        mobileCallInProgress: noCall,
        now: WED_10,
      }),
      {
        kind: 'dialTone',
        user: '201',
        pinRequired: true,
      },
    );
  });

  it('MCC-4 a user without mobileCallControl gets no dial tone', () => {
    const d = decideMobileFeature(snap(), {
      feature: 'fne31',
      callerId: '07700900201',
      mobileCallInProgress: noCall,
      now: WED_10,
    });
    assert.equal(d.kind, 'reject');
  });

  it('MCC-5 call control is armed only over a carrier trunk', () => {
    const noTrunk = snap({
      users: [alice({ mobility: { mobileCallControl: true } })],
      trunks: [{ name: 'teams', kind: 'msTeams', host: 'teams.example' }],
    });
    assert.equal(run(noTrunk, request()).legs[1]?.plan.mobileCallControl, false);
    assert.equal(run(mcc, request()).legs[1]?.plan.mobileCallControl, true);
  });

  it('MDA-1 the received digits are redialled as the matched user; without digits the call is rejected', () => {
    const base = {
      feature: 'fne32' as const,
      callerId: '+447700900201',
      mobileCallInProgress: noCall,
      now: WED_10,
    };
    assert.deepEqual(decideMobileFeature(mcc, { ...base, digits: '901632960555' }), {
      kind: 'redial',
      user: '201',
      digits: '901632960555',
    });
    assert.equal(decideMobileFeature(mcc, base).kind, 'reject');
  });

  it('MCB-1 a matching caller with nothing in progress gets a callback', () => {
    const d = decideMobileFeature(mcc, {
      feature: 'fne33',
      callerId: '07700900201',
      mobileCallInProgress: noCall,
      now: WED_10,
    });
    assert.deepEqual(d, {
      kind: 'callbackPending',
      user: '201',
      hangupWithinMs: 30000,
      callbackWithinMs: 5000,
    });
  });

  it('MCB-1 a mobile call already in progress: rejected', () => {
    const d = decideMobileFeature(mcc, {
      feature: 'fne33',
      callerId: '07700900201',
      mobileCallInProgress: () => true,
      now: WED_10,
    });
    assert.equal(d.kind, 'reject');
  });

  it('MCB-2 the callback counts only if answered after the guard: then dial tone', () => {
    const g = snap({ users: [alice({ mobility: { mobileCallback: true, mobileAnswerGuard: 3 } })] });
    const start = planMobileCallback(g, '201', WED_10);
    const ok = play(start.state, g, [{ type: 'legAnswered', at: 4000, leg: 'L1' }]);
    assert.deepEqual(ok.commands[0], {
      type: 'connect',
      leg: 'L1',
      mobileCallControl: false,
      dialTone: true,
    });
    const early = play(start.state, g, [{ type: 'legAnswered', at: 1000, leg: 'L1' }]);
    assert.equal(early.state.phase, 'ended');
    assert.deepEqual(early.commands.at(-1), { type: 'clear', reason: 'callback not answered' });
    assert.ok(!early.commands.some((c) => c.type === 'placeLeg'));
  });

  it('MCB-2 not answered within the No Answer Time: cleared, not retried', () => {
    const start = planMobileCallback(mcc, '201', WED_10);
    const r = play(start.state, mcc, [{ type: 'timer', at: 15000, timer: 'noAnswer' }]);
    assert.equal(r.state.outcome?.kind, 'cleared');
    assert.ok(!r.commands.some((c) => c.type === 'placeLeg'));
  });
});

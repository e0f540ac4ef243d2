/**
 * Invariants of the policy core over random configurations, presences and event
 * sequences (fast-check, 1,000 runs each). Each property plays whole calls through the
 * same driver as the table tests and `twinline simulate`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ConfigSnapshot } from '../../../src/config/snapshot.js';
import { trySnapshot } from '../../../src/config/snapshot.js';
import { runScenario, type ScriptEvent, type Timeline } from '../../../src/mobility/scenario.js';
import { CALL_KINDS, type CallRequest, MOBILE_REASONS } from '../../../src/mobility/types.js';
import { directory, user, WED_10 } from './fixtures.js';

const RUNS = { numRuns: 1000 };
/** true with probability 1/n: keeps the switches that end a call at once (DND, forwards) rare. */
const rarely = (n = 6) => fc.integer({ min: 1, max: n }).map((x) => x === 1);
const mostly = (n = 5) => rarely(n).map((x) => !x);
const REASONS = [
  'primary',
  'internalTwin',
  'mobileTwin',
  'teams',
  'fallback',
  'loggedOutTwin',
  'forward',
  'coverage',
  'bridged',
];

const mobilityArb = fc.record({
  mobilityFeatures: mostly(),
  mobileTwinning: mostly(3),
  fallbackTwinning: fc.boolean(),
  twinWhenLoggedOut: fc.boolean(),
  twinnedMobileNumber: fc.constantFrom('', '907700900201', '907700900201', '907700900201'),
  mobileDialDelay: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 99 }), weight: 1 },
  ),
  mobileAnswerGuard: fc.integer({ min: 0, max: 8 }),
  mobileAnswerConfirm: fc.constantFrom('none', 'keypress'),
  mobileAnswerConfirmTimeout: fc.integer({ min: 1, max: 10 }),
  msTeamsUri: fc.constantFrom('', '+402'),
  msTeamsCoverageDelay: fc.integer({ min: 0, max: 15 }),
  internalTwinning: rarely(3),
  maxTwinnedCalls: fc.constantFrom(1, 2),
  huntGroupCallsEligible: fc.boolean(),
  forwardedCallsEligible: fc.boolean(),
  mobileCallControl: fc.boolean(),
});

const userArb = fc.record({
  mobility: mobilityArb,
  noAnswerTime: fc.integer({ min: 6, max: 40 }),
  individualCoverageTime: fc.integer({ min: 1, max: 30 }),
  callWaiting: fc.boolean(),
  dnd: rarely(),
  fu: rarely(),
  fna: fc.boolean(),
  followMe: rarely(8),
  coveredBy203: fc.boolean(),
  twinningMode: fc.constantFrom(undefined, 'mobile', 'mobile', 'internal'),
});

type UserGen = typeof userArb extends fc.Arbitrary<infer T> ? T : never;

function snapshotOf(g: UserGen): ConfigSnapshot {
  const m = g.mobility;
  const main = user('201', {
    licence: 'mobile-worker',
    noAnswerTime: g.noAnswerTime,
    individualCoverageTime: g.individualCoverageTime,
    callWaiting: g.callWaiting,
    dnd: g.dnd,
    ...(g.twinningMode ? { twinningMode: g.twinningMode } : {}),
    forwardUnconditional: { enabled: g.fu, destination: '905' },
    forwardOnNoAnswer: { enabled: g.fna, destination: '906' },
    followMe: { enabled: g.followMe, destination: '205' },
    mobility: { ...m, ...(m.internalTwinning ? { twinnedHandset: '212' } : {}) },
  });
  const users = [main, user('212', { licence: 'basic' }), user('205')];
  users.push(
    user('203', {
      appearances: g.coveredBy203
        ? { coverage: ['201'], bridged: [{ extension: '201', ring: 'delayed' }] }
        : {},
    }),
  );
  const r = trySnapshot(
    directory({ users, huntGroups: [{ name: 'Sales', extension: '300', members: ['201'] }] }),
    1,
  );
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.snapshot;
}

const presenceArb = fc.record({
  loggedIn: mostly(),
  devices: fc.constantFrom([], ['desk'], ['desk'], ['desk', 'softphone']),
  calls: fc
    .array(
      fc.record({
        where: fc.constantFrom('desk', 'internalTwin', 'mobile', 'teams'),
        state: fc.constantFrom('alerting', 'connected'),
      }),
      { maxLength: 2 },
    )
    .chain((calls) => (calls.length > 0 ? rarely(3).map((keep) => (keep ? calls : [])) : fc.constant(calls))),
  dnd: fc.option(rarely(), { nil: undefined }),
  twinningMode: fc.option(fc.constantFrom('internal', 'mobile'), { nil: undefined }),
});

const legSel = fc.oneof(
  { arbitrary: fc.constantFrom('mobileTwin', 'fallback', 'loggedOutTwin', 'primary'), weight: 3 },
  { arbitrary: fc.constantFrom(...REASONS), weight: 1 },
  { arbitrary: fc.constantFrom('L1', 'L2', 'L3', 'L4', 'primary#2'), weight: 1 },
);
const when = fc.oneof(
  fc.integer({ min: 0, max: 45_000 }).map((at) => ({ at })),
  fc.integer({ min: 0, max: 12_000 }).map((after) => ({ after })),
);
const eventArb: fc.Arbitrary<ScriptEvent> = fc.oneof(
  {
    arbitrary: fc.tuple(legSel, when).map(([leg, w]) => ({ kind: 'answer', leg, ...w }) as ScriptEvent),
    weight: 4,
  },
  fc
    .tuple(legSel, when, fc.constantFrom(404, 480, 486, 503, 600))
    .map(([leg, w, status]) => ({ kind: 'fail', leg, status, ...w }) as ScriptEvent),
  fc.tuple(legSel, when).map(([leg, w]) => ({ kind: 'legHangup', leg, ...w }) as ScriptEvent),
  fc
    .tuple(legSel, when, fc.constantFrom('1', '2', '*'))
    .map(([leg, w, digit]) => ({ kind: 'digit', leg, digit, ...w }) as ScriptEvent),
  fc.integer({ min: 0, max: 45_000 }).map((at) => ({ kind: 'callerHangup', at }) as ScriptEvent),
);

const callArb = fc.record({
  kind: fc.oneof(fc.constant('direct' as const), fc.constantFrom(...CALL_KINDS)),
  dndException: fc.option(fc.boolean(), { nil: undefined }),
});

const scenarioArb = fc.record({
  user: userArb,
  presence: presenceArb,
  call: callArb,
  events: fc.array(eventArb, { maxLength: 8 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function requestOf(sc: Scenario): CallRequest {
  return {
    user: '201',
    call: {
      caller: { number: '01632960001', external: true },
      kind: sc.call.kind,
      ...(sc.call.kind === 'huntGroup' ? { huntGroup: 'Sales' } : {}),
      ...(sc.call.dndException !== undefined ? { dndException: sc.call.dndException } : {}),
    },
    presence: sc.presence as CallRequest['presence'],
    now: WED_10,
  };
}

function play(sc: Scenario, snapshot = snapshotOf(sc.user)): Timeline {
  return runScenario(snapshot, requestOf(sc), sc.events);
}

describe('mobility invariants (property tests)', () => {
  it('the generators reach the interesting cases (not vacuous)', () => {
    const seen = new Map<string, number>();
    const bump = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    for (const sc of fc.sample(scenarioArb, { numRuns: 1000, seed: 42 })) {
      const t = play(sc);
      for (const l of t.legs) bump(`leg ${l.plan.reason} ${l.status === 'ended' ? 'connected' : l.status}`);
      bump(`outcome ${t.outcome?.kind}`);
    }
    if (process.env.STATS)
      console.log(
        [...seen]
          .sort()
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      );
    for (const k of [
      'leg mobileTwin connected',
      'leg mobileTwin guarded',
      'leg mobileTwin unconfirmed',
      'leg fallback cancelled',
      'leg loggedOutTwin cancelled',
      'leg primary connected',
      'leg teams cancelled',
      'leg mobileTwin skipped',
      'outcome connected',
      'outcome diverted',
      'outcome abandoned',
      'outcome responded',
    ]) {
      assert.ok((seen.get(k) ?? 0) > 0, `never generated: ${k}`);
    }
  });

  it('no leg starts after the call was answered, abandoned or diverted', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const t = play(sc);
        let over = false;
        for (const step of t.steps) {
          for (const c of step.commands) {
            if (c.type === 'placeLeg')
              assert.ok(!over, `leg ${c.leg.id} placed at ${step.at} after the call was over`);
            if (c.type === 'connect' || c.type === 'divertTo' || c.type === 'respond') over = true;
          }
          if (step.event.type === 'callerHangup') over = true;
        }
      }),
      RUNS,
    );
  });

  it('at most one leg is ever connected', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const t = play(sc);
        const connects = t.steps.flatMap((s) => s.commands).filter((c) => c.type === 'connect');
        assert.ok(connects.length <= 1);
        assert.ok(t.legs.filter((l) => l.status === 'connected' || l.status === 'ended').length <= 1);
      }),
      RUNS,
    );
  });

  it('fallback and logged-out twinning never wait for the mobile dial delay', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        for (const l of play(sc).legs) {
          if (l.plan.reason === 'fallback' || l.plan.reason === 'loggedOutTwin') {
            assert.equal(l.plan.startAt, 0);
            assert.equal(l.placedAt, 0);
          }
        }
      }),
      RUNS,
    );
  });

  it('a guard-rejected leg is never connected', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const t = play(sc);
        const guarded = new Set<string>();
        for (const s of t.steps) {
          for (const c of s.commands) {
            if (c.type === 'cancelLeg' && c.reason === 'answerGuard') guarded.add(c.leg);
            if (c.type === 'connect') assert.ok(!guarded.has(c.leg), `guarded leg ${c.leg} connected`);
          }
        }
        for (const l of t.legs) {
          if (l.status === 'guarded') assert.ok(l.answeredAt! - l.placedAt! < l.plan.answerGuardMs);
        }
      }),
      RUNS,
    );
  });

  it('every call ends in connect, divert or a final response within No Answer Time (slack 0)', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const t = play(sc);
        assert.notEqual(t.state.phase, 'alerting');
        assert.notEqual(t.state.phase, 'idle');
        const o = t.outcome;
        assert.ok(o, 'no outcome');
        assert.ok(
          o.at <= t.state.noAnswerAt,
          `outcome at ${o.at} after No Answer Time ${t.state.noAnswerAt}`,
        );
      }),
      RUNS,
    );
  });

  it('disabling mobilityFeatures or the licence removes every mobile leg', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (sc, byLicence) => {
        const off = byLicence
          ? sc.user
          : { ...sc.user, mobility: { ...sc.user.mobility, mobilityFeatures: false } };
        let snapshot = snapshotOf(off);
        if (byLicence) {
          const u = snapshot.usersByExtension.get('201')!;
          snapshot = {
            ...snapshot,
            usersByExtension: new Map([
              ...snapshot.usersByExtension,
              ['201', { ...u, licence: 'basic' as const }],
            ]),
          };
        }
        const t = play(sc, snapshot);
        for (const l of t.legs) {
          assert.ok(!MOBILE_REASONS.has(l.plan.reason), `${l.plan.reason} leg with mobility off`);
          assert.ok(!(l.plan.target.kind === 'dial' && l.plan.target.dialString === '907700900201'));
          assert.equal(l.plan.mobileCallControl, false);
        }
      }),
      RUNS,
    );
  });
});

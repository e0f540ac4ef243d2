/**
 * Internal twinning and appearance rules without an end-to-end test elsewhere, on real
 * SIP: maxTwinnedCalls counts the pair as one user (IT-4), bridged and coverage
 * appearances and whether they reach the holder's twinned handset (APP-1, APP-2, IT-7),
 * and resilience mode switching internal twinning off (IT-8). Every phone is a registered
 * SIPp process, callers are digest-authenticated extensions. Short configured times:
 * Individual Coverage Time 1 s.
 *
 * A phone that must not ring is checked past the moment it would have: either it has a
 * short SIPp timeout and ends with no messages, or it is still running (in a call, or
 * waiting for more calls) when the call that would have rung it has been decided.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registeredPhone } from '../../support/phones.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, startSipp } from '../../support/sipp.js';
import { answerOf, callArrivedAt, final, first, invites } from '../../support/sipp-assert.js';
import { adminSession, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
/** How soon "at once" must be: an INVITE relayed through twinline on loopback. */
const AT_ONCE_MS = 300;
/** Individual Coverage Time 1 s, within the tolerance. */
const COVERAGE = { min: 950, max: 1300 };

const password = (ext: string) => `secret-${ext}-pw`;

/** A user, optionally with extra YAML lines (already indented by 4). */
function user(ext: string, name: string, extra = ''): string {
  return `
  - extension: '${ext}'
    name: ${name}
    password: ${password(ext)}
    noAnswerTime: 8
    voicemail: { enabled: false }${extra}`;
}

/** Internal twinning to `handset`, with extra mobility lines (indented by 6). */
const twinTo = (handset: string, extra = '') =>
  `\n    mobility:\n      internalTwinning: true\n      twinnedHandset: '${handset}'${extra}`;

before(async () => {
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
${user('201', 'Alice')}
${user('202', 'Bob')}
${user('203', 'Carl')}
${user('250', 'Una', twinTo('251', '\n      maxTwinnedCalls: 1'))}
${user('251', 'Una DECT')}
${user('252', 'Duo', twinTo('253', '\n      maxTwinnedCalls: 2'))}
${user('253', 'Duo DECT')}
${user('270', 'Rita', twinTo('271'))}
${user('271', 'Rita DECT')}
${user('280', 'Ada')}
${user('281', 'Bridget', `\n    appearances: { bridged: [{ extension: '280', ring: immediate }] }${twinTo('282', '\n      twinBridgeAppearances: true')}`)}
${user('282', 'Bridget DECT')}
${user('283', 'Brian', `\n    appearances: { bridged: [{ extension: '280', ring: immediate }] }${twinTo('284', '\n      twinBridgeAppearances: false')}`)}
${user('284', 'Brian DECT')}
${user('290', 'Cora', '\n    individualCoverageTime: 1')}
${user('291', 'Cliff', `\n    appearances: { coverage: [{ extension: '290', ring: immediate }] }${twinTo('292', '\n      twinCoverageAppearances: true')}`)}
${user('292', 'Cliff DECT')}
${user('293', 'Cole', `\n    appearances: { coverage: [{ extension: '290', ring: immediate }] }${twinTo('294', '\n      twinCoverageAppearances: false')}`)}
${user('294', 'Cole DECT')}
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function call(
  from: '201' | '202' | '203',
  to: string,
  scenario: 'uac-invite-auth-bye' | 'uac-invite-auth-rejected' = 'uac-invite-auth-bye',
  holdMs = 100,
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: to,
    auth: { user: from, pass: password(from) },
    keys: { from_user: from, ...(scenario === 'uac-invite-auth-bye' ? { hold_ms: holdMs } : {}) },
    timeoutMs: 20_000,
    name: `caller-${from}-to-${to}`,
  });
}

function phone(
  ext: string,
  scenario: 'uas-answer' | 'uas-never-answer',
  options: { ringMs?: number; calls?: number; timeoutMs?: number } = {},
) {
  return registeredPhone(server, ext, password(ext), scenario, {
    keys: options.ringMs === undefined ? undefined : { ring_ms: options.ringMs },
    calls: options.calls,
    timeoutMs: options.timeoutMs,
  });
}

function waitAnswered(caller: Awaited<ReturnType<typeof call>>, what: string) {
  return caller.waitForMessage(
    (x) => x.direction === 'received' && x.status === 200 && x.method === 'INVITE',
    {
      timeoutMs: 5000,
      what,
    },
  );
}

const ANSWERED = ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200'];
const CANCELLED = ['< INVITE', '> 100', '> 180', '< CANCEL', '> 200', '> 487', '< ACK'];

describe('mobility rules over SIP: internal twinning and appearances', () => {
  it('IT-4 maxTwinnedCalls 1: while the twinned handset has a connected call, a second call to the primary gets busy treatment (486, no voicemail) and neither phone rings', async () => {
    const desk = await phone('250', 'uas-never-answer', { calls: 2 });
    const handset = await phone('251', 'uas-answer', { ringMs: 300 });
    const caller1 = await call('201', '250', 'uac-invite-auth-bye', 3000);
    await waitAnswered(caller1, 'the first call to be answered on the handset');
    const caller2 = await call('202', '250', 'uac-invite-auth-rejected');
    const c2 = await caller2.result();
    assert.equal(c2.outcome, 'ok', c2.errors);
    assert.equal(final(c2.messages).status, 486);
    const [c1, h] = await Promise.all([caller1.result(), handset.sipp.result()]);
    assert.equal(c1.outcome, 'ok', c1.errors);
    assert.equal(h.outcome, 'ok', h.errors);
    assert.ok(
      callArrivedAt(c2.messages) < first(h.messages, 'BYE').timeMs,
      'the second call came while the handset was connected',
    );
    assert.deepEqual(ladder(h.messages), ANSWERED, 'the handset saw only the first call');
    const d = await desk.sipp.stop();
    assert.deepEqual(ladder(d.messages), CANCELLED, 'the primary rang for the first call only');
    assert.equal(first(d.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
  });

  it('IT-4 maxTwinnedCalls 2: with one call connected at the primary the second call rings both phones (call waiting), and with two connected the third gets busy treatment', async () => {
    const desk = await phone('252', 'uas-answer', { ringMs: 300, calls: 2 });
    const handset = await phone('253', 'uas-never-answer', { calls: 3 });
    const caller1 = await call('201', '252', 'uac-invite-auth-bye', 3000);
    await waitAnswered(caller1, 'the first call to be answered at the primary');
    const caller2 = await call('202', '252', 'uac-invite-auth-bye', 3000);
    await waitAnswered(caller2, 'the second (waiting) call to be answered at the primary');
    const caller3 = await call('203', '252', 'uac-invite-auth-rejected');
    const c3 = await caller3.result();
    assert.equal(c3.outcome, 'ok', c3.errors);
    assert.equal(final(c3.messages).status, 486);
    const h = await handset.sipp.stop();
    const [c1, c2, d] = await Promise.all([caller1.result(), caller2.result(), desk.sipp.result()]);
    assert.equal(c1.outcome, 'ok', c1.errors);
    assert.equal(c2.outcome, 'ok', c2.errors);
    assert.equal(d.outcome, 'ok', d.errors);

    const deskInvites = invites(d.messages);
    const handsetInvites = invites(h.messages);
    assert.equal(deskInvites.length, 2, `the primary rang twice: ${ladder(d.messages).join(', ')}`);
    assert.equal(handsetInvites.length, 2, `the handset rang twice: ${ladder(h.messages).join(', ')}`);
    assert.deepEqual(ladder(h.messages), [...CANCELLED, ...CANCELLED]);
    const arrived2 = callArrivedAt(c2.messages);
    assert.ok(deskInvites[1]!.timeMs - arrived2 < AT_ONCE_MS, 'the waiting call rang the primary at once');
    assert.ok(handsetInvites[1]!.timeMs - arrived2 < AT_ONCE_MS, 'and the handset at the same time');
    assert.match(deskInvites[1]!.header('from') ?? '', /<sip:202@twinline>/);
    // Both calls were still connected when the third arrived.
    const byes = received(d.messages).filter((x) => x.method === 'BYE');
    assert.equal(byes.length, 2);
    assert.ok(callArrivedAt(c3.messages) < Math.min(...byes.map((x) => x.timeMs)));
  });

  it('APP-1 / IT-7 a bridged appearance holder rings with the user; with twinBridgeAppearances on its twinned handset rings too, with it off not', async () => {
    const ada = await phone('280', 'uas-never-answer');
    const bridget = await phone('281', 'uas-never-answer');
    const bridgetDect = await phone('282', 'uas-answer', { ringMs: 800 });
    const brian = await phone('283', 'uas-never-answer');
    const brianDect = await phone('284', 'uas-answer', { timeoutMs: 3000 });
    const caller = await call('201', '280');
    const [c, a, b, bd, r] = await Promise.all([
      caller.result(),
      ada.sipp.result(),
      bridget.sipp.result(),
      bridgetDect.sipp.result(),
      brian.sipp.result(),
    ]);
    for (const [who, x] of Object.entries({ caller: c, 280: a, 281: b, 282: bd, 283: r })) {
      assert.equal(x.outcome, 'ok', `${who}: ${x.errors}`);
    }
    const rang = first(a.messages, 'INVITE').timeMs;
    for (const [who, x] of Object.entries({ 281: b, 282: bd, 283: r })) {
      const apart = first(x.messages, 'INVITE').timeMs - rang;
      assert.ok(Math.abs(apart) < AT_ONCE_MS, `${who} rang ${apart.toFixed(0)} ms after the user`);
      assert.match(
        first(x.messages, 'INVITE').header('from') ?? '',
        /<sip:201@twinline>/,
        `${who} shows the caller`,
      );
    }
    assert.deepEqual(ladder(bd.messages), ANSWERED);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(bd.messages));
    for (const x of [a, b, r])
      assert.equal(first(x.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    const rd = await brianDect.sipp.result();
    assert.deepEqual(
      ladder(rd.messages),
      [],
      'twinBridgeAppearances off: the holder’s handset does not ring',
    );
  });

  it('APP-2 / IT-7 a coverage appearance holder rings after the Individual Coverage Time (1 s); with twinCoverageAppearances on its twinned handset rings too, with it off not', async () => {
    const cora = await phone('290', 'uas-never-answer');
    const cliff = await phone('291', 'uas-answer', { ringMs: 800 });
    const cliffDect = await phone('292', 'uas-never-answer');
    const cole = await phone('293', 'uas-never-answer');
    const coleDect = await phone('294', 'uas-answer', { timeoutMs: 3000 });
    const caller = await call('201', '290');
    const [c, a, b, bd, r] = await Promise.all([
      caller.result(),
      cora.sipp.result(),
      cliff.sipp.result(),
      cliffDect.sipp.result(),
      cole.sipp.result(),
    ]);
    for (const [who, x] of Object.entries({ caller: c, 290: a, 291: b, 292: bd, 293: r })) {
      assert.equal(x.outcome, 'ok', `${who}: ${x.errors}`);
    }
    const rang = first(a.messages, 'INVITE').timeMs;
    for (const [who, x] of Object.entries({ 291: b, 292: bd, 293: r })) {
      const after = first(x.messages, 'INVITE').timeMs - rang;
      assert.ok(
        after >= COVERAGE.min && after < COVERAGE.max,
        `${who} rang ${after.toFixed(0)} ms after the user (coverage time 1 s)`,
      );
    }
    assert.deepEqual(ladder(b.messages), ANSWERED);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(b.messages));
    for (const x of [a, bd, r])
      assert.equal(first(x.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    const rd = await coleDect.sipp.result();
    assert.deepEqual(
      ladder(rd.messages),
      [],
      'twinCoverageAppearances off: the holder’s handset does not ring',
    );
  });

  it('IT-8 in resilience mode internal twinning is off: only the primary rings; out of it the handset rings again', async () => {
    const api = await adminSession(server);
    const setResilience = async (on: boolean) => {
      const res = await api.send('PATCH', '/api/system', { resilienceMode: on });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    await setResilience(true);
    try {
      const desk = await phone('270', 'uas-answer', { ringMs: 800 });
      const handset = await phone('271', 'uas-answer', { timeoutMs: 3000 });
      const caller = await call('201', '270');
      const [c, d] = await Promise.all([caller.result(), desk.sipp.result()]);
      assert.equal(c.outcome, 'ok', c.errors);
      assert.equal(d.outcome, 'ok', d.errors);
      assert.deepEqual(ladder(d.messages), ANSWERED);
      const h = await handset.sipp.result();
      assert.deepEqual(ladder(h.messages), [], 'resilience mode: the twinned handset does not ring');
    } finally {
      await setResilience(false);
    }
    // The same pair out of resilience mode: the handset rings with the primary (IT-2).
    const desk = await phone('270', 'uas-never-answer');
    const handset = await phone('271', 'uas-answer', { ringMs: 300 });
    const caller = await call('201', '270');
    const [c, d, h] = await Promise.all([caller.result(), desk.sipp.result(), handset.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(h.outcome, 'ok', h.errors);
    const apart = Math.abs(first(h.messages, 'INVITE').timeMs - first(d.messages, 'INVITE').timeMs);
    assert.ok(apart < AT_ONCE_MS, `handset and primary ${apart.toFixed(0)} ms apart`);
    assert.deepEqual(ladder(h.messages), ANSWERED);
  });
});

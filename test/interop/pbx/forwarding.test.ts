/**
 * Forwarding, DND and Follow Me on real SIP, and how they meet mobile twinning (MT-4,
 * MT-9): every phone a registered SIPp process, the mobiles a SIPp peer on the carrier
 * trunk's port, callers digest-authenticated extensions. Dial delay 1 s, No Answer Time
 * 6 s where it is waited for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

/** Mobile twinning with a 1 s dial delay, to the given mobile number. */
const twinnedTo = (mobile: string) =>
  `{ mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '${mobile}', mobileDialDelay: 1 }`;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - { extension: '202', name: Bob, password: bob-secret }
  - extension: '220'
    name: Forwarding Fred
    password: fred-secret
    forwardUnconditional: { enabled: true, destination: '221' }
  - { extension: '221', name: Fred Cover, password: fred-cover-secret }
  - extension: '222'
    name: Forwarding Mo
    password: mo-secret
    licence: mobile-worker
    voicemail: { enabled: false }
    forwardUnconditional: { enabled: true, destination: '223' }
    mobility: ${twinnedTo('907700900222')}
  - { extension: '223', name: Mo Cover, password: mo-cover-secret }
  - extension: '224'
    name: Busy Bea
    password: bea-secret
    forwardOnBusy: { enabled: true, destination: '225' }
  - { extension: '225', name: Bea Cover, password: bea-cover-secret }
  - extension: '226'
    name: Absent Abe
    password: abe-secret
    noAnswerTime: 6
    forwardOnNoAnswer: { enabled: true, destination: '227' }
  - { extension: '227', name: Abe Cover, password: abe-cover-secret }
  - extension: '228'
    name: Quiet Quinn
    password: quinn-secret
    licence: mobile-worker
    noAnswerTime: 8
    voicemail: { enabled: false }
    dnd: true
    dndExceptions: ['201']
    mobility: ${twinnedTo('907700900228')}
  - extension: '230'
    name: Roaming Ray
    password: ray-secret
    licence: mobile-worker
    followMe: { enabled: true, destination: '231' }
    mobility: ${twinnedTo('907700900230')}
  - { extension: '231', name: Meeting Room, password: room-secret }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

const callers = { '201': 'alice-secret', '202': 'bob-secret' } as const;

function call(
  from: keyof typeof callers,
  to: string,
  scenario: 'uac-invite-auth-bye' | 'uac-invite-auth-rejected' = 'uac-invite-auth-bye',
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: to,
    auth: { user: from, pass: callers[from] },
    keys: { from_user: from, ...(scenario === 'uac-invite-auth-bye' ? { hold_ms: 100 } : {}) },
    timeoutMs: 20_000,
    name: `caller-${from}-to-${to}`,
  });
}

function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

/** The caller's final response to its authenticated INVITE, and the SDP it carried. */
function final(caller: readonly SippMessage[]): SippMessage {
  const m = received(caller)
    .filter((x) => x.kind === 'response' && x.method === 'INVITE' && (x.status ?? 0) >= 200)
    .at(-1);
  assert.ok(m, 'the caller got a final response');
  return m;
}

/** The 200 OK a phone sent to answer, to compare with what the caller was connected to. */
function answerOf(phone: readonly SippMessage[]): string {
  const ok = sent(phone).find((m) => m.status === 200 && m.method === 'INVITE');
  assert.ok(ok, 'the phone answered');
  return ok.body.replace(/\r/g, '');
}

const ANSWERED = ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200'];

describe('forwarding, DND and Follow Me over SIP', () => {
  it('forward unconditional to another extension: the destination rings and answers, the user’s own phone never rings', async () => {
    const own = await registeredPhone(server, '220', 'fred-secret', 'uas-answer', { timeoutMs: 3000 });
    const cover = await registeredPhone(server, '221', 'fred-cover-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const caller = await call('201', '220');
    const [c, f] = await Promise.all([caller.result(), cover.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(f.outcome, 'ok', f.errors);
    assert.deepEqual(ladder(f.messages), ANSWERED);
    assert.match(first(f.messages, 'INVITE').header('from') ?? '', /<sip:201@twinline>/, 'shows the caller');
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(f.messages));
    assert.deepEqual(ladder((await own.sipp.result()).messages), []);
  });

  it('MT-9 forward unconditional with mobile twinning: the forward destination rings at once and the mobile after the dial delay; the mobile answers and the destination is cancelled as completed elsewhere', async () => {
    const own = await registeredPhone(server, '222', 'mo-secret', 'uas-answer', { timeoutMs: 4000 });
    const cover = await registeredPhone(server, '223', 'mo-cover-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 1000 }, name: 'mobile-222' });
    const caller = await call('201', '222');
    const [c, f, m] = await Promise.all([caller.result(), cover.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(f.outcome, 'ok', f.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const coverInvite = first(f.messages, 'INVITE');
    const mobileInvite = first(m.messages, 'INVITE');
    const delay = mobileInvite.timeMs - coverInvite.timeMs;
    assert.ok(delay >= 950 && delay < 1300, `mobile ${delay.toFixed(0)} ms after the forward destination`);
    assert.equal(mobileInvite.requestUri, `sip:07700900222@127.0.0.1:${carrierPort}`);
    assert.match(mobileInvite.header('diversion') ?? '', /^<sip:222@twinline>/);
    assert.equal(first(f.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(m.messages));
    assert.deepEqual(ladder((await own.sipp.result()).messages), [], 'the user’s own phone does not ring');
  });

  it('forward on busy: the user’s phone answers 486 and the call goes to the forward destination', async () => {
    const own = await registeredPhone(server, '224', 'bea-secret', 'uas-busy');
    const cover = await registeredPhone(server, '225', 'bea-cover-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const caller = await call('201', '224');
    const [c, o, f] = await Promise.all([caller.result(), own.sipp.result(), cover.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(o.outcome, 'ok', o.errors);
    assert.equal(f.outcome, 'ok', f.errors);
    assert.deepEqual(ladder(o.messages), ['< INVITE', '> 100', '> 486', '< ACK']);
    assert.deepEqual(ladder(f.messages), ANSWERED);
    const after = first(f.messages, 'INVITE').timeMs - first(o.messages, 'ACK').timeMs;
    assert.ok(after < 300, `forwarded ${after.toFixed(0)} ms after the busy`);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(f.messages));
  });

  it('forward on no answer: after the No Answer Time (6 s) the user’s phone is cancelled and the forward destination rings', async () => {
    const own = await registeredPhone(server, '226', 'abe-secret', 'uas-never-answer');
    const cover = await registeredPhone(server, '227', 'abe-cover-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const caller = await call('201', '226');
    const [c, o, f] = await Promise.all([caller.result(), own.sipp.result(), cover.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(o.outcome, 'ok', o.errors);
    assert.equal(f.outcome, 'ok', f.errors);
    const rang = first(o.messages, 'INVITE').timeMs;
    const cancel = first(o.messages, 'CANCEL');
    assert.doesNotMatch(cancel.header('reason') ?? '', /cause=200/, 'a missed call, not completed elsewhere');
    const forwarded = first(f.messages, 'INVITE').timeMs - rang;
    assert.ok(
      forwarded >= 5900 && forwarded < 6600,
      `forwarded after ${forwarded.toFixed(0)} ms, No Answer Time 6 s`,
    );
    assert.deepEqual(ladder(f.messages), ANSWERED);
  });

  it('MT-4 DND with an exception caller: both the desk and the mobile ring for the exception', async () => {
    const desk = await registeredPhone(server, '228', 'quinn-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-228' });
    const caller = await call('201', '228');
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const delay = first(m.messages, 'INVITE').timeMs - first(d.messages, 'INVITE').timeMs;
    assert.ok(delay >= 950 && delay < 1300, `mobile ${delay.toFixed(0)} ms after the desk (dial delay 1 s)`);
    assert.equal(first(d.messages, 'CANCEL').header('reason'), COMPLETED_ELSEWHERE);
  });

  it('MT-4 DND for anyone else: neither the desk nor the mobile rings and the caller gets busy', async () => {
    const desk = await registeredPhone(server, '228', 'quinn-secret', 'uas-answer', { timeoutMs: 3000 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-228-unused', timeoutMs: 3000 });
    const caller = await call('202', '228', 'uac-invite-auth-rejected');
    const c = await caller.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(final(c.messages).status, 486);
    const [d, m] = await Promise.all([desk.sipp.result(), mobile.result()]);
    assert.deepEqual(ladder(d.messages), []);
    assert.deepEqual(ladder(m.messages), []);
  });

  it('MT-9 Follow Me: only the follow-me destination rings — not the user’s desk, not their mobile', async () => {
    const own = await registeredPhone(server, '230', 'ray-secret', 'uas-answer', { timeoutMs: 3000 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-230-unused', timeoutMs: 3000 });
    const room = await registeredPhone(server, '231', 'room-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const caller = await call('201', '230');
    const [c, r] = await Promise.all([caller.result(), room.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(r.outcome, 'ok', r.errors);
    assert.deepEqual(ladder(r.messages), ANSWERED);
    assert.equal(final(c.messages).body.replace(/\r/g, ''), answerOf(r.messages));
    const [o, m] = await Promise.all([own.sipp.result(), mobile.result()]);
    assert.deepEqual(ladder(o.messages), [], 'the desk does not ring');
    assert.deepEqual(ladder(m.messages), [], 'the mobile does not ring (more than 1 s after the call)');
  });
});

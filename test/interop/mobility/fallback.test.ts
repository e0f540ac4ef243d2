/**
 * Fallback twinning (FB) and twin when logged out (TWLO) on real SIP: the user's desk
 * phone cannot ring (never registered, or the user is logged out), so the mobile — a
 * SIPp peer on the carrier trunk's port — is the only thing that can. Callers are
 * extensions (digest-authenticated SIPp UACs): the carrier port is the mobile's.
 * Short configured times: dial delay 1 s (which must NOT be waited here, DD-1), No
 * Answer Time 6 s.
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
let voicemailPort: number;

/** How soon "at once" must be: an INVITE relayed through twinline on loopback. */
const AT_ONCE_MS = 300;

before(async () => {
  carrierPort = await freeUdpPort();
  voicemailPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
  voicemailUri: 'sip:voicemail@127.0.0.1:${voicemailPort}'
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - extension: '210'
    name: Fallback Fay
    password: fay-secret
    licence: mobile-worker
    noAnswerTime: 6
    mobility:
      mobilityFeatures: true
      mobileTwinning: false
      fallbackTwinning: true
      twinnedMobileNumber: '907700900210'
      mobileDialDelay: 1
  - extension: '211'
    name: Fallback Dan
    password: dan-secret
    licence: mobile-worker
    noAnswerTime: 6
    dnd: true
    mobility:
      mobilityFeatures: true
      mobileTwinning: false
      fallbackTwinning: true
      twinnedMobileNumber: '907700900211'
      mobileDialDelay: 1
  - extension: '213'
    name: Guarded Gus
    password: gus-secret
    licence: mobile-worker
    noAnswerTime: 6
    mobility:
      mobilityFeatures: true
      mobileTwinning: false
      fallbackTwinning: true
      twinnedMobileNumber: '907700900213'
      mobileDialDelay: 1
      mobileAnswerGuard: 1
  - extension: '212'
    name: Logged-out Lou
    password: lou-secret
    licence: mobile-worker
    noAnswerTime: 6
    loggedOut: true
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinWhenLoggedOut: true
      twinnedMobileNumber: '907700900212'
      mobileDialDelay: 1
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function aliceCalls(extension: string) {
  return startSipp({
    scenario: 'uac-invite-auth-bye',
    remote: server.address,
    service: extension,
    auth: { user: '201', pass: 'alice-secret' },
    keys: { from_user: '201', hold_ms: 100 },
    timeoutMs: 20_000,
    name: `caller-201-to-${extension}`,
  });
}

/** The moment the call reached twinline: the caller's authenticated INVITE (the second one). */
function callArrivedAt(caller: readonly SippMessage[]): number {
  const invites = sent(caller).filter((m) => m.method === 'INVITE' && m.kind === 'request');
  assert.equal(invites.length, 2, 'the caller sent the INVITE, then the authenticated INVITE');
  return invites[1]!.timeMs;
}

function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

describe('fallback twinning and twin when logged out over SIP', () => {
  it('FB-1 a user who never registered: the mobile is alerted at once (no dial delay) even with mobileTwinning off, and its answer connects the caller', async () => {
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 200 }, name: 'mobile-210' });
    const caller = await aliceCalls('210');
    const [c, m] = await Promise.all([caller.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(m.outcome, 'ok', m.errors);

    const invite = first(m.messages, 'INVITE');
    const after = invite.timeMs - callArrivedAt(c.messages);
    assert.ok(
      after >= 0 && after < AT_ONCE_MS,
      `mobile INVITE ${after.toFixed(0)} ms after the call arrived`,
    );
    assert.equal(invite.requestUri, `sip:07700900210@127.0.0.1:${carrierPort}`);
    assert.match(invite.header('diversion') ?? '', /^<sip:210@twinline>/, 'CLI-1: names the user');
    assert.deepEqual(ladder(m.messages), ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
    assert.deepEqual(
      received(c.messages)
        .filter((x) => x.status !== 100)
        .map((x) => `${x.status} ${x.method}`),
      ['407 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
    );
  });

  it('FB-2 DND blocks fallback twinning: the caller goes straight to the DND path (voicemail) and the mobile never rings', async () => {
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-211-unused', timeoutMs: 3000 });
    const voicemail = await peerOn(voicemailPort, 'uas-answer', { keys: { ring_ms: 10 }, name: 'voicemail' });
    const caller = await aliceCalls('211');
    const [c, v] = await Promise.all([caller.result(), voicemail.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(v.outcome, 'ok', v.errors);
    const vmInvite = first(v.messages, 'INVITE');
    assert.match(vmInvite.header('diversion') ?? '', /^<sip:211@twinline>;reason=do-not-disturb/);
    const after = vmInvite.timeMs - callArrivedAt(c.messages);
    assert.ok(after < AT_ONCE_MS, `voicemail ${after.toFixed(0)} ms after the call arrived`);
    // FB would have rung the mobile at once; 3 s later the carrier still has seen nothing.
    const m = await mobile.result();
    assert.deepEqual(ladder(m.messages), []);
  });

  it('FB-2 the answer guard still applies: a mobile voicemail answering at once is ACKed and hung up, and with nothing else ringing the call takes the no-answer path (voicemail) without waiting for the No Answer Time', async () => {
    const mobile = await peerOn(carrierPort, 'uas-answer-immediately', { name: 'mobile-213-voicemail' });
    const voicemail = await peerOn(voicemailPort, 'uas-answer', { keys: { ring_ms: 10 }, name: 'voicemail' });
    const caller = await aliceCalls('213');
    const [c, m, v] = await Promise.all([caller.result(), mobile.result(), voicemail.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(v.outcome, 'ok', v.errors);
    assert.deepEqual(ladder(m.messages), ['< INVITE', '> 200', '< ACK', '< BYE', '> 200']);
    const arrived = callArrivedAt(c.messages);
    assert.ok(first(m.messages, 'INVITE').timeMs - arrived < AT_ONCE_MS, 'the mobile rang at once');
    const vmInvite = first(v.messages, 'INVITE');
    assert.match(vmInvite.header('diversion') ?? '', /^<sip:213@twinline>;reason=no-answer/);
    const after = vmInvite.timeMs - first(m.messages, 'BYE').timeMs;
    assert.ok(
      after >= -50 && after < AT_ONCE_MS,
      `voicemail ${after.toFixed(0)} ms after the mobile was hung up`,
    );
    // The caller was connected once: to voicemail, never to the guarded mobile.
    const ok = received(c.messages).filter((x) => x.status === 200 && x.method === 'INVITE');
    assert.equal(ok.length, 1);
    const vmOk = sent(v.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    assert.equal(ok[0]!.body.replace(/\r/g, ''), vmOk.body.replace(/\r/g, ''));
  });

  it('TWLO-1 a logged-out user (still registered): only the mobile rings, at once, and the desk phone never does', async () => {
    const desk = await registeredPhone(server, '212', 'lou-secret', 'uas-answer', { timeoutMs: 3000 });
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 200 }, name: 'mobile-212' });
    const caller = await aliceCalls('212');
    const [c, m] = await Promise.all([caller.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const invite = first(m.messages, 'INVITE');
    const after = invite.timeMs - callArrivedAt(c.messages);
    assert.ok(
      after >= 0 && after < AT_ONCE_MS,
      `mobile INVITE ${after.toFixed(0)} ms after the call arrived`,
    );
    assert.equal(invite.requestUri, `sip:07700900212@127.0.0.1:${carrierPort}`);
    const d = await desk.sipp.result();
    assert.deepEqual(ladder(d.messages), [], 'the logged-out desk phone is not offered the call');
  });

  it('TWLO-2 the No Answer Time still applies: a mobile that never answers is cancelled at 6 s and the call goes to voicemail with a Diversion naming the user', async () => {
    const mobile = await peerOn(carrierPort, 'uas-never-answer', { name: 'mobile-212-no-answer' });
    const voicemail = await peerOn(voicemailPort, 'uas-answer', { keys: { ring_ms: 10 }, name: 'voicemail' });
    const caller = await aliceCalls('212');
    const [c, m, v] = await Promise.all([caller.result(), mobile.result(), voicemail.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(v.outcome, 'ok', v.errors);
    const arrived = callArrivedAt(c.messages);
    const mobileInvite = first(m.messages, 'INVITE');
    assert.ok(mobileInvite.timeMs - arrived < AT_ONCE_MS, 'the mobile rang at once');
    const cancel = first(m.messages, 'CANCEL');
    assert.doesNotMatch(cancel.header('reason') ?? '', /cause=200/, 'a missed call, not completed elsewhere');
    const vmInvite = first(v.messages, 'INVITE');
    assert.match(vmInvite.header('diversion') ?? '', /^<sip:212@twinline>;reason=no-answer/);
    const waited = vmInvite.timeMs - arrived;
    assert.ok(waited >= 5900 && waited < 6600, `voicemail after ${waited.toFixed(0)} ms, No Answer Time 6 s`);
    assert.ok(
      cancel.timeMs <= vmInvite.timeMs + 50,
      'the mobile is cancelled when the no-answer path starts',
    );
  });
});

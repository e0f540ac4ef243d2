/**
 * Twinning Handover and Mobile Twinned Call Pickup (BTN-1) on real SIP: SIPp desk phones
 * dial the short codes while a call is connected, and the other party — a SIPp caller
 * that never leaves its dialog — is re-INVITEd towards the phone that now has the call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, type SippMessage, type SippRun, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    voicemail: { enabled: false }
    transferReturnTime: 3
    mobility:
      mobilityFeatures: true
      mobileTwinning: false
      twinnedMobileNumber: '907700900201'
  - extension: '204'
    name: Dave
    password: dave-secret
    licence: mobile-worker
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900204'
      mobileDialDelay: 0
  - { extension: '202', name: Bob, password: bob-secret }
shortCodes:
  - { code: '*93', feature: twinningHandover }
  - { code: '*94', feature: twinnedCallPickup }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

const mediaPort = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
const isAck = (m: SippMessage) => m.direction === 'received' && m.method === 'ACK';

/** Bob (202) calls `to` and stays in the call while the other party changes. */
function bobCalls(
  to: string,
  scenario: 'uac-invite-auth-reinvited-bye' | 'uac-invite-auth-reinvited-wait-bye',
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: to,
    auth: { user: '202', pass: 'bob-secret' },
    keys: { from_user: '202', ...(scenario === 'uac-invite-auth-reinvited-bye' ? { hold_ms: 1000 } : {}) },
    timeoutMs: 30_000,
    name: `bob-to-${to}`,
  });
}

/** The user's desk phone dials a short code (a second line, as a desk phone would). */
function deskDials(
  user: { extension: string; password: string },
  code: string,
  scenario: 'uac-invite-auth-wait-bye' | 'uac-invite-auth-bye',
) {
  return startSipp({
    scenario,
    remote: server.address,
    service: code,
    auth: { user: user.extension, pass: user.password },
    keys: { from_user: user.extension, ...(scenario === 'uac-invite-auth-bye' ? { hold_ms: 500 } : {}) },
    timeoutMs: 20_000,
    name: `dial-${user.extension}-${code.replace(/\*/g, 'star')}`,
  });
}

async function allOk(runs: SippRun[]) {
  const results = await Promise.all(runs.map((r) => r.result()));
  for (const [i, r] of results.entries()) assert.equal(r.outcome, 'ok', `${runs[i]!.name}: ${r.errors}`);
  return results;
}

describe('twinning handover and pickup', () => {
  it('BTN-1 handover: *93 at the desk releases it, the mobile rings (twinning off) and answers, and Bob is re-INVITEd with the mobile’s media', async () => {
    const alice = { extension: '201', password: 'alice-secret' };
    const desk = await registeredPhone(server, '201', alice.password, 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-201' });
    const bob = await bobCalls('201', 'uac-invite-auth-reinvited-bye');
    await desk.sipp.waitForMessage(isAck, { timeoutMs: 10_000, what: 'the desk to be connected' });
    const code = deskDials(alice, '*93', 'uac-invite-auth-wait-bye');
    const [b, d, m, c] = await allOk([bob, desk.sipp, mobile, await code]);

    const deskBye = received(d!.messages).find((x) => x.kind === 'request' && x.method === 'BYE')!;
    const mobileInvite = received(m!.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    assert.ok(mobileInvite.requestUri?.startsWith('sip:07700900201@'), mobileInvite.requestUri);
    assert.ok(mobileInvite.timeMs >= deskBye.timeMs - 50, 'the mobile rings once the desk is released');
    const mobileAnswer = m!.messages.find((x) => x.direction === 'sent' && x.status === 200)!;
    const reinvite = received(b!.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
    assert.equal(reinvite.length, 1, 'one re-INVITE');
    assert.equal(mediaPort(reinvite[0]!.body), mediaPort(mobileAnswer.body), 'Bob now talks to the mobile');
    assert.ok(
      received(c!.messages).some((x) => x.status === 200 && x.method === 'INVITE'),
      'code confirmed',
    );
    assert.ok(
      received(m!.messages).some((x) => x.method === 'BYE'),
      'Bob’s hang-up reaches the mobile',
    );
  });

  it('BTN-1 handover not answered: the mobile is CANCELled after the Transfer Return Time (3 s) and the desk rings again and takes Bob back', async () => {
    const alice = { extension: '201', password: 'alice-secret' };
    const desk = await registeredPhone(server, '201', alice.password, 'uas-answer', {
      keys: { ring_ms: 100 },
      calls: 2,
    });
    const mobile = await peerOn(carrierPort, 'uas-never-answer', { name: 'mobile-201-silent' });
    const bob = await bobCalls('201', 'uac-invite-auth-reinvited-bye');
    await desk.sipp.waitForMessage(isAck, { timeoutMs: 10_000, what: 'the desk to be connected' });
    const code = deskDials(alice, '*93', 'uac-invite-auth-wait-bye');
    const [b, d, m] = await allOk([bob, desk.sipp, mobile, await code]);

    const invite = received(m!.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    const cancel = received(m!.messages).find((x) => x.kind === 'request' && x.method === 'CANCEL')!;
    const waited = cancel.timeMs - invite.timeMs;
    assert.ok(waited >= 2900 && waited < 3800, `CANCEL ${waited} ms after the INVITE`);
    const deskInvites = received(d!.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
    assert.equal(deskInvites.length, 2, 'the desk rang again');
    assert.ok(deskInvites[1]!.timeMs >= cancel.timeMs - 50);
    const deskAnswer = d!.messages.filter(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    );
    const reinvite = received(b!.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
    assert.equal(reinvite.length, 1);
    assert.equal(
      mediaPort(reinvite[0]!.body),
      mediaPort(deskAnswer.at(-1)!.body),
      'Bob is back with the desk',
    );
  });

  it('BTN-1 pickup: *94 at the desk takes the call from the mobile; Bob is re-INVITEd towards the desk and the mobile gets BYE', async () => {
    const dave = { extension: '204', password: 'dave-secret' };
    const desk = await registeredPhone(server, '204', dave.password, 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 300 }, name: 'mobile-204' });
    const bob = await bobCalls('204', 'uac-invite-auth-reinvited-wait-bye');
    await mobile.waitForMessage(isAck, { timeoutMs: 10_000, what: 'the mobile to be connected' });
    const pickup = deskDials(dave, '*94', 'uac-invite-auth-bye');
    const [b, , m, p] = await allOk([bob, desk.sipp, mobile, await pickup]);

    const pickupInvite = p!.messages.find((x) => x.direction === 'sent' && x.method === 'INVITE')!;
    const pickupAnswer = received(p!.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    const bobInvite = b!.messages.find((x) => x.direction === 'sent' && x.method === 'INVITE')!;
    assert.equal(mediaPort(pickupAnswer.body), mediaPort(bobInvite.body), 'the desk talks to Bob');
    const reinvite = received(b!.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
    assert.equal(reinvite.length, 1);
    assert.equal(mediaPort(reinvite[0]!.body), mediaPort(pickupInvite.body), 'Bob talks to the desk');
    const mobileBye = received(m!.messages).find((x) => x.kind === 'request' && x.method === 'BYE')!;
    assert.ok(mobileBye.timeMs <= reinvite[0]!.timeMs + 1000, 'the mobile is released at the pickup');
    assert.ok(
      received(b!.messages).some((x) => x.method === 'BYE'),
      'the desk’s hang-up ends Bob’s call',
    );
  });
});

/**
 * Mobile twinning on real SIP calls: an extension calls a twinned user whose desk phone
 * and mobile (reached through the carrier trunk) are SIPp processes on 127.0.0.1.
 * Short configured times keep it fast: dial delay 1 s, answer guard 1 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extensionCalls, peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received } from '../../support/sipp.js';
import { adminSession, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: 8
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 1
      mobileAnswerGuard: 1
  - { extension: '202', name: Bob, password: bob-secret }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

const bobCalls201 = () => extensionCalls(server, { extension: '202', password: 'bob-secret' }, '201');

describe('mobile twinning over SIP', () => {
  it('MT-1 the desk rings at once and the mobile after the dial delay, through the carrier without the prefix; MT-3 the mobile answers and the desk is cancelled as completed elsewhere', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 1500 }, name: 'mobile' });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);

    const deskInvite = received(d.messages).find((x) => x.method === 'INVITE')!;
    const mobileInvite = received(m.messages).find((x) => x.method === 'INVITE')!;
    const delay = mobileInvite.timeMs - deskInvite.timeMs;
    assert.ok(
      delay >= 950 && delay < 1300,
      `mobile leg ${delay.toFixed(0)} ms after the desk (dial delay 1 s)`,
    );
    assert.equal(mobileInvite.requestUri, `sip:07700900201@127.0.0.1:${carrierPort}`);
    // CLI-1: the original caller, with a Diversion naming the user the call was for.
    assert.match(mobileInvite.header('p-asserted-identity') ?? '', /sip:202@/);
    assert.match(mobileInvite.header('diversion') ?? '', /^<sip:201@twinline>/);

    const cancel = received(d.messages).find((x) => x.method === 'CANCEL')!;
    assert.equal(cancel.header('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  });

  it('AG-1 a mobile answering inside the guard is hung up while the desk keeps ringing, and the desk then takes the call', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-answer', {
      keys: { ring_ms: 2500 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer-immediately', { name: 'mobile-voicemail' });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    // The mobile's answer was ACKed, then hung up at once; it was never bridged.
    const fromMobile = received(m.messages).map((x) => x.method);
    assert.deepEqual(fromMobile, ['INVITE', 'ACK', 'BYE']);
    const ok = received(c.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    const deskOk = d.messages.find(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    );
    assert.ok(deskOk, 'the desk phone answered');
    assert.equal(
      ok.body.replace(/\r/g, ''),
      deskOk.body.replace(/\r/g, ''),
      'the caller got the desk phone’s SDP answer',
    );
  });

  it('MT-2 a call answered at the desk within the dial delay never places the mobile leg', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-answer', {
      keys: { ring_ms: 300 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer', { name: 'mobile-unused', timeoutMs: 4000 });
    const caller = await bobCalls201();
    const [c, d] = await Promise.all([caller.result(), desk.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    // Past the moment the mobile leg would have started (1 s), the carrier has seen nothing.
    const m = await mobile.result();
    assert.equal(m.messages.length, 0);
  });

  it('CLI-1 a carrier refusing the original caller ID (403, Q.850 cause 21) gets the twin leg again at once with the trunk’s own number, the caller kept as display name', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-cli-screening', {
      calls: 2,
      keys: { ring_ms: 1500 },
      name: 'screening-carrier',
    });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const invites = received(m.messages).filter((x) => x.method === 'INVITE');
    assert.equal(invites.length, 2, 'one refusal, one retry');
    assert.match(invites[0]!.header('p-asserted-identity') ?? '', /<sip:202@/);
    assert.match(invites[1]!.header('from') ?? '', /^"Bob" <sip:441632960000@twinline>/);
    assert.ok(invites[1]!.timeMs - invites[0]!.timeMs < 300, 'retried at once');
    assert.notEqual(invites[0]!.header('call-id'), invites[1]!.header('call-id'));
  });

  it('CFG-4 a dial delay changed while a call is alerting leaves that call as it started; the next call uses the new value', async () => {
    const api = await adminSession(server);
    const set = async (delay: number) => {
      const r = await api.send('PATCH', '/api/users/201', { mobility: { mobileDialDelay: delay } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    await set(3);
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer', { calls: 2 });
    const mobile = await peerOn(carrierPort, 'uas-answer', {
      calls: 2,
      keys: { ring_ms: 1500 },
      name: 'mobile-cfg4',
    });
    // First call: the delay in force is 3 s; it changes to 1 s while the desk rings.
    const first = await bobCalls201();
    await desk.sipp.waitForMessage((x) => x.direction === 'received' && x.method === 'INVITE', {
      timeoutMs: 5000,
      what: 'the first call to ring the desk',
    });
    await set(1);
    assert.equal((await first.result()).outcome, 'ok');
    const second = await bobCalls201();
    assert.equal((await second.result()).outcome, 'ok');
    const [d, m] = await Promise.all([desk.sipp.result(), mobile.result()]);
    const deskInvites = received(d.messages).filter((x) => x.method === 'INVITE');
    const mobileInvites = received(m.messages).filter((x) => x.method === 'INVITE');
    assert.equal(deskInvites.length, 2);
    assert.equal(mobileInvites.length, 2);
    const delays = mobileInvites.map((x, i) => x.timeMs - deskInvites[i]!.timeMs);
    assert.ok(
      delays[0]! >= 2950 && delays[0]! < 3400,
      `first call kept its 3 s delay (${delays[0]!.toFixed(0)} ms)`,
    );
    assert.ok(
      delays[1]! >= 950 && delays[1]! < 1400,
      `second call used the new 1 s delay (${delays[1]!.toFixed(0)} ms)`,
    );
  });
});

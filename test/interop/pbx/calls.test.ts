/**
 * Calls through a running `twinline start`, every party a real SIPp process on 127.0.0.1:
 * registered desk phones, a carrier trunk peer and a voicemail server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { rawSipClient } from '../../support/raw-sip.js';
import { ladder, received, startSipp } from '../../support/sipp.js';
import { adminSession, startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;
let voicemailPort: number;

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
  - { extension: '202', name: Bob, password: bob-secret, noAnswerTime: 6 }
  - { extension: '203', name: Carol, password: carol-secret, voicemail: { enabled: false } }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '441632960202', destination: '202' }
  - { trunk: carrier, ddi: '441632960203', destination: '203' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function callFrom201(service: string) {
  return startSipp({
    scenario: 'uac-invite-auth-bye',
    remote: server.address,
    service,
    auth: { user: '201', pass: 'alice-secret' },
    keys: { from_user: '201', hold_ms: 100 },
    timeoutMs: 15_000,
    name: `caller-201-${service}`,
  });
}

function callFromCarrier(
  ddi: string,
  scenario: 'uac-invite-bye' | 'uac-invite-cancel' | 'uac-invite-rejected' = 'uac-invite-bye',
) {
  return startSipp({
    scenario,
    remote: server.address,
    localPort: carrierPort,
    service: ddi,
    keys: { from_user: '01632960001' },
    timeoutMs: 15_000,
    name: `carrier-${scenario}`,
  });
}

describe('calls through the B2BUA', () => {
  it('internal call: 201 authenticates (407) and reaches 202, who answers; BYE ends both sides', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer', { keys: { ring_ms: 100 } });
    const alice = await callFrom201('202');
    const [a, b] = await Promise.all([alice.result(), bob.sipp.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.deepEqual(
      received(a.messages)
        .filter((m) => m.status !== 100)
        .map((m) => `${m.status} ${m.method}`),
      ['407 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
    );
    const invite = received(b.messages).find((m) => m.method === 'INVITE')!;
    assert.match(invite.header('from') ?? '', /"Alice" <sip:201@twinline>/);
    assert.match(invite.body, /m=audio \d+ RTP\/AVP 0 101/, 'the caller’s SDP offer passes through');
    assert.deepEqual(ladder(b.messages), ['< INVITE', '> 100', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
  });

  it('inbound DDI call from the carrier rings the routed user', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer', { keys: { ring_ms: 100 } });
    const carrier = await callFromCarrier('441632960202');
    const [c, b] = await Promise.all([carrier.result(), bob.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    const invite = received(b.messages).find((m) => m.method === 'INVITE')!;
    assert.match(invite.header('from') ?? '', /<sip:01632960001@twinline>/);
  });

  it('outbound call via the outside-line prefix reaches the carrier without the prefix', async () => {
    const carrier = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 50 }, name: 'carrier-uas' });
    const alice = await callFrom201('901632960999');
    const [a, c] = await Promise.all([alice.result(), carrier.result()]);
    assert.equal(a.outcome, 'ok', a.errors);
    assert.equal(c.outcome, 'ok', c.errors);
    const invite = received(c.messages).find((m) => m.method === 'INVITE')!;
    assert.equal(invite.requestUri, `sip:01632960999@127.0.0.1:${carrierPort}`);
    assert.match(
      invite.header('p-asserted-identity') ?? '',
      /sip:441632960000@/,
      'the trunk’s own number, not the extension',
    );
  });

  it('CANCEL from the caller cancels the ringing desk phone without "completed elsewhere"', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-never-answer');
    const carrier = await callFromCarrier('441632960202', 'uac-invite-cancel');
    const [c, b] = await Promise.all([carrier.result(), bob.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    const cancel = received(b.messages).find((m) => m.method === 'CANCEL')!;
    assert.doesNotMatch(cancel.header('reason') ?? '', /cause=200/);
  });

  it('busy: a desk phone answering 486 gives the caller 486 when there is no voicemail', async () => {
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-busy');
    const carrier = await callFromCarrier('441632960203', 'uac-invite-rejected');
    const [c, b] = await Promise.all([carrier.result(), carol.sipp.result()]);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(received(c.messages).at(-1)?.status, 486);
  });

  it('MT-5 no answer within the No Answer Time: the call goes to voicemail with a Diversion naming the user', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-never-answer');
    const voicemail = await peerOn(voicemailPort, 'uas-answer', { keys: { ring_ms: 10 }, name: 'voicemail' });
    const carrier = await callFromCarrier('441632960202');
    const [c, b, v] = await Promise.all([carrier.result(), bob.sipp.result(), voicemail.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    assert.equal(v.outcome, 'ok', v.errors);
    const ringAt = received(b.messages)[0]!.timeMs;
    const vmInvite = received(v.messages).find((m) => m.method === 'INVITE')!;
    assert.match(vmInvite.header('diversion') ?? '', /^<sip:202@twinline>;reason=no-answer/);
    const waited = vmInvite.timeMs - ringAt;
    assert.ok(waited >= 5900 && waited < 7000, `voicemail after ${waited} ms, No Answer Time 6 s`);

    // SEE-1: the call record names each leg with its reason and how it ended.
    const api = await adminSession(server);
    const records = (await api.get('/api/cdrs?user=202&limit=5')) as {
      to: string;
      legs: { reason: string; endReason?: string }[];
    }[];
    const record = records.find(
      (r) => r.to === '441632960202' && r.legs.some((l) => l.reason === 'voicemail'),
    );
    assert.ok(record, 'the call has a record');
    assert.deepEqual(
      record.legs.map((l) => [l.reason, l.endReason]),
      [
        ['primary', 'noAnswer'],
        ['voicemail', 'completed'],
      ],
    );
  });

  it('refuses an unauthenticated INVITE from an unknown address with 407, and never reaches the trunk', async () => {
    const client = await rawSipClient({ address: '127.0.0.1', port: server.port });
    try {
      client.send(
        [
          `INVITE sip:901632960999@127.0.0.1:${server.port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-fraud-1;rport`,
          'Max-Forwards: 70',
          'From: <sip:attacker@evil.example>;tag=x1',
          `To: <sip:901632960999@127.0.0.1>`,
          'Call-ID: toll-fraud-1@127.0.0.1',
          'CSeq: 1 INVITE',
          `Contact: <sip:attacker@127.0.0.1:${client.port}>`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      let res = await client.next();
      while (res.status < 200) res = await client.next();
      assert.equal(res.status, 407);
      assert.match(res.headers.get('proxy-authenticate') ?? '', /^Digest realm="twinline"/);
    } finally {
      client.close();
    }
  });
});

/**
 * The mobile features reached by DDI (spec §10) on real SIP: the user's own mobile calls
 * in through the carrier trunk, recognised by its caller ID (MCC-3).
 *   FNE 31 (mobile dial tone): answered with dial tone; the keys dialled are called as the user.
 *   FNE 32 (mobile direct access): the digits after the DDI are dialled at once as the user.
 *   FNE 33 (mobile callback): never answered; hung up in time, twinline calls the mobile back
 *   with dial tone and the keys dialled are called as the user (MCB-1, MCB-2).
 *   A caller ID that matches no user is refused and counted (MCC-4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, startSipp } from '../../support/sipp.js';
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
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileCallControl: true
      mobileCallback: true
  - { extension: '203', name: Carol, password: carol-secret }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '441632960031', destination: fne31 }
  - { trunk: carrier, ddi: '441632960032', destination: fne32 }
  - { trunk: carrier, ddi: '441632960033', destination: fne33 }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

function fromMobile(
  scenario: 'uac-invite-bye' | 'uac-invite-rejected' | 'uac-invite-keys-wait-bye',
  ddi: string,
  callerId: string,
) {
  return startSipp({
    scenario,
    remote: server.address,
    localPort: carrierPort,
    service: ddi,
    keys: { from_user: callerId, hold_ms: 300 },
    timeoutMs: 15_000,
    name: `mobile-${ddi}`,
  });
}

describe('mobile features by DDI', () => {
  it('MDA-1 FNE 32: the digits after the DDI are dialled at once as the user', async () => {
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-answer', {
      keys: { ring_ms: 100 },
    });
    const mobile = await fromMobile('uac-invite-bye', '441632960032203', '07700900201');
    const [m, k] = await Promise.all([mobile.result(), carol.sipp.result()]);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    const invite = received(k.messages).find((x) => x.method === 'INVITE')!;
    assert.match(invite.header('from') ?? '', /^"Alice" <sip:201@twinline>/);
  });

  it('MCC-3 FNE 31: the user’s mobile gets dial tone, keys 203#, and 203 is called as the user; its hang-up ends the call', async () => {
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 100, hold_ms: 300 },
    });
    const mobile = await fromMobile('uac-invite-keys-wait-bye', '441632960031', '07700900201');
    const [m, k] = await Promise.all([mobile.result(), carol.sipp.result()]);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    const answer = received(m.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    const mobileInvite = m.messages.find((x) => x.direction === 'sent' && x.method === 'INVITE')!;
    const port = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
    assert.notEqual(port(answer.body), port(mobileInvite.body), 'answered by twinline’s relay');
    const toCarol = received(k.messages).find((x) => x.method === 'INVITE')!;
    assert.match(toCarol.header('from') ?? '', /^"Alice" <sip:201@twinline>/);
    assert.ok(
      received(m.messages).some((x) => x.method === 'BYE'),
      'the mobile is hung up when 203 ends the call',
    );
  });

  it('MCB-1 / MCB-2 FNE 33: the request only rings; hung up after 1 s, the mobile is called back within 5 s, answers, hears dial tone, keys 203#, and 203 is called as the user', async () => {
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 100, hold_ms: 500 },
    });
    const request = await startSipp({
      scenario: 'uac-invite-cancel',
      remote: server.address,
      localPort: carrierPort,
      service: '441632960033',
      keys: { from_user: '07700900201', cancel_after_ms: 1000 },
      timeoutMs: 15_000,
      name: 'mobile-fne33-request',
    });
    const r = await request.result();
    assert.equal(r.outcome, 'ok', r.errors);
    assert.deepEqual(
      received(r.messages)
        .filter((x) => x.method === 'INVITE' && x.status !== 100)
        .map((x) => x.status),
      [180, 487],
      'never answered: ringing, then the 487 for the CANCEL',
    );
    const hungUpAt = r.messages.find((x) => x.direction === 'sent' && x.method === 'CANCEL')!.timeMs;
    // The request's SIPp has exited; the mobile now answers on the trunk's port.
    const mobile = await peerOn(carrierPort, 'uas-answer-keys-203', {
      keys: { ring_ms: 200, press_after_ms: 500 },
      name: 'mobile-callback',
      timeoutMs: 20_000,
    });
    const [m, k] = await Promise.all([mobile.result(), carol.sipp.result()]);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    const callback = received(m.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    const after = callback.timeMs - hungUpAt;
    assert.ok(after > 0 && after < 5000, `called back ${Math.round(after)} ms after the hang-up`);
    assert.ok(callback.requestUri?.startsWith('sip:07700900201@'), callback.requestUri);
    assert.match(callback.header('from') ?? '', /441632960000/, 'presented as the trunk’s own number');
    const toCarol = received(k.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    assert.match(toCarol.header('from') ?? '', /^"Alice" <sip:201@twinline>/);
    assert.ok(
      received(m.messages).some((x) => x.kind === 'request' && x.method === 'BYE'),
      'the mobile is hung up when 203 ends the call',
    );
  });

  it('MCC-4 a caller ID that matches no user gets no dial tone: 403, logged and counted', async () => {
    const stranger = await fromMobile('uac-invite-rejected', '441632960031', '07700900999');
    const r = await stranger.result();
    assert.equal(received(r.messages).at(-1)?.status, 403);
    await server.process.waitForOutput(/"callerId":"07700900999"[^\n]*"msg":"mobile feature refused"/, {
      timeoutMs: 5000,
      what: 'the refusal to be logged with the caller ID',
    });
  });
});

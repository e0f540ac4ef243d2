/**
 * CONF-1 on real SIP and RTP: the mobile leg runs through twinline's relay; when the
 * mobile answers, twinline plays a prompt to it and connects the caller only once the
 * user presses 1 (RFC 4733, played by SIPp from Debian's capture). A mobile that answers
 * and presses nothing — a voicemail answering after the guard — is hung up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extensionCalls, peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received } from '../../support/sipp.js';
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
    noAnswerTime: 12
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 1
      mobileAnswerConfirm: keypress
      mobileAnswerConfirmTimeout: 3
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

const bobCalls201 = () =>
  extensionCalls(server, { extension: '202', password: 'bob-secret' }, '201', { holdMs: 200 });

describe('keypress confirmation on the mobile leg (CONF-1)', () => {
  it('CONF-1 the mobile answers and presses 1: only then is the caller connected, through the relay, and the desk cancelled as completed elsewhere', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer-press-1', {
      keys: { ring_ms: 200, press_after_ms: 500 },
      name: 'mobile-person',
    });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);

    const mobileInvite = received(m.messages).find((x) => x.method === 'INVITE')!;
    const mobileOk = m.messages.find(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    )!;
    const callerOk = received(c.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    // The mobile was offered twinline's relay, not the caller's media.
    const port = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
    assert.notEqual(
      port(mobileInvite.body),
      port(received(desk.sipp.messages()).find((x) => x.method === 'INVITE')!.body),
    );
    // The caller is answered only after the keypress (sent 500 ms after the mobile's ACK).
    assert.ok(
      callerOk.timeMs - mobileOk.timeMs >= 450,
      `connected ${(callerOk.timeMs - mobileOk.timeMs).toFixed(0)} ms after the mobile answered`,
    );
    assert.notEqual(port(callerOk.body), port(mobileOk.body), 'the caller talks to the relay');
    const cancel = received(d.messages).find((x) => x.method === 'CANCEL')!;
    assert.equal(cancel.header('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  });

  it('CONF-1 with MCC-2 SIP INFO: a mobile whose trunk sends its 1 as an application/dtmf-relay INFO confirms too; the caller is connected after it', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer-press-1-info', {
      keys: { ring_ms: 200, press_after_ms: 500 },
      name: 'mobile-person-info',
    });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const info = m.messages.find((x) => x.direction === 'sent' && x.method === 'INFO')!;
    const callerOk = received(c.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    assert.ok(callerOk.timeMs >= info.timeMs, 'connected once the INFO came');
    assert.ok(
      received(m.messages).some((x) => x.status === 200 && x.method === 'INFO'),
      'INFO answered',
    );
  });

  it('CONF-1 a mobile that answers and presses nothing is hung up after the confirm timeout; the desk keeps ringing and takes the call', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-answer', {
      keys: { ring_ms: 5500 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer-immediately', { name: 'mobile-voicemail-late' });
    const caller = await bobCalls201();
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const mobileOk = m.messages.find(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    )!;
    const bye = received(m.messages).find((x) => x.method === 'BYE')!;
    const waited = bye.timeMs - mobileOk.timeMs;
    assert.ok(
      waited >= 2900 && waited < 3600,
      `unconfirmed mobile hung up after ${waited.toFixed(0)} ms (timeout 3 s)`,
    );
    const callerOk = received(c.messages).find((x) => x.status === 200 && x.method === 'INVITE')!;
    const deskOk = d.messages.find(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    )!;
    assert.equal(
      callerOk.body.replace(/\r/g, ''),
      deskOk.body.replace(/\r/g, ''),
      'the caller got the desk’s answer',
    );
  });
});

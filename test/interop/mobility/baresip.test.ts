/**
 * baresip — a real softphone, headless, driven over its control socket — as the desk
 * phone: it registers with digest, rings, answers on accept() and sees the caller hang up;
 * then the full mobile twinning flow with baresip at the desk and a SIPp mobile on the
 * carrier trunk's port (dial delay 1 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Baresip, startBaresip } from '../../support/baresip.js';
import { peerOn } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { ladder, received, type SippMessage, sent, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;
const phones: Baresip[] = [];

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
users:
  - { extension: '201', name: Alice, password: alice-secret }
  - { extension: '240', name: Desk Dee, password: dee-secret-240, voicemail: { enabled: false } }
  - extension: '241'
    name: Twin Tom
    password: tom-secret-241
    licence: mobile-worker
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900241'
      mobileDialDelay: 1
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '441632960240', destination: '240' }
`,
  });
});
after(async () => {
  for (const p of phones) await p.stop().catch(() => undefined);
  await server?.stop();
  await stopAllProcesses();
});

/** baresip registered as `user` at twinline (domain 'twinline'), stopped by PID in `after`. */
async function baresipDesk(user: string, password: string): Promise<Baresip> {
  const phone = await startBaresip({ user, password, registrar: server.address, domain: 'twinline' });
  phones.push(phone);
  await phone.waitForEvent('REGISTER_OK', { timeoutMs: 5000 });
  return phone;
}

function first(messages: readonly SippMessage[], method: string): SippMessage {
  const m = received(messages).find((x) => x.kind === 'request' && x.method === method);
  assert.ok(m, `expected a ${method}; got ${ladder(messages).join(', ') || 'nothing'}`);
  return m;
}

describe('baresip as the desk phone', () => {
  it('registers, rings for a carrier call, answers on accept(), and sees the caller hang up', async () => {
    const desk = await baresipDesk('240', 'dee-secret-240');
    const caller = await startSipp({
      scenario: 'uac-invite-bye',
      remote: server.address,
      localPort: carrierPort,
      service: '441632960240',
      keys: { from_user: '01632960001', hold_ms: 500 },
      timeoutMs: 15_000,
      name: 'carrier-caller',
    });
    const incoming = await desk.waitForEvent('CALL_INCOMING', { timeoutMs: 5000 });
    assert.match(incoming.peeruri ?? '', /^sip:01632960001@/, 'baresip sees the carrier caller');
    await desk.accept();
    await desk.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });
    await desk.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });

    const c = await caller.result();
    assert.equal(c.outcome, 'ok', c.errors);
    assert.deepEqual(
      received(c.messages).map((m) => `${m.status} ${m.method}`),
      ['100 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
    );
    assert.match(
      received(c.messages).find((m) => m.status === 200 && m.method === 'INVITE')!.body,
      /^m=audio \d+ RTP\/AVP 0\b/m,
      'baresip’s PCMU answer reached the caller',
    );
  });

  it('MT-1 the mobile rings 1 s after the call reaches the desk; MT-3 baresip answers and the mobile is cancelled as completed elsewhere', async () => {
    const desk = await baresipDesk('241', 'tom-secret-241');
    const mobile = await peerOn(carrierPort, 'uas-never-answer', { name: 'mobile-241' });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '241',
      auth: { user: '201', pass: 'alice-secret' },
      keys: { from_user: '201', hold_ms: 300 },
      timeoutMs: 15_000,
      name: 'caller-201',
    });
    await desk.waitForEvent('CALL_INCOMING', { timeoutMs: 5000 });
    const mobileInvite = await mobile.waitForMessage(
      (m) => m.direction === 'received' && m.kind === 'request' && m.method === 'INVITE',
      { timeoutMs: 3000, what: 'the mobile leg’s INVITE' },
    );
    await desk.accept();
    await desk.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });
    await desk.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });

    const [c, m] = await Promise.all([caller.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const arrived = sent(c.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE')[1]!.timeMs;
    const delay = mobileInvite.timeMs - arrived;
    assert.ok(
      delay >= 950 && delay < 1400,
      `mobile leg ${delay.toFixed(0)} ms after the call arrived (dial delay 1 s)`,
    );
    assert.equal(mobileInvite.requestUri, `sip:07700900241@127.0.0.1:${carrierPort}`);
    assert.equal(
      first(m.messages, 'CANCEL').header('reason'),
      'SIP;cause=200;text="Call completed elsewhere"',
    );
    assert.deepEqual(ladder(m.messages), [
      '< INVITE',
      '> 100',
      '> 180',
      '< CANCEL',
      '> 200',
      '> 487',
      '< ACK',
    ]);
  });
});

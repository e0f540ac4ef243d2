/**
 * Mobile Call Control on real SIP and RTP (MCC-1, MCC-2): a call answered on the mobile
 * twin leg runs through twinline's relay; the user keys `**`, gets dial tone, dials 203#,
 * and twinline places that call as the user while the caller is held. When 203 hangs up
 * the held caller is back, and the caller's hang-up ends the mobile leg. When the mobile
 * hangs up while 203 is connected instead, the held caller is transferred to 203.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, type SippResult, type SippScenarioName, startSipp } from '../../support/sipp.js';
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
    mobility:
      mobilityFeatures: true
      mobileTwinning: true
      twinnedMobileNumber: '907700900201'
      mobileDialDelay: 0
      mobileCallControl: true
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

describe('Mobile Call Control', () => {
  it('MCC-1 ** on the answered mobile gives dial tone; 203# is called as the user while the caller is held, and the caller is back when 203 hangs up', async () => {
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 200, hold_ms: 500 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer-mcc', {
      keys: { ring_ms: 100, press_after_ms: 300 },
      name: 'mobile-mcc',
      timeoutMs: 30_000,
    });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-secret' },
      keys: { from_user: '202', hold_ms: 7000 },
      timeoutMs: 30_000,
      name: 'caller-202',
    });
    const [c, d, k, m] = await Promise.all([
      caller.result(),
      desk.sipp.result(),
      carol.sipp.result(),
      mobile.result(),
    ]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    assert.equal(m.outcome, 'ok', m.errors);

    // The consultation call is the user's (MCC-1: "as if at their own extension")…
    const toCarol = received(k.messages).find((x) => x.method === 'INVITE')!;
    assert.match(toCarol.header('from') ?? '', /^"Alice" <sip:201@twinline>/);
    // …and its media goes to twinline's relay, not to the held caller.
    const callerInvite = c.messages.find((x) => x.direction === 'sent' && x.method === 'INVITE')!;
    const port = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
    assert.notEqual(port(toCarol.body), port(callerInvite.body));
    // The caller was never dropped: its call ended with its own BYE, answered 200.
    assert.deepEqual(
      received(c.messages)
        .filter((x) => x.status !== 100)
        .map((x) => `${x.status} ${x.method}`),
      ['407 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
    );
    // The mobile leg ended when the caller hung up.
    assert.ok(received(m.messages).some((x) => x.method === 'BYE'));
    const mobileAck = received(m.messages).find((x) => x.method === 'ACK')!;
    assert.ok(toCarol.timeMs - mobileAck.timeMs > 1500, 'dialled after ** and the digits');
  });

  it('MCC-1 transfer: the mobile hangs up while 203 is connected, and the held caller and 203 are joined by re-INVITEs with each other’s media', async () => {
    const { c, k, m } = await mobileDials203({
      mobile: 'uas-answer-mcc-transfer',
      mobileKeys: { transfer_after_ms: 4000 },
      carol: 'uas-answer-reinvited',
      carolKeys: {},
      caller: 'uac-invite-auth-reinvited-bye',
      holdMs: 1000,
    });
    const port = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
    const invites = (r: typeof c) =>
      received(r.messages).filter((x) => x.kind === 'request' && x.method === 'INVITE');
    const callerOffer = c.messages.find((x) => x.direction === 'sent' && x.method === 'INVITE')!;
    const carolAnswer = k.messages.find(
      (x) => x.direction === 'sent' && x.status === 200 && x.method === 'INVITE',
    )!;
    const [toCarol, carolReinvite] = invites(k);
    const [callerReinvite] = invites(c);
    assert.match(toCarol!.header('from') ?? '', /^"Alice" <sip:201@twinline>/, 'consulted as the user');
    assert.equal(port(callerReinvite!.body), port(carolAnswer.body), 'the caller now talks to 203');
    assert.equal(port(carolReinvite!.body), port(callerOffer.body), '203 now talks to the caller');
    const mobileBye = m.messages.find((x) => x.direction === 'sent' && x.method === 'BYE')!;
    assert.ok(callerReinvite!.timeMs >= mobileBye.timeMs - 50, 'joined when the mobile hung up');
    assert.ok(
      received(k.messages).some((x) => x.kind === 'request' && x.method === 'BYE'),
      'the caller’s hang-up reaches 203',
    );
  });

  it('MCC-2 a trunk that sends DTMF as SIP INFO: ** then 203# in application/dtmf-relay INFOs give dial tone and call 203 as the user; twinline answers the INFOs and the caller never sees them', async () => {
    // The caller's scenario has no place for an INFO: one passed on would have failed it.
    const { c, k, m } = await mobileDials203({
      mobile: 'uas-answer-mcc-info',
      mobileKeys: {},
      carol: 'uas-answer-then-bye',
      carolKeys: { hold_ms: 500 },
      caller: 'uac-invite-auth-bye',
      holdMs: 5000,
    });
    assert.equal(received(m.messages).filter((x) => x.status === 200 && x.method === 'INFO').length, 6);
    const toCarol = received(k.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    assert.match(toCarol.header('from') ?? '', /^"Alice" <sip:201@twinline>/);
    assert.equal(
      received(c.messages).filter((x) => x.method === 'INFO').length,
      0,
      'no INFO reached the caller',
    );
  });
});

/**
 * Bob (202) calls 201, whose desk never answers; the mobile answers and keys ** 203#
 * (its scenario says how), 203 answers; every peer must end its scenario cleanly.
 */
async function mobileDials203(o: {
  mobile: SippScenarioName;
  mobileKeys: Record<string, number>;
  carol: SippScenarioName;
  carolKeys: Record<string, number>;
  caller: SippScenarioName;
  holdMs: number;
}): Promise<{ c: SippResult; k: SippResult; m: SippResult }> {
  const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
  const carol = await registeredPhone(server, '203', 'carol-secret', o.carol, {
    keys: { ring_ms: 200, ...o.carolKeys },
  });
  const mobile = await peerOn(carrierPort, o.mobile, {
    keys: { ring_ms: 100, press_after_ms: 300, ...o.mobileKeys },
    name: o.mobile,
    timeoutMs: 30_000,
  });
  const caller = await startSipp({
    scenario: o.caller,
    remote: server.address,
    service: '201',
    auth: { user: '202', pass: 'bob-secret' },
    keys: { from_user: '202', hold_ms: o.holdMs },
    timeoutMs: 30_000,
    name: `caller-202-${o.mobile}`,
  });
  const [c, d, k, m] = await Promise.all([
    caller.result(),
    desk.sipp.result(),
    carol.sipp.result(),
    mobile.result(),
  ]);
  for (const [r, who] of [
    [c, 'caller'],
    [d, 'desk'],
    [k, '203'],
    [m, 'mobile'],
  ] as const)
    assert.equal(r.outcome, 'ok', `${who}: ${r.errors}`);
  return { c, k, m };
}

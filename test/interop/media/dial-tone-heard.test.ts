/**
 * The dial tone a mobile hears, decoded on the wire (MCC-1, MCC-3). SIPp plays the SIP side of
 * each peer; its SDP gives a media port the test owns (`-key rtp_port`), where a plain UDP socket
 * keys the RFC 4733 digits and records what twinline's relay sends back. The G.711 payload is
 * decoded and the tone's frequencies are measured by Goertzel.
 *
 * `system.dialTone` chooses the tone. Left at its default, North American 350 + 440 Hz must be
 * heard and 425 Hz (the European tone) must not; a second server set to '425' proves the reverse.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  decodeStream,
  type MediaPeer,
  openMediaPeer,
  type ReceivedRtp,
  toneLevels,
} from '../../support/media-peer.js';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { stopAllProcesses } from '../../support/processes.js';
import { received, type SippRun, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';

let server: TwinlineProcess;
let carrierPort: number;
const sockets: MediaPeer[] = [];
/** A test's SIPp peers: stopped by PID after it, so a failed test leaves no peer on the trunk's port. */
const peers: SippRun[] = [];

/** The directory both servers run: Alice with mobile twinning, MCC and FNE 31 over the carrier trunk. */
const directoryYaml = (trunkPort: number, dialTone?: string): string => `
system:
  timeZone: Europe/London
${dialTone ? `  dialTone: '${dialTone}'\n` : ''}users:
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
  - extension: '205'
    name: Eve
    password: eve-secret
    licence: mobile-worker
    mobility:
      mobilityFeatures: true
      twinnedMobileNumber: '907700900205'
      mobileCallControl: true
      mobileFeaturePin: '4321'
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${trunkPort}, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '441632960031', destination: fne31 }
`;

before(async () => {
  carrierPort = await freeUdpPort();
  server = await startTwinline({ configYaml: directoryYaml(carrierPort) });
});
afterEach(async () => {
  for (const p of peers.splice(0)) await p.process.stop().catch(() => undefined);
  for (const s of sockets.splice(0)) await s.close();
});
after(async () => {
  await server?.stop();
  await stopAllProcesses();
});

async function mediaPeer(name: string): Promise<MediaPeer> {
  const peer = await openMediaPeer(name);
  sockets.push(peer);
  return peer;
}

/** Dial tone is continuous: one second of it (50 packets of 20 ms) gives a 1 Hz Goertzel resolution. */
const TONE_PACKETS = 50;
const NORTH_AMERICAN = [350, 440];
const EUROPEAN = [425];
/** Frequencies that must always be weak: ringback/busy, DTMF rows and columns, beeps. */
const OTHERS = [480, 620, 697, 770, 852, 941, 1000, 1209, 1336, 1400];

const audioPort = (sdp: string): number => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);

/** Asserts that `packets` are one PCMU stream carrying `tone` (350 + 440 Hz unless told) and little else. */
function assertDialTone(packets: readonly ReceivedRtp[], tone: readonly number[] = NORTH_AMERICAN): void {
  // The other setting's frequencies must be absent too (425 Hz is only 15 Hz from 440 Hz).
  const absent = [...[...NORTH_AMERICAN, ...EUROPEAN].filter((f) => !tone.includes(f)), ...OTHERS];
  assert.equal(new Set(packets.map((p) => p.packet.ssrc)).size, 1, 'one RTP stream (one SSRC)');
  assert.ok(
    packets.every((p) => p.packet.payload.length === 160),
    '20 ms of 8 kHz G.711 in every packet',
  );
  const levels = toneLevels(decodeStream(packets, 'PCMU'), [...tone, ...absent]);
  const show = [...levels].map(([f, v]) => `${f} Hz ${(v * 100).toFixed(2)}%`).join(', ');
  for (const f of tone) assert.ok(levels.get(f)! > 0.35, `${f} Hz is present (energy shares: ${show})`);
  const share = tone.reduce((sum, f) => sum + levels.get(f)!, 0);
  assert.ok(share > 0.9, `${tone.join(' + ')} Hz carry nearly all the energy (${show})`);
  for (const f of absent) assert.ok(levels.get(f)! < 0.01, `${f} Hz is weak (${show})`);
  // Paced in real time by the relay, not sent in a burst: the 50th packet is ~980 ms after the first.
  const spanMs = packets.at(-1)!.at - packets[0]!.at;
  assert.ok(spanMs > 500, `${packets.length} packets over ${spanMs.toFixed(0)} ms`);
}

/**
 * A mobile (caller ID `callerId`) calls the FNE 31 DDI from the carrier trunk's port, its media
 * on a test socket; resolves once twinline answered, with the relay port it answered with.
 */
async function fne31Call(srv: TwinlineProcess, trunkPort: number, name: string, callerId = '07700900201') {
  const mobileMedia = await mediaPeer(name);
  const mobile = await startSipp({
    scenario: 'uac-invite-media-key-wait-bye',
    remote: srv.address,
    localPort: trunkPort,
    service: '441632960031',
    keys: { from_user: callerId, rtp_port: mobileMedia.port },
    timeoutMs: 20_000,
    name,
  });
  peers.push(mobile);
  const answer = await mobile.waitForMessage(
    (m) => m.direction === 'received' && m.status === 200 && m.method === 'INVITE',
    { timeoutMs: 5000, what: 'twinline to answer the FNE 31 call' },
  );
  const relayPort = audioPort(answer.body);
  assert.ok(relayPort > 0, `the answer gives the relay's media port: ${answer.body}`);
  return { mobileMedia, mobile, relayPort };
}

/**
 * MCC-3: the user's mobile calls the FNE 31 DDI, hears `expected` from the port twinline
 * answered with, and keys `#` alone, which clears the call.
 */
async function fne31HearsDialTone(
  srv: TwinlineProcess,
  trunkPort: number,
  name: string,
  expected: readonly number[],
): Promise<void> {
  const { mobileMedia, mobile, relayPort } = await fne31Call(srv, trunkPort, name);

  const tone = await mobileMedia.waitForRtp(TONE_PACKETS, {
    filter: (r) => r.packet.payloadType === 0,
    timeoutMs: 5000,
    what: 'one second of dial tone (PCMU) after the answer',
  });
  // Symmetric RTP (RFC 4961): what the mobile hears comes from where it must send its digits.
  assert.equal(tone[0]!.from.port, relayPort);
  assertDialTone(tone, expected);

  // The same socket keys an empty number: twinline hears it (latched to this socket) and clears.
  await mobileMedia.keys('#', relayPort);
  const m = await mobile.result();
  assert.equal(m.outcome, 'ok', m.errors);
  assert.ok(
    received(m.messages).some((x) => x.method === 'BYE'),
    'the call is cleared after #',
  );
}

describe('the dial tone a mobile hears', () => {
  it('MCC-1 ** keyed on the answered mobile twin leg: dial tone heard by the mobile: 350+440 Hz by Goertzel; the held caller hears nothing, not even the **', async () => {
    const mobileMedia = await mediaPeer('mobile');
    const callerMedia = await mediaPeer('caller');
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile: SippRun = await peerOn(carrierPort, 'uas-answer-media-key', {
      keys: { ring_ms: 100, rtp_port: mobileMedia.port },
      name: 'mobile-media',
      timeoutMs: 30_000,
    });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-media-key-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-secret' },
      // The caller hangs up after this; the test's keys and tone take about 1.5 s of it.
      keys: { from_user: '202', hold_ms: 5000, rtp_port: callerMedia.port },
      timeoutMs: 30_000,
      name: 'caller-202',
    });
    peers.push(desk.sipp, mobile, caller);

    const invite = await mobile.waitForMessage(
      (m) => m.direction === 'received' && m.kind === 'request' && m.method === 'INVITE',
      { timeoutMs: 5000, what: 'the mobile twin leg’s INVITE' },
    );
    await mobile.waitForMessage((m) => m.direction === 'received' && m.method === 'ACK', {
      timeoutMs: 5000,
      what: 'the ACK of the mobile’s answer',
    });
    const relayPort = audioPort(invite.body);
    assert.ok(relayPort > 0, `the twin leg offers the relay's media port: ${invite.body}`);

    const from = mobileMedia.received.length;
    await mobileMedia.keys('**', relayPort);
    const tone = await mobileMedia.waitForRtp(TONE_PACKETS, {
      from,
      filter: (r) => r.packet.payloadType === 0,
      timeoutMs: 5000,
      what: 'one second of dial tone (PCMU) after **',
    });
    assert.equal(tone[0]!.from.port, relayPort, 'the tone comes from the port the mobile sends to');
    assertDialTone(tone);
    // MCC-2: the ** went no further than twinline; MCC-1: the held caller hears no dial tone.
    assert.equal(callerMedia.received.length, 0, 'no RTP reached the held caller');
    assert.ok(
      mobileMedia.received.every((r) => r.packet.payloadType !== 101),
      'no telephone-event echoed back to the mobile',
    );

    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.ok(
      received(m.messages).some((x) => x.method === 'BYE'),
      'the mobile leg ends with the call',
    );
  });

  it('MCC-3 FNE 31 answer: dial tone heard by the user’s mobile: 350+440 Hz by Goertzel, from the port twinline answered with; # alone clears the call', async () => {
    await fne31HearsDialTone(server, carrierPort, 'mobile-fne31', NORTH_AMERICAN);
  });
});

describe('the PIN after FNE 31 dial tone (MCC-4)', () => {
  /** Eve's mobile calls FNE 31, hears dial tone, and keys `pin`. */
  async function eveKeysPin(pin: string, name: string) {
    const call = await fne31Call(server, carrierPort, name, '07700900205');
    const { mobileMedia: media, mobile, relayPort } = call;
    await media.waitForRtp(10, { timeoutMs: 5000, what: 'dial tone before the PIN' });
    await media.keys(pin, relayPort);
    return { media, mobile, relayPort };
  }

  it('MCC-4 a wrong PIN after dial tone clears the call, and the attempt is logged with the mobile’s caller ID', async () => {
    const { mobile } = await eveKeysPin('1111#', 'mobile-fne31-wrong-pin');
    const m = await mobile.result();
    assert.equal(m.outcome, 'ok', m.errors);
    assert.ok(
      received(m.messages).some((x) => x.kind === 'request' && x.method === 'BYE'),
      'cleared by twinline',
    );
    await server.process.waitForOutput(/"callerId":"07700900205"[^\n]*"msg":"mobile dial tone: wrong PIN"/, {
      timeoutMs: 5000,
      what: 'the wrong PIN to be logged with the caller ID',
    });
  });

  it('MCC-4 the right PIN gives dial tone again, and the number keyed then is called as the user', async () => {
    const bob = await registeredPhone(server, '202', 'bob-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 100, hold_ms: 300 },
    });
    const { media, mobile, relayPort } = await eveKeysPin('4321#', 'mobile-fne31-right-pin');
    const afterPin = media.received.length;
    const tone = await media.waitForRtp(TONE_PACKETS, {
      from: afterPin,
      filter: (r) => r.packet.payloadType === 0,
      timeoutMs: 5000,
      what: 'dial tone again after the PIN',
    });
    assertDialTone(tone);
    await media.keys('202#', relayPort);
    const [m, b] = await Promise.all([mobile.result(), bob.sipp.result()]);
    assert.equal(m.outcome, 'ok', m.errors);
    assert.equal(b.outcome, 'ok', b.errors);
    const toBob = received(b.messages).find((x) => x.kind === 'request' && x.method === 'INVITE')!;
    assert.match(toBob.header('from') ?? '', /^"Eve" <sip:205@twinline>/);
  });
});

describe('system.dialTone 425', () => {
  let european: TwinlineProcess;
  let europeanTrunkPort: number;
  before(async () => {
    europeanTrunkPort = await freeUdpPort();
    european = await startTwinline({ configYaml: directoryYaml(europeanTrunkPort, '425') });
  });
  after(async () => {
    await european?.stop();
  });

  it('MCC-3 FNE 31 answer with dialTone 425: the mobile hears 425 Hz by Goertzel, and neither 350 nor 440 Hz', async () => {
    await fne31HearsDialTone(european, europeanTrunkPort, 'mobile-fne31-425', EUROPEAN);
  });
});

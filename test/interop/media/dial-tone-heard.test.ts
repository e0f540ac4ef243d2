/**
 * The dial tone a mobile hears, decoded on the wire (MCC-1, MCC-3). SIPp plays the SIP side of
 * each peer; its SDP gives a media port the test owns (`-key rtp_port`), where a plain UDP socket
 * keys the RFC 4733 digits and records what twinline's relay sends back. The G.711 payload is
 * decoded and the tone's frequencies are measured by Goertzel.
 *
 * twinline has no dial tone setting yet: the relay plays `dialTone()`'s default, North American
 * 350 + 440 Hz (src/media/tones.ts), so that is what must be heard, and 425 Hz (the European
 * tone) must not.
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
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
incomingRoutes:
  - { trunk: carrier, ddi: '441632960031', destination: fne31 }
`,
  });
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
const DIAL_TONE = [350, 440];
/** Frequencies that must be weak: the European dial tone, ringback/busy, DTMF rows and columns, beeps. */
const OTHERS = [425, 480, 620, 697, 770, 852, 941, 1000, 1209, 1336, 1400];

const audioPort = (sdp: string): number => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);

/** Asserts that `packets` are one PCMU stream carrying 350 + 440 Hz and little else. */
function assertDialTone(packets: readonly ReceivedRtp[]): void {
  assert.equal(new Set(packets.map((p) => p.packet.ssrc)).size, 1, 'one RTP stream (one SSRC)');
  assert.ok(
    packets.every((p) => p.packet.payload.length === 160),
    '20 ms of 8 kHz G.711 in every packet',
  );
  const levels = toneLevels(decodeStream(packets, 'PCMU'), [...DIAL_TONE, ...OTHERS]);
  const show = [...levels].map(([f, v]) => `${f} Hz ${(v * 100).toFixed(2)}%`).join(', ');
  for (const f of DIAL_TONE) assert.ok(levels.get(f)! > 0.35, `${f} Hz is present (energy shares: ${show})`);
  assert.ok(levels.get(350)! + levels.get(440)! > 0.9, `350 + 440 Hz carry nearly all the energy (${show})`);
  for (const f of OTHERS) assert.ok(levels.get(f)! < 0.01, `${f} Hz is weak (${show})`);
  // Paced in real time by the relay, not sent in a burst: the 50th packet is ~980 ms after the first.
  const spanMs = packets.at(-1)!.at - packets[0]!.at;
  assert.ok(spanMs > 500, `${packets.length} packets over ${spanMs.toFixed(0)} ms`);
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
    const mobileMedia = await mediaPeer('mobile-fne31');
    const mobile = await startSipp({
      scenario: 'uac-invite-media-key-wait-bye',
      remote: server.address,
      localPort: carrierPort,
      service: '441632960031',
      keys: { from_user: '07700900201', rtp_port: mobileMedia.port },
      timeoutMs: 20_000,
      name: 'mobile-fne31',
    });
    peers.push(mobile);
    const answer = await mobile.waitForMessage(
      (m) => m.direction === 'received' && m.status === 200 && m.method === 'INVITE',
      { timeoutMs: 5000, what: 'twinline to answer the FNE 31 call' },
    );
    const relayPort = audioPort(answer.body);
    assert.ok(relayPort > 0, `the answer gives the relay's media port: ${answer.body}`);

    const tone = await mobileMedia.waitForRtp(TONE_PACKETS, {
      filter: (r) => r.packet.payloadType === 0,
      timeoutMs: 5000,
      what: 'one second of dial tone (PCMU) after the answer',
    });
    // Symmetric RTP (RFC 4961): what the mobile hears comes from where it must send its digits.
    assert.equal(tone[0]!.from.port, relayPort);
    assertDialTone(tone);

    // The same socket keys an empty number: twinline hears it (latched to this socket) and clears.
    await mobileMedia.keys('#', relayPort);
    const m = await mobile.result();
    assert.equal(m.outcome, 'ok', m.errors);
    assert.ok(
      received(m.messages).some((x) => x.method === 'BYE'),
      'the call is cleared after #',
    );
  });
});

/**
 * Mobile Call Control keyed on a real softphone (MCC-1, MCC-2): baresip is the user's mobile,
 * reached through the carrier trunk (it listens on the trunk's host:port, no registration). It
 * answers the twinned call, keys `**` and then `203#` with its own RFC 4733 sender (ctrl_tcp
 * `sndcode`), and twinline reacts: baresip hears dial tone (its decoded audio, recorded by its
 * sndfile module, measured by Goertzel), 203 is called as the user, and the caller — whose
 * media is a test socket — gets baresip's audio but never one of its telephone-events.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Baresip, startBaresip } from '../../support/baresip.js';
import { decodeStream, type MediaPeer, openMediaPeer, toneLevels } from '../../support/media-peer.js';
import { registeredPhone } from '../../support/phones.js';
import { freePortPair } from '../../support/ports.js';
import { artifactStem, stopAllProcesses } from '../../support/processes.js';
import { received, startSipp } from '../../support/sipp.js';
import { startTwinline, type TwinlineProcess } from '../../support/twinline.js';
import { waitFor } from '../../support/wait.js';

let server: TwinlineProcess;
let carrierPort: number;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  // baresip listens on the trunk's port: UDP+TCP there and TCP on the next port.
  carrierPort = await freePortPair();
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
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await server?.stop();
  await stopAllProcesses();
});

/** A 16-bit PCM WAV file's samples (first channel) and rate; the chunks are walked, not assumed. */
function readWav(file: string): { rate: number; samples: Int16Array } {
  const buf = fs.readFileSync(file);
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF', `${file} is a WAV file`);
  let offset = 12;
  let rate = 0;
  let channels = 1;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      assert.equal(buf.readUInt16LE(body + 14), 16, '16-bit samples');
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
    } else if (id === 'data') {
      const frames = Math.floor(Math.min(size, buf.length - body) / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + 2 * channels * i);
      return { rate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${file} has no data chunk`);
}

/** Seconds of 8 kHz 16-bit mono audio baresip has written to its -dec.wav recording so far. */
function decodedSeconds(dir: string): number {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('-dec.wav'));
  return file ? Math.max(0, fs.statSync(path.join(dir, file)).size - 44) / 16_000 : 0;
}

/** The loudest stretch of `seconds` (in 20 ms steps): where the dial tone is in baresip's recording. */
function loudest(samples: Int16Array, rate: number, seconds: number): Int16Array {
  const len = Math.min(samples.length, Math.round(rate * seconds));
  const step = Math.round(rate / 50);
  let best = 0;
  let bestEnergy = -1;
  for (let start = 0; start + len <= samples.length; start += step) {
    let e = 0;
    for (let i = start; i < start + len; i += 4) e += samples[i]! * samples[i]!;
    if (e > bestEnergy) {
      bestEnergy = e;
      best = start;
    }
  }
  return samples.subarray(best, best + len);
}

describe('baresip keys ** on the mobile twin leg', () => {
  it('MCC-2 baresip’s ** (RFC 4733) gives it dial tone (350+440 Hz in its own decoded audio) and its 203# calls 203 as the user; the caller gets baresip’s audio but none of its telephone-events', async () => {
    const recordings = `${artifactStem('baresip-mobile-audio')}.d`;
    fs.mkdirSync(recordings, { recursive: true });
    const mobile: Baresip = await startBaresip({
      // The trunk's Request-URI user: the twinned number without the outside-line prefix.
      user: '07700900201',
      sipPort: carrierPort,
      answerMode: 'manual',
      // sndfile writes what baresip sends (-enc) and what it decodes from twinline (-dec).
      extraConfig: { module: 'sndfile.so', snd_path: recordings },
      name: 'baresip-mobile',
    });
    cleanups.push(() => mobile.stop());
    const callerMedia: MediaPeer = await openMediaPeer('caller');
    cleanups.push(() => callerMedia.close());

    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const carol = await registeredPhone(server, '203', 'carol-secret', 'uas-answer-then-bye', {
      keys: { ring_ms: 200, hold_ms: 500 },
    });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-media-key-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-secret' },
      // The caller hangs up after this; the keys, dial tone and consultation take ~3 s of it.
      keys: { from_user: '202', hold_ms: 9000, rtp_port: callerMedia.port },
      timeoutMs: 30_000,
      name: 'caller-202',
    });

    const incoming = await mobile.waitForEvent('CALL_INCOMING', { timeoutMs: 5000 });
    assert.match(incoming.peeruri ?? '', /^sip:202@/, 'the mobile sees the original caller (CLI-1)');
    await mobile.accept();
    await mobile.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });

    // Media flows mobile → caller through the relay (baresip's 440 Hz sine): so the absence of
    // telephone-events at the caller below is suppression, not a dead path.
    const talk = await callerMedia.waitForRtp(25, {
      filter: (r) => r.packet.payloadType === 0,
      timeoutMs: 5000,
      what: 'baresip’s audio at the caller',
    });
    assert.ok(
      toneLevels(decodeStream(talk), [440]).get(440)! > 0.5,
      'baresip’s 440 Hz sine reaches the caller',
    );

    const keyed = await mobile.sndcode('**');
    assert.ok(keyed.ok, `sndcode **: ${keyed.data}`);
    await server.process.waitForOutput(/mobile call control: dial tone/, {
      timeoutMs: 5000,
      what: 'twinline to give dial tone after baresip’s **',
    });
    // A user listens to the dial tone before dialling (the first key stops it): wait until baresip
    // has decoded a second of audio. Its recording is a file that grows, so it is polled.
    await waitFor(() => decodedSeconds(recordings) >= 1, {
      timeoutMs: 5000,
      what: 'baresip to decode a second of dial tone',
      detail: () => `decoded so far: ${decodedSeconds(recordings).toFixed(2)} s`,
    });
    const dialled = await mobile.sndcode('203#');
    assert.ok(dialled.ok, `sndcode 203#: ${dialled.data}`);

    // MCC-1: the consultation reaches 203 from the user, as if dialled at the desk.
    const toCarol = await carol.sipp.waitForMessage(
      (m) => m.direction === 'received' && m.kind === 'request' && m.method === 'INVITE',
      { timeoutMs: 10_000, what: 'the consultation INVITE at 203' },
    );
    assert.match(toCarol.header('from') ?? '', /^"Alice" <sip:201@twinline>/);

    const [c, d, k] = await Promise.all([caller.result(), desk.sipp.result(), carol.sipp.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(k.outcome, 'ok', k.errors);
    assert.deepEqual(
      received(c.messages)
        .filter((x) => x.status !== 100)
        .map((x) => `${x.status} ${x.method}`),
      ['407 INVITE', '180 INVITE', '200 INVITE', '200 BYE'],
      'the caller was held, never dropped',
    );
    await mobile.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });

    // MCC-2: not one of baresip's telephone-events reached the caller (payload type 101 in the
    // caller's SDP; anything that is not PCMU counts).
    const events = callerMedia.received.filter((r) => r.packet.payloadType !== 0);
    assert.equal(events.length, 0, `telephone-events at the caller: ${events.length}`);

    // What baresip heard: its decoded audio, written when the call closed.
    const dec = await waitFor(
      () =>
        fs
          .readdirSync(recordings)
          .find((f) => f.endsWith('-dec.wav') && fs.statSync(path.join(recordings, f)).size > 44),
      {
        timeoutMs: 5000,
        what: 'baresip’s recording of the audio it decoded',
        detail: () => fs.readdirSync(recordings).join(', '),
      },
    );
    const { rate, samples } = readWav(path.join(recordings, dec));
    const levels = toneLevels(loudest(samples, rate, 1), [350, 440, 425, 480, 620, 1000], rate);
    const show = [...levels].map(([f, v]) => `${f} Hz ${(v * 100).toFixed(1)}%`).join(', ');
    assert.ok(levels.get(350)! > 0.3 && levels.get(440)! > 0.3, `dial tone heard by baresip (${show})`);
    for (const f of [425, 480, 620, 1000]) assert.ok(levels.get(f)! < 0.02, `${f} Hz is weak (${show})`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeG711 } from '../../../src/media/g711.js';
import { goertzelPower, presentFrequencies } from '../../../src/media/goertzel.js';
import { parseRtp, type RtpPacket } from '../../../src/media/rtp.js';
import {
  confirmationTone,
  createToneSource,
  dialTone,
  promptTone,
  renderTone,
  type ToneSource,
} from '../../../src/media/tones.js';

function take(source: ToneSource, n: number): RtpPacket[] {
  const out: RtpPacket[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = source.next();
    if (!bytes) break;
    const p = parseRtp(bytes);
    assert.ok(p, 'generated packet parses');
    out.push(p);
  }
  return out;
}

function pcmOf(packets: RtpPacket[], codec: 'PCMU' | 'PCMA'): Int16Array {
  const parts = packets.map((p) => decodeG711(codec, p.payload));
  const all = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

const CANDIDATES = [350, 425, 440, 480, 620, 1000, 1400];

describe('Goertzel', () => {
  it('finds a pure sine at its frequency and not elsewhere', () => {
    const pcm = Float64Array.from(
      { length: 800 },
      (_, n) => 1000 * Math.sin((2 * Math.PI * 1000 * n) / 8000),
    );
    assert.ok(Math.abs(goertzelPower(pcm, 1000) - 250_000) < 1000);
    assert.ok(goertzelPower(pcm, 440) < 10);
  });

  it('reports nothing for silence', () => {
    assert.deepEqual(presentFrequencies(new Int16Array(160), [440]), []);
  });
});

describe('dial tone', () => {
  for (const codec of ['PCMU', 'PCMA'] as const) {
    it(`350+440 in ${codec} decodes to 350 and 440 Hz, without 1000 Hz`, () => {
      const pcm = pcmOf(take(createToneSource(dialTone('350+440'), { codec }), 10), codec);
      assert.deepEqual(presentFrequencies(pcm, CANDIDATES, 0.2), [350, 440]);
      assert.ok(goertzelPower(pcm, 1000) < goertzelPower(pcm, 440) / 1000);
    });

    it(`425 in ${codec} decodes to 425 Hz alone`, () => {
      const pcm = pcmOf(take(createToneSource(dialTone('425'), { codec }), 10), codec);
      assert.deepEqual(presentFrequencies(pcm, CANDIDATES, 0.2), [425]);
    });
  }

  it('uses the static payload type of the codec', () => {
    assert.equal(take(createToneSource(dialTone(), { codec: 'PCMU' }), 1)[0]?.payloadType, 0);
    assert.equal(take(createToneSource(dialTone(), { codec: 'PCMA' }), 1)[0]?.payloadType, 8);
  });

  it('packetises 160 samples per packet with +1 sequence, +160 timestamp, one SSRC, marker on the first', () => {
    const packets = take(
      createToneSource(dialTone(), { sequence: 65534, timestamp: 0xffffff00, ssrc: 42 }),
      5,
    );
    assert.deepEqual(
      packets.map((p) => p.sequence),
      [65534, 65535, 0, 1, 2],
    );
    assert.deepEqual(
      packets.map((p) => p.timestamp),
      [0xffffff00, 0xffffffa0, 0x40, 0xe0, 0x180],
    );
    assert.ok(packets.every((p) => p.ssrc === 42 && p.payload.length === 160));
    assert.deepEqual(
      packets.map((p) => p.marker),
      [true, false, false, false, false],
    );
  });

  it('starts sequence, timestamp and SSRC at random values', () => {
    const a = take(createToneSource(dialTone()), 1)[0]!;
    const b = take(createToneSource(dialTone()), 1)[0]!;
    assert.ok(a.ssrc !== b.ssrc || a.sequence !== b.sequence || a.timestamp !== b.timestamp);
  });

  it('is continuous: never ends, no seam between packets', () => {
    const source = createToneSource(dialTone());
    assert.equal(take(source, 500).length, 500);
    assert.equal(source.done, false);
    const joined = renderTone(dialTone(), 150, 20);
    const split = [...renderTone(dialTone(), 150, 10), ...renderTone(dialTone(), 160, 10)];
    assert.deepEqual([...joined], split);
  });
});

describe('confirmation and prompt tones', () => {
  it('confirmation is three beeps of 100 ms and then ends', () => {
    const source = createToneSource(confirmationTone());
    const packets = take(source, 100);
    assert.equal(packets.length, 25); // 500 ms: beep, gap, beep, gap, beep
    assert.equal(source.done, true);
    assert.equal(source.next(), undefined);
    const pcm = pcmOf(packets, 'PCMU');
    const energy = (from: number) => presentFrequencies(pcm.subarray(from, from + 800), [1400], 0.5).length;
    assert.deepEqual([0, 800, 1600, 2400, 3200].map(energy), [1, 0, 1, 0, 1]);
  });

  it('prompt is 660 Hz then 880 Hz', () => {
    const pcm = pcmOf(take(createToneSource(promptTone(), { codec: 'PCMA' }), 100), 'PCMA');
    assert.equal(pcm.length, 3200);
    assert.deepEqual(presentFrequencies(pcm.subarray(0, 1600), [660, 880], 0.5), [660]);
    assert.deepEqual(presentFrequencies(pcm.subarray(1600), [660, 880], 0.5), [880]);
  });
});

/**
 * The golden RTP corpus: every packet in test/fixtures/rtp must decode to what its .json says.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDtmfDetector, type DtmfEvent, parseTelephoneEvent } from '../../../src/media/dtmf.js';
import { decodeG711 } from '../../../src/media/g711.js';
import { presentFrequencies } from '../../../src/media/goertzel.js';
import { parseRtp, rtcpPacketType, serializeRtp } from '../../../src/media/rtp.js';
import { VirtualClock } from '../../../src/util/clock.js';

const root = fileURLToPath(new URL('../../fixtures/rtp/', import.meta.url));

interface Expectation {
  description: string;
  bytes: number;
  rtp: null | {
    version: number;
    marker: boolean;
    payloadType: number;
    sequence: number;
    timestamp: number;
    ssrc: string;
    csrcs: number[];
    paddingLength: number;
    payloadLength: number;
    extension?: { profile: string; words: number };
  };
  telephoneEvent?: { event: number; digit: string; end: boolean; volume: number; duration: number };
  rtcpPacketType?: number;
  tone?: { codec: 'PCMU' | 'PCMA'; present: number[]; absent: number[] };
}

const load = (name: string) => readFileSync(join(root, `${name}.rtp`));
const names = readdirSync(root)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

describe('golden RTP fixtures', () => {
  it('has the corpus', () => assert.ok(names.length >= 8));

  for (const name of names) {
    const expect = JSON.parse(readFileSync(join(root, `${name}.json`), 'utf8')) as Expectation;
    it(`${name}: ${expect.description}`, () => {
      const bytes = load(name);
      assert.equal(bytes.length, expect.bytes);
      const p = parseRtp(bytes);
      if (expect.rtp === null) {
        assert.equal(p, undefined);
        assert.equal(rtcpPacketType(bytes), expect.rtcpPacketType);
        return;
      }
      assert.ok(p, 'parses');
      assert.equal(p.version, expect.rtp.version);
      assert.equal(p.marker, expect.rtp.marker);
      assert.equal(p.payloadType, expect.rtp.payloadType);
      assert.equal(p.sequence, expect.rtp.sequence);
      assert.equal(p.timestamp, expect.rtp.timestamp);
      assert.equal(p.ssrc, Number(expect.rtp.ssrc));
      assert.deepEqual(p.csrcs, expect.rtp.csrcs);
      assert.equal(p.paddingLength, expect.rtp.paddingLength);
      assert.equal(p.payload.length, expect.rtp.payloadLength);
      if (expect.rtp.extension) {
        assert.equal(p.extension?.profile, Number(expect.rtp.extension.profile));
        assert.equal(p.extension?.data.length, expect.rtp.extension.words * 4);
      }
      assert.deepEqual(serializeRtp(p), bytes, 'serialises back to the same bytes');
      if (expect.telephoneEvent) {
        const { digit: _digit, ...fields } = expect.telephoneEvent;
        assert.deepEqual(parseTelephoneEvent(p.payload), fields);
      }
      if (expect.tone) {
        const pcm = decodeG711(expect.tone.codec, p.payload);
        const found = presentFrequencies(pcm, [...expect.tone.present, ...expect.tone.absent], 0.5);
        assert.deepEqual(found, expect.tone.present);
      }
    });
  }

  it('start, continuation and the three end packets make one digit 5 of 60 ms ended by the E bit', () => {
    const clock = new VirtualClock();
    const events: DtmfEvent[] = [];
    const det = createDtmfDetector({ clock, payloadType: 101, onDigit: (e) => events.push(e) });
    for (const name of ['te-start', 'te-continuation', 'te-end-1', 'te-end-2', 'te-end-3']) {
      det.handle(parseRtp(load(name))!);
      clock.advance(20);
    }
    clock.advance(2000);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.digit, '5');
    assert.equal(events[0]?.durationMs, 60);
    assert.equal(events[0]?.endedBy, 'E-bit');
    assert.equal(events[0]?.volume, 10);
  });
});

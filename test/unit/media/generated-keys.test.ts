/**
 * The generated key-press capture that SIPp plays in the Mobile Call Control test decodes,
 * through twinline's own detector, to exactly the keys it claims (golden fixture).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createDtmfDetector, type DtmfEvent, parseRtp } from '../../../src/media/index.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { dtmfPcap } from '../../support/dtmf-pcap.js';
import { readPcapUdp } from './pcap.js';

const fixture = new URL('../../fixtures/dtmf/keys-star-star-203-pound', import.meta.url);

function decode(pcap: Buffer): string {
  const clock = new VirtualClock();
  const events: DtmfEvent[] = [];
  const detector = createDtmfDetector({ clock, payloadType: 101, onDigit: (e) => events.push(e) });
  const records = readPcapUdp(pcap);
  const t0 = records[0]!.timeMs;
  for (const r of records) {
    clock.advanceTo(r.timeMs - t0);
    const packet = parseRtp(r.payload);
    assert.ok(packet, 'every record is an RTP packet');
    detector.handle(packet);
  }
  clock.advance(1000);
  return events.map((e) => e.digit).join('');
}

describe('generated RFC 4733 key presses', () => {
  it('the committed capture decodes to the keys its expectation file names', () => {
    const expect = JSON.parse(readFileSync(new URL(`${fixture.href}.json`), 'utf8')) as {
      expectDigits: string;
    };
    assert.equal(decode(readFileSync(new URL(`${fixture.href}.pcap`))), expect.expectDigits);
  });

  it('two presses of the same key are two events (own RTP timestamps)', () => {
    assert.equal(
      decode(
        dtmfPcap([
          { key: '*', at: 0 },
          { key: '*', at: 200 },
          { key: '7', at: 600 },
        ]),
      ),
      '**7',
    );
  });
});

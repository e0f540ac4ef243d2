import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  createDtmfDetector,
  type DtmfEvent,
  parseDtmfInfo,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from '../../../src/media/dtmf.js';
import { parseRtp, type RtpPacket } from '../../../src/media/rtp.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { readPcapUdp } from './pcap.js';

const SSRC = 0x1234;

/** A telephone-event packet; `ts` identifies the event, `dur` in 8 kHz units. */
function te(
  seq: number,
  ts: number,
  event: number,
  dur: number,
  opts: { end?: boolean; marker?: boolean; volume?: number; ssrc?: number; pt?: number } = {},
): RtpPacket {
  return {
    version: 2,
    marker: opts.marker ?? false,
    payloadType: opts.pt ?? 101,
    sequence: seq,
    timestamp: ts,
    ssrc: opts.ssrc ?? SSRC,
    csrcs: [],
    paddingLength: 0,
    payload: serializeTelephoneEvent({
      event,
      end: opts.end ?? false,
      volume: opts.volume ?? 10,
      duration: dur,
    }),
  };
}

function setup(endTimeoutMs = 500) {
  const clock = new VirtualClock();
  const events: DtmfEvent[] = [];
  const starts: string[] = [];
  const det = createDtmfDetector({
    clock,
    payloadType: 101,
    endTimeoutMs,
    onDigit: (e) => events.push(e),
    onStart: (d) => starts.push(d),
  });
  /** Feeds packets 20 ms apart (or at the given gaps). */
  const feed = (...packets: RtpPacket[]) => {
    for (const p of packets) {
      det.handle(p);
      clock.advance(20);
    }
  };
  return { clock, events, starts, det, feed };
}

/** A whole key press as a well-behaved sender makes it: start, continuations, three ends. */
function press(seq: number, ts: number, event: number, packets = 5): RtpPacket[] {
  const out = [te(seq, ts, event, 160, { marker: true })];
  for (let i = 1; i < packets; i++) out.push(te(seq + i, ts, event, 160 * (i + 1)));
  for (let i = 0; i < 3; i++) out.push(te(seq + packets + i, ts, event, 160 * (packets + 1), { end: true }));
  return out;
}

describe('telephone-event payload (RFC 4733 §2.3)', () => {
  it('reads event, E bit, volume and duration, ignoring the R bit', () => {
    assert.deepEqual(parseTelephoneEvent(Buffer.from([0x0b, 0xca, 0x03, 0x20])), {
      event: 11,
      end: true,
      volume: 10,
      duration: 800,
    });
  });
  it('rejects a payload shorter than 4 bytes', () => {
    assert.equal(parseTelephoneEvent(Buffer.from([1, 2, 3])), undefined);
  });
  it('round-trips', () => {
    const p = { event: 15, end: false, volume: 63, duration: 65535 };
    assert.deepEqual(parseTelephoneEvent(serializeTelephoneEvent(p)), p);
  });
});

describe('RFC 4733 detector', () => {
  it('reports a whole press once, at the first end packet, with its duration and volume', () => {
    const { events, starts, feed } = setup();
    const packets = press(100, 8000, 5);
    feed(...packets.slice(0, 5));
    assert.equal(events.length, 0, 'nothing before the end');
    assert.deepEqual(starts, ['5'], 'start reported at the first packet');
    feed(packets[5]!);
    assert.equal(events.length, 1);
    feed(...packets.slice(6));
    assert.deepEqual(
      events.map((e) => [e.digit, e.durationMs, e.endedBy, e.volume]),
      [['5', 120, 'E-bit', 10]],
    );
  });

  it('maps every DTMF event code to its key', () => {
    const { events, feed } = setup();
    for (let code = 0; code < 16; code++) feed(...press(code * 10, code * 1000, code, 2));
    assert.equal(events.map((e) => e.digit).join(''), '0123456789*#ABCD');
  });

  it('ignores non-DTMF events (flash, 16) and packets of other payload types', () => {
    const { events, feed } = setup();
    feed(...press(1, 100, 16, 2));
    feed(te(20, 900, 5, 160, { marker: true, pt: 0 }), te(21, 900, 5, 320, { end: true, pt: 0 }));
    assert.equal(events.length, 0);
  });

  it('timestamps the start from the clock at the first packet', () => {
    const { clock, events, feed } = setup();
    clock.advance(1000);
    feed(te(1, 8000, 1, 0, { marker: true }), te(2, 8000, 1, 160, { end: true }));
    assert.equal(events[0]?.start, 1000);
  });

  it('an end packet without a start still yields the digit once, its start estimated back from the duration', () => {
    const { clock, events, feed } = setup();
    clock.advance(1000);
    feed(
      te(10, 8000, 7, 800, { end: true }),
      te(11, 8000, 7, 800, { end: true }),
      te(12, 8000, 7, 800, { end: true }),
    );
    clock.advance(2000);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.digit, '7');
    assert.equal(events[0]?.durationMs, 100);
    assert.equal(events[0]?.start, 900);
  });

  it('a lost start packet: the first continuation begins the event', () => {
    const { events, starts, feed } = setup();
    feed(te(2, 8000, 3, 320), te(3, 8000, 3, 480), te(4, 8000, 3, 640, { end: true }));
    assert.deepEqual(starts, ['3']);
    assert.deepEqual(
      events.map((e) => [e.digit, e.endedBy]),
      [['3', 'E-bit']],
    );
  });

  it('all end packets lost: a new timestamp ends the event with new-event', () => {
    const { events, feed } = setup();
    feed(te(1, 8000, 1, 160, { marker: true }), te(2, 8000, 1, 320));
    feed(...press(10, 16000, 2, 2));
    assert.deepEqual(
      events.map((e) => [e.digit, e.endedBy, e.durationMs]),
      [
        ['1', 'new-event', 40],
        ['2', 'E-bit', 60],
      ],
    );
  });

  it('all end packets lost and nothing follows: the event ends by timeout', () => {
    const { clock, events, feed } = setup(500);
    feed(te(1, 8000, 9, 160, { marker: true }), te(2, 8000, 9, 320));
    // The last packet came at 20 ms; feed() left the clock at 40 ms.
    clock.advance(479);
    assert.equal(events.length, 0, 'not before the timeout');
    clock.advance(2);
    assert.deepEqual(
      events.map((e) => [e.digit, e.endedBy]),
      [['9', 'timeout']],
    );
  });

  it('continuation packets keep a long press alive past the timeout', () => {
    const { clock, events, feed } = setup(200);
    const packets = [te(1, 0, 0, 160, { marker: true })];
    for (let i = 2; i < 40; i++) packets.push(te(i, 0, 0, 160 * i));
    feed(...packets);
    assert.equal(events.length, 0);
    clock.advance(1000);
    assert.equal(events[0]?.endedBy, 'timeout');
  });

  it('end packets arriving after a timeout do not report the digit again', () => {
    const { clock, events, feed } = setup(100);
    feed(te(1, 8000, 4, 160, { marker: true }));
    clock.advance(500);
    feed(te(5, 8000, 4, 1600, { end: true }), te(6, 8000, 4, 1600, { end: true }));
    assert.equal(events.length, 1);
    assert.equal(events[0]?.endedBy, 'timeout');
  });

  it('late continuation and duplicate packets after the end are absorbed', () => {
    const { events, feed } = setup();
    const p = press(1, 8000, 6, 3);
    feed(p[0]!, p[1]!, p[3]!, p[2]!, p[4]!, p[3]!, p[5]!, p[0]!);
    assert.equal(events.length, 1);
  });

  it('out of order within an event: a continuation before the start counts once', () => {
    const { events, feed } = setup();
    feed(te(2, 8000, 8, 320), te(1, 8000, 8, 160, { marker: true }), te(3, 8000, 8, 480, { end: true }));
    assert.deepEqual(
      events.map((e) => [e.digit, e.durationMs]),
      [['8', 60]],
    );
  });

  it('a late packet of an older, unseen event is dropped rather than reported out of order', () => {
    const { events, feed } = setup();
    feed(te(10, 16000, 2, 160, { marker: true }));
    feed(te(5, 8000, 1, 480, { end: true }));
    feed(te(11, 16000, 2, 320, { end: true }));
    assert.equal(events.map((e) => e.digit).join(''), '2');
  });

  it('two presses of the same key are two digits (new timestamp = new event)', () => {
    const { events, feed } = setup();
    feed(...press(1, 8000, 10, 3), ...press(20, 16000, 10, 3));
    assert.equal(events.map((e) => e.digit).join(''), '**');
  });

  it('timestamp reuse: a sender that starts the next press with the same timestamp still gives two digits', () => {
    const { events, feed } = setup();
    feed(...press(1, 8000, 10, 3), ...press(20, 8000, 10, 3));
    assert.equal(events.map((e) => e.digit).join(''), '**');
  });

  it('timestamp reuse with a different key is a new event', () => {
    const { events, feed } = setup();
    feed(...press(1, 8000, 1, 3), ...press(20, 8000, 2, 3));
    assert.equal(events.map((e) => e.digit).join(''), '12');
  });

  it('a different key on the same timestamp while one is active ends the first with new-event', () => {
    const { events, feed } = setup();
    feed(
      te(1, 8000, 1, 160, { marker: true }),
      te(2, 8000, 2, 160, { marker: true }),
      te(3, 8000, 2, 320, { end: true }),
    );
    assert.deepEqual(
      events.map((e) => [e.digit, e.endedBy]),
      [
        ['1', 'new-event'],
        ['2', 'E-bit'],
      ],
    );
  });

  it('a late start packet (older sequence) after the end is not taken for timestamp reuse', () => {
    const { events, feed } = setup();
    const p = press(100, 8000, 10, 3);
    feed(...p.slice(1), p[0]!);
    assert.equal(events.length, 1);
  });

  it('a new SSRC is a new event', () => {
    const { events, feed } = setup();
    feed(te(1, 8000, 1, 160, { marker: true }), te(50, 8000, 1, 160, { marker: true, ssrc: 99 }));
    feed(te(51, 8000, 1, 320, { end: true, ssrc: 99 }));
    assert.deepEqual(
      events.map((e) => [e.digit, e.endedBy]),
      [
        ['1', 'new-event'],
        ['1', 'E-bit'],
      ],
    );
  });

  it('a long event split into segments (RFC 4733 §2.5.1.3) is one digit with the summed duration', () => {
    const { events, feed } = setup();
    feed(te(1, 1000, 0, 60000, { marker: true }), te(2, 1000, 0, 65535));
    feed(te(3, 1000 + 65535, 0, 160), te(4, 1000 + 65535, 0, 800, { end: true }));
    assert.deepEqual(
      events.map((e) => [e.digit, e.durationMs]),
      [['0', (65535 + 800) / 8]],
    );
  });

  it('uses the telephone-event clock rate for durations', () => {
    const clock = new VirtualClock();
    const events: DtmfEvent[] = [];
    const det = createDtmfDetector({ clock, clockRate: 16000, onDigit: (e) => events.push(e) });
    det.handle(te(1, 0, 1, 1600, { end: true }));
    assert.equal(events[0]?.durationMs, 100);
  });

  it('contains a listener that throws', () => {
    const clock = new VirtualClock();
    const det = createDtmfDetector({
      clock,
      onDigit: () => {
        throw new Error('listener');
      },
    });
    assert.doesNotThrow(() => det.handle(te(1, 0, 1, 160, { end: true })));
  });

  it('close() drops the event in progress and stops the timer', () => {
    const { clock, events, det, feed } = setup();
    feed(te(1, 0, 1, 160, { marker: true }));
    assert.equal(det.active, '1');
    det.close();
    clock.advance(5000);
    assert.equal(events.length, 0);
    assert.equal(clock.pendingCount, 0);
  });
});

describe('sipp RFC 2833 captures (/usr/share/sip-tester)', () => {
  const dir = '/usr/share/sip-tester';
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /^dtmf_2833_.+\.pcap$/.test(f));
  } catch {
    // sip-tester not installed: scripts/install-test-deps.sh installs it for the full suite.
  }
  const expected = (file: string) => {
    const key = file.replace(/^dtmf_2833_|\.pcap$/g, '');
    return key === 'pound' ? '#' : key === 'star' ? '*' : key;
  };

  it('finds the captures', { skip: files.length === 0 && 'sip-tester not installed' }, () => {
    assert.ok(files.length >= 12);
  });

  for (const file of files) {
    it(`${file} yields the digit ${expected(file)} once, ended by the E bit`, () => {
      const records = readPcapUdp(readFileSync(`${dir}/${file}`));
      const clock = new VirtualClock();
      const events: DtmfEvent[] = [];
      const det = createDtmfDetector({ clock, payloadType: 101, onDigit: (e) => events.push(e) });
      const t0 = records[0]!.timeMs;
      for (const r of records) {
        clock.advanceTo(Math.max(clock.now(), r.timeMs - t0));
        const p = parseRtp(r.payload);
        assert.ok(p, 'each record is RTP');
        det.handle(p);
      }
      clock.advance(5000);
      assert.deepEqual(
        events.map((e) => [e.digit, e.endedBy]),
        [[expected(file), 'E-bit']],
      );
      // The captures hold 8 packets of growing duration up to 2240 (280 ms) then three ends.
      assert.equal(events[0]?.durationMs, 280);
      assert.equal(events[0]?.start, 0);
    });
  }

  it('all captures played back to back spell 0–9 * #', { skip: files.length === 0 && 'no captures' }, () => {
    const order = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'star', 'pound'];
    const clock = new VirtualClock();
    const events: DtmfEvent[] = [];
    const det = createDtmfDetector({ clock, payloadType: 101, onDigit: (e) => events.push(e) });
    for (const key of order) {
      for (const r of readPcapUdp(readFileSync(`${dir}/dtmf_2833_${key}.pcap`))) {
        det.handle(parseRtp(r.payload)!);
        clock.advance(20);
      }
    }
    assert.equal(events.map((e) => e.digit).join(''), '0123456789*#');
  });
});

describe('SIP INFO DTMF bodies', () => {
  it('application/dtmf-relay with Signal and Duration', () => {
    assert.deepEqual(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', 42), {
      digit: '5',
      start: 42,
      durationMs: 160,
      endedBy: 'info',
    });
  });
  it('dtmf-relay tolerates spaces, LF line ends, case and parameters on the content type', () => {
    const e = parseDtmfInfo('Application/DTMF-Relay; charset=x', 'signal = *\nduration = 100', 0);
    assert.equal(e?.digit, '*');
    assert.equal(e?.durationMs, 100);
  });
  it('dtmf-relay without Duration counts 250 ms', () => {
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=#', 0)?.durationMs, 250);
  });
  it('dtmf-relay with event codes 10–15 and lower-case A–D', () => {
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=11', 0)?.digit, '#');
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=d', 0)?.digit, 'D');
  });
  it('application/dtmf with the key alone or its code', () => {
    assert.equal(parseDtmfInfo('application/dtmf', '7\r\n', 0)?.digit, '7');
    assert.equal(parseDtmfInfo('application/dtmf', '10', 0)?.digit, '*');
  });
  it('rejects missing or unknown signals and other content types', () => {
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Duration=160', 0), undefined);
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=X', 0), undefined);
    assert.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=16', 0), undefined);
    assert.equal(parseDtmfInfo('application/sdp', 'Signal=1', 0), undefined);
    assert.equal(parseDtmfInfo('application/dtmf', '', 0), undefined);
  });
});

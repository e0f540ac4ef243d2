/**
 * The RTP relay on real UDP sockets on 127.0.0.1. Two plain dgram sockets stand in for the
 * phones on either side; every wait is bounded and woken by the socket's own events.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { after, describe, it } from 'node:test';
import { createDtmfDetector, type DtmfEvent, serializeTelephoneEvent } from '../../../src/media/dtmf.js';
import { PortsExhaustedError, RelayClosedError } from '../../../src/media/errors.js';
import { decodeG711 } from '../../../src/media/g711.js';
import { presentFrequencies } from '../../../src/media/goertzel.js';
import {
  createRtpRelay,
  type RelayOptions,
  type RelaySession,
  type RtpRelay,
  type Side,
} from '../../../src/media/relay.js';
import { parseRtp, type RtpPacket, serializeRtp } from '../../../src/media/rtp.js';
import { confirmationTone, createToneSource, dialTone } from '../../../src/media/tones.js';
import { delay, waitFor, withTimeout } from '../../support/wait.js';

const HOST = '127.0.0.1';
const BOUND = 3000;

interface Datagram {
  msg: Buffer;
  from: dgram.RemoteInfo;
}

/** A phone's media socket: sends datagrams, keeps every datagram it receives. */
class Phone {
  readonly received: Datagram[] = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, from) => this.received.push({ msg, from }));
  }

  static async open(): Promise<Phone> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return new Phone(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(msg: Buffer, port: number): void {
    this.socket.send(msg, port, HOST);
  }

  rtp(): RtpPacket[] {
    return this.received.map((d) => parseRtp(d.msg)).filter((p): p is RtpPacket => p !== undefined);
  }

  /** Waits until `count` received datagrams pass `filter`. */
  async expect(
    count: number,
    what: string,
    filter: (d: Datagram) => boolean = () => true,
  ): Promise<Datagram[]> {
    return waitFor(
      () => {
        const hits = this.received.filter(filter);
        return hits.length >= count ? hits : undefined;
      },
      { timeoutMs: BOUND, what, wakeOn: [this.socket, 'message'] },
    );
  }

  close(): void {
    this.socket.close();
  }
}

const relays: RtpRelay[] = [];
const phones: Phone[] = [];
after(async () => {
  await Promise.all(relays.map((r) => r.close()));
  for (const p of phones) p.close();
});

function relay(options: RelayOptions = {}): RtpRelay {
  const r = createRtpRelay({ bindAddress: HOST, portMin: 22000, portMax: 22099, ...options });
  relays.push(r);
  return r;
}

async function pair(options: RelayOptions = {}) {
  const r = relay(options);
  const session = await r.createSession();
  const a = await Phone.open();
  const b = await Phone.open();
  phones.push(a, b);
  const to = (side: Side) => session.local(side).rtpPort;
  return { r, session, a, b, to };
}

let seq = 0;
const pcmu = (tag: number, ssrc = 1) =>
  serializeRtp({
    payloadType: 0,
    sequence: seq++,
    timestamp: tag * 160,
    ssrc,
    payload: Buffer.alloc(160, tag),
  });
const telephoneEvent = (ts: number, event: number, duration: number, end = false, marker = false) =>
  serializeRtp({
    payloadType: 101,
    marker,
    sequence: seq++,
    timestamp: ts,
    ssrc: 7,
    payload: serializeTelephoneEvent({ event, end, volume: 10, duration }),
  });
const rtcpRr = (ssrc: number) => {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
};

/** Sends one packet from `phone` to `side` and waits until the relay has latched to it. */
async function latch(session: RelaySession, side: Side, phone: Phone): Promise<void> {
  phone.send(pcmu(0, 0xfeed), session.local(side).rtpPort);
  await waitFor(() => session.remote(side).latched, { timeoutMs: BOUND, what: `side ${side} to latch` });
}

/** Sends from `phone` every 20 ms until stopped (a talking phone). */
function talk(phone: Phone, port: number): () => void {
  const t = setInterval(() => phone.send(pcmu(1), port), 20);
  return () => clearInterval(t);
}

describe('RTP relay on 127.0.0.1', () => {
  it('allocates an even RTP port and the odd RTCP port above it for each side, in the range', async () => {
    const { session } = await pair();
    for (const side of ['a', 'b'] as const) {
      const l = session.local(side);
      assert.equal(l.address, HOST);
      assert.equal(l.rtpPort % 2, 0);
      assert.equal(l.rtcpPort, l.rtpPort + 1);
      assert.ok(l.rtpPort >= 22000 && l.rtcpPort <= 22099);
    }
    assert.notEqual(session.local('a').rtpPort, session.local('b').rtpPort);
  });

  it('latches to each side’s source and forwards RTP both ways, from the facing side’s own port', async () => {
    const { session, a, b, to } = await pair();
    a.send(pcmu(1), to('a'));
    await waitFor(() => session.stats().a.packetsIn === 1, {
      timeoutMs: BOUND,
      what: 'relay to get A’s packet',
    });
    assert.equal(session.stats().aToB.dropped, 1, 'nowhere to send before B is known');
    b.send(pcmu(2), to('b'));
    const [atA] = await a.expect(1, 'B’s packet at A');
    assert.equal(atA?.msg[12], 2);
    assert.equal(atA?.from.port, to('a'), 'symmetric RTP: sent from the port A sends to');
    a.send(pcmu(3), to('a'));
    const [atB] = await b.expect(1, 'A’s packet at B');
    assert.equal(atB?.msg[12], 3);
    assert.equal(atB?.from.port, to('b'));
    assert.deepEqual(session.remote('a'), {
      latched: true,
      rtp: { address: HOST, port: a.port },
      rtcp: { address: HOST, port: a.port + 1 },
    });
  });

  it('once latched, drops packets from any other source (no media injection or theft)', async () => {
    const { session, a, b, to } = await pair();
    const intruder = await Phone.open();
    phones.push(intruder);
    await latch(session, 'a', a);
    await latch(session, 'b', b);
    intruder.send(pcmu(66, 0xbad), to('a'));
    a.send(pcmu(5), to('a'));
    await b.expect(1, 'A’s packet at B', (d) => d.msg[12] === 5);
    await waitFor(() => session.stats().a.foreign === 1, {
      timeoutMs: BOUND,
      what: 'the intruder to be counted',
    });
    assert.equal(b.received.filter((d) => d.msg[12] === 66).length, 0);
    b.send(pcmu(6), to('b'));
    await a.expect(1, 'B’s packet still goes to A, not to the intruder', (d) => d.msg[12] === 6);
    assert.equal(intruder.received.length, 0);
  });

  it('sends to the SDP address before the first packet latches', async () => {
    const { session, a, b, to } = await pair();
    session.setRemote('b', { address: HOST, port: b.port });
    a.send(pcmu(4), to('a'));
    await b.expect(1, 'A’s packet at B’s SDP address');
    assert.equal(session.remote('b').latched, false);
  });

  it('re-latches after setRemote (a re-INVITE moved the media)', async () => {
    const { session, a, b, to } = await pair();
    const b2 = await Phone.open();
    phones.push(b2);
    await latch(session, 'b', b);
    a.send(pcmu(2), to('a'));
    await b.expect(1, 'first packet at B');
    session.setRemote('b', { address: HOST, port: b2.port });
    a.send(pcmu(3), to('a'));
    await b2.expect(1, 'packet at the new SDP address');
    b2.send(pcmu(4), to('b'));
    await a.expect(1, 'B2’s packet at A');
    assert.equal(session.remote('b').rtp?.port, b2.port);
  });

  it('forwards RTCP between the RTCP ports, and muxed RTCP on the RTP ports (RFC 5761)', async () => {
    const { session, a, b, to } = await pair();
    const aRtcp = await Phone.open();
    const bRtcp = await Phone.open();
    phones.push(aRtcp, bRtcp);
    bRtcp.send(rtcpRr(0xb), session.local('b').rtcpPort);
    await waitFor(() => session.stats().b.rtcpIn === 1, { timeoutMs: BOUND, what: 'B’s RTCP to latch' });
    aRtcp.send(rtcpRr(0xa), session.local('a').rtcpPort);
    const [rr] = await bRtcp.expect(1, 'A’s RTCP at B');
    assert.equal(rr?.msg.readUInt32BE(4), 0xa);
    assert.equal(rr?.from.port, session.local('b').rtcpPort);
    // Muxed: RTCP on the RTP port goes out on the other side's RTP port.
    await latch(session, 'b', b);
    a.send(rtcpRr(0xaa), to('a'));
    const [muxed] = await b.expect(1, 'muxed RTCP at B', (d) => d.msg[1] === 201);
    assert.equal(muxed?.msg.readUInt32BE(4), 0xaa);
    assert.equal(session.stats().a.rtcpIn, 2);
  });

  it('taps see A’s packets; telephone-events from A are suppressed towards B while detecting (MCC-2), and still pass B → A', async () => {
    const { session, a, b, to } = await pair();
    const digits: DtmfEvent[] = [];
    const tapped: number[] = [];
    session.addTap('a', (p) => tapped.push(p.payloadType));
    const events = new EventEmitter();
    session.detectDtmf('a', {
      payloadType: 101,
      onDigit: (e) => {
        digits.push(e);
        events.emit('digit');
      },
    });
    await latch(session, 'b', b);
    a.send(pcmu(1), to('a'));
    await b.expect(1, 'A’s audio at B');
    for (const press of [10, 10]) {
      const ts = seq * 160;
      a.send(telephoneEvent(ts, press, 160, false, true), to('a'));
      a.send(telephoneEvent(ts, press, 320), to('a'));
      for (let i = 0; i < 3; i++) a.send(telephoneEvent(ts, press, 480, true), to('a'));
    }
    a.send(pcmu(9), to('a'));
    await b.expect(2, 'A’s audio after the digits', (d) => d.msg[1] === 0);
    await waitFor(() => digits.length >= 2, {
      timeoutMs: BOUND,
      what: 'two digits',
      wakeOn: [events, 'digit'],
    });
    assert.equal(digits.map((d) => d.digit).join(''), '**');
    assert.equal(
      b.received.filter((d) => (d.msg[1]! & 0x7f) === 101).length,
      0,
      'no telephone-event reached B',
    );
    assert.equal(session.stats().aToB.suppressed, 10);
    assert.equal(tapped.filter((pt) => pt === 101).length, 10);
    // The other way is not under detection.
    b.send(telephoneEvent(1, 5, 160, true), to('b'));
    await a.expect(1, 'B’s telephone-event at A', (d) => (d.msg[1]! & 0x7f) === 101);
  });

  it('stopping detection lets telephone-events through again', async () => {
    const { session, a, b, to } = await pair();
    const tap = session.detectDtmf('a', { payloadType: 101, onDigit: () => {} });
    await latch(session, 'b', b);
    a.send(telephoneEvent(1, 1, 160, true), to('a'));
    await waitFor(() => session.stats().aToB.suppressed === 1, { timeoutMs: BOUND, what: 'suppression' });
    tap.stop();
    tap.stop();
    a.send(telephoneEvent(2, 1, 160, true), to('a'));
    await b.expect(1, 'telephone-event at B after stop', (d) => (d.msg[1]! & 0x7f) === 101);
  });

  for (const [setting, codec, freqs] of [
    ['350+440', 'PCMU', [350, 440]],
    ['425', 'PCMA', [425]],
  ] as const) {
    it(`injects ${setting} dial tone in ${codec} towards A, holding B’s media back, and it decodes to ${freqs.join('+')} Hz`, async () => {
      const { session, a, b, to } = await pair();
      await latch(session, 'a', a);
      await latch(session, 'b', b);
      const source = createToneSource(dialTone(setting), { codec });
      const player = session.play('a', source);
      const stopTalking = talk(b, to('b'));
      try {
        const tone = await a.expect(15, 'dial tone at A', (d) => parseRtp(d.msg)?.ssrc === source.ssrc);
        const packets = tone.map((d) => parseRtp(d.msg)!);
        const first = packets[0]!;
        assert.equal(first.marker, true);
        assert.equal(first.payloadType, codec === 'PCMU' ? 0 : 8);
        packets.forEach((p, i) => {
          assert.equal(p.sequence, (first.sequence + i) & 0xffff, 'sequence +1 per packet');
          assert.equal(p.timestamp, (first.timestamp + 160 * i) >>> 0, 'timestamp +160 per packet');
          assert.equal(p.payload.length, 160);
          if (i > 0) assert.equal(p.marker, false);
        });
        const pcm = new Int16Array(1600);
        for (const [i, p] of packets.slice(0, 10).entries()) pcm.set(decodeG711(codec, p.payload), i * 160);
        assert.deepEqual(presentFrequencies(pcm, [350, 425, 440, 1000], 0.2), [...freqs]);
        const fromB = a.received.filter((d) => parseRtp(d.msg)?.ssrc === 1).length;
        assert.equal(fromB, 0, 'B’s media held back while the tone plays');
        assert.ok(session.stats().bToA.dropped > 0);
        player.stop();
        await a.expect(1, 'B’s media at A again', (d) => parseRtp(d.msg)?.ssrc === 1);
      } finally {
        stopTalking();
      }
    });
  }

  it('a finite tone ends by itself and says so', async () => {
    const { session, a } = await pair();
    await latch(session, 'a', a);
    const ended = new Promise<void>((resolve) =>
      session.play('a', createToneSource(confirmationTone()), { onEnd: resolve }),
    );
    await withTimeout(ended, { timeoutMs: BOUND, what: 'confirmation tone to end' });
    await a.expect(25, 'all 25 confirmation packets');
    assert.equal(session.stats().a.injected, 25);
  });

  it('the detector hears digits in packets decoded off the wire', async () => {
    const { session, a, b, to } = await pair();
    const digits: string[] = [];
    const det = createDtmfDetector({ payloadType: 101, onDigit: (e) => digits.push(e.digit) });
    await latch(session, 'b', b);
    a.send(pcmu(1), to('a'));
    await b.expect(1, 'A’s audio at B');
    a.send(telephoneEvent(500, 11, 160, true), to('a'));
    const [d] = await b.expect(1, 'telephone-event at B', (x) => (x.msg[1]! & 0x7f) === 101);
    det.handle(parseRtp(d!.msg)!);
    assert.deepEqual(digits, ['#']);
    assert.equal(session.closed, false);
  });

  it('media timeout: a side silent on an established session is reported once', async () => {
    const timeouts: Side[] = [];
    const events = new EventEmitter();
    const r = relay({ mediaTimeoutMs: 300 });
    const session = await r.createSession({
      onTimeout: (side) => {
        timeouts.push(side);
        events.emit('timeout');
      },
    });
    const a = await Phone.open();
    const b = await Phone.open();
    phones.push(a, b);
    const stop = talk(a, session.local('a').rtpPort);
    try {
      b.send(pcmu(1), session.local('b').rtpPort);
      const started = performance.now();
      await waitFor(() => timeouts.length > 0, {
        timeoutMs: BOUND,
        what: 'media timeout',
        wakeOn: [events, 'timeout'],
      });
      const elapsed = performance.now() - started;
      assert.deepEqual(timeouts, ['b']);
      assert.ok(elapsed >= 250, `not before the timeout (${elapsed.toFixed(0)} ms)`);
    } finally {
      stop();
    }
  });

  it('no media timeout before the session is established, nor when switched off', async () => {
    const timeouts: Side[] = [];
    const r = relay({ mediaTimeoutMs: 100 });
    const quiet = await r.createSession({ onTimeout: (s) => timeouts.push(s) });
    const off = await r.createSession({ onTimeout: (s) => timeouts.push(s) });
    off.markEstablished();
    off.setMediaTimeout(0);
    const control = await r.createSession({ onTimeout: (s) => timeouts.push(s) });
    control.markEstablished();
    await waitFor(() => timeouts.length > 0, { timeoutMs: BOUND, what: 'the control session to time out' });
    // Three times the timeout: long enough for the other two to have fired had they been armed.
    await delay(300);
    assert.equal(timeouts.length, 1, 'only the established session with a timeout fired');
    assert.equal(quiet.closed, false);
  });

  it('close() is idempotent, frees the ports, and they can be bound again', async () => {
    const r = relay();
    const session = await r.createSession();
    const ports = [session.local('a'), session.local('b')].flatMap((l) => [l.rtpPort, l.rtcpPort]);
    assert.deepEqual(
      r.portsInUse(),
      [...ports].sort((x, y) => x - y),
    );
    await Promise.all([session.close(), session.close()]);
    await session.close();
    assert.equal(session.closed, true);
    assert.deepEqual(r.portsInUse(), []);
    assert.equal(r.sessionCount, 0);
    for (const port of ports) {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, HOST, () => resolve());
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    assert.equal(session.inject('a', pcmu(1)), false, 'nothing goes out of a closed session');
  });

  it('skips ports in use by someone else', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(22201, HOST, resolve));
    try {
      const r = relay({ portMin: 22200, portMax: 22209 });
      const session = await r.createSession();
      assert.deepEqual(r.portsInUse(), [22202, 22203, 22204, 22205]);
      await session.close();
    } finally {
      squatter.close();
    }
  });

  it('an odd range start is rounded up to an even RTP port', async () => {
    const r = relay({ portMin: 22301, portMax: 22306 });
    const session = await r.createSession();
    assert.equal(session.local('a').rtpPort, 22302);
    assert.equal(session.local('b').rtpPort, 22304);
  });

  it('rejects a session when the range is exhausted, and succeeds once ports are freed', async () => {
    const r = relay({ portMin: 22400, portMax: 22403 });
    const first = await r.createSession();
    await assert.rejects(r.createSession(), PortsExhaustedError);
    assert.equal(r.portsInUse().length, 4, 'the failed attempt gave its ports back');
    await first.close();
    const second = await r.createSession();
    assert.equal(second.closed, false);
  });

  it('closing the relay closes its sessions; new sessions are refused', async () => {
    const r = relay();
    const s1 = await r.createSession();
    const s2 = await r.createSession();
    await r.close();
    await r.close();
    assert.equal(s1.closed && s2.closed, true);
    assert.deepEqual(r.portsInUse(), []);
    await assert.rejects(r.createSession(), RelayClosedError);
  });

  it('counts packets and bytes per direction and the last packet time', async () => {
    const { session, a, b, to } = await pair();
    await latch(session, 'b', b);
    for (let i = 0; i < 5; i++) a.send(pcmu(i), to('a'));
    await b.expect(5, 'five packets at B');
    const s = session.stats();
    assert.equal(s.aToB.packets, 5);
    assert.equal(s.aToB.bytes, 5 * 172);
    assert.equal(s.a.packetsIn, 5);
    assert.equal(s.b.packetsIn, 1);
    assert.equal(s.bToA.dropped, 1, 'B’s first packet had nowhere to go: A had not sent yet');
    assert.equal(s.bToA.packets, 0);
    assert.ok(typeof s.a.lastPacketAt === 'number');
    assert.deepEqual(s.a.latched, { address: HOST, port: a.port });
  });

  it('drops nothing it cannot parse on the floor of the process: garbage is forwarded or ignored, never thrown', async () => {
    const { session, a, b, to } = await pair();
    session.addTap('a', () => {
      throw new Error('a failing tap');
    });
    session.detectDtmf('a', { payloadType: 101, onDigit: () => {} });
    await latch(session, 'b', b);
    a.send(Buffer.from([1, 2, 3]), to('a'));
    a.send(Buffer.from('not rtp at all, but long enough'), to('a'));
    a.send(pcmu(2), to('a'));
    await b.expect(3, 'every datagram forwarded');
  });
});

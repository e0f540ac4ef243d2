/**
 * A peer's media socket for interop tests: a `node:dgram` socket on 127.0.0.1 at a free port,
 * advertised in a SIPp peer's SDP (`-key rtp_port`), that keys RFC 4733 telephone-events and
 * records every datagram twinline sends to it, with its arrival time.
 *
 * twinline's relay latches to the source of a side's RTP (symmetric RTP, RFC 4961), so the
 * socket that keys the digits is the one that hears the answer: one socket does both.
 *
 *   const mobile = await openMediaPeer('mobile');
 *   const sipp = await peerOn(port, 'uas-answer-media-key', { keys: { rtp_port: mobile.port } });
 *   await mobile.keys('**', relayPort);
 *   const tone = await mobile.waitForRtp(50, { payloadType: 0, timeoutMs: 5000, what: 'dial tone' });
 *   const levels = toneLevels(tone, [350, 440, 425]);
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { eventOfDigit, isDtmfDigit, serializeTelephoneEvent } from '../../src/media/dtmf.js';
import { decodeG711, type G711Codec } from '../../src/media/g711.js';
import { goertzelPower, signalPower } from '../../src/media/goertzel.js';
import { parseRtp, type RtpPacket, seqNewer, serializeRtp } from '../../src/media/rtp.js';
import { LOOPBACK } from './ports.js';
import { delay, waitFor } from './wait.js';

/** One RTP packet as it arrived. */
export interface ReceivedRtp {
  packet: RtpPacket;
  /** performance.now() on arrival. */
  at: number;
  from: dgram.RemoteInfo;
}

export interface KeyOptions {
  /** RFC 4733 payload type the SDP gave telephone-event; default 101. */
  payloadType?: number;
  /** Length of each press; default 120 ms. */
  durationMs?: number;
  /** Silence between presses; default 150 ms. */
  gapMs?: number;
}

export interface MediaPeer {
  readonly name: string;
  readonly port: number;
  readonly socket: dgram.Socket;
  /** Every RTP packet received so far, in arrival order (anything that is not RTP is counted in `other`). */
  readonly received: readonly ReceivedRtp[];
  readonly other: number;
  /** RTP packets sent so far (the key presses). */
  readonly sent: number;
  /**
   * Keys `digits` as RFC 4733 telephone-events to 127.0.0.1:`port`, in real time: each press is
   * a start packet (marker), continuation packets every 50 ms with a growing duration, then three
   * end packets with the E bit (RFC 4733 §2.5.1.4); each press has its own timestamp.
   */
  keys(digits: string, port: number, options?: KeyOptions): Promise<void>;
  /**
   * Waits (bounded) until `count` RTP packets that pass `filter` have arrived after index `from`
   * of `received`; resolves with them in arrival order.
   */
  waitForRtp(
    count: number,
    options: { timeoutMs: number; what: string; from?: number; filter?: (r: ReceivedRtp) => boolean },
  ): Promise<ReceivedRtp[]>;
  close(): Promise<void>;
}

/** Opens a media socket on 127.0.0.1 at a port the kernel picks (free by construction). */
export async function openMediaPeer(name: string): Promise<MediaPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const received: ReceivedRtp[] = [];
  let other = 0;
  let sent = 0;
  socket.on('message', (msg, from) => {
    const packet = parseRtp(msg);
    if (packet) received.push({ packet, at: performance.now(), from });
    else other++;
  });
  // A late ICMP "port unreachable" must not crash the test process.
  socket.on('error', () => {});
  const ssrc = randomInt(0, 2 ** 32 - 1);
  let sequence = randomInt(0, 0x10000);
  let timestamp = randomInt(0, 2 ** 31);
  let closed = false;

  const send = (payloadType: number, marker: boolean, ts: number, payload: Buffer, to: number): void => {
    if (closed) return;
    socket.send(serializeRtp({ payloadType, marker, sequence, timestamp: ts, ssrc, payload }), to, LOOPBACK);
    sequence = (sequence + 1) & 0xffff;
    sent++;
  };

  return {
    name,
    port: socket.address().port,
    socket,
    received,
    get other() {
      return other;
    },
    get sent() {
      return sent;
    },
    async keys(digits, port, options = {}) {
      const payloadType = options.payloadType ?? 101;
      const durationMs = options.durationMs ?? 120;
      const gapMs = options.gapMs ?? 150;
      for (const [i, key] of [...digits].entries()) {
        if (!isDtmfDigit(key)) throw new RangeError(`no telephone-event for '${key}'`);
        const event = eventOfDigit(key);
        if (i > 0) await delay(gapMs);
        // RFC 4733 §2.3.1: every press is a new event, with the timestamp of its start.
        timestamp = (timestamp + (durationMs + gapMs) * 8) >>> 0;
        const ts = timestamp;
        for (let t = 0; t < durationMs; t += 50) {
          if (t > 0) await delay(50);
          const units = Math.max(160, t * 8);
          send(
            payloadType,
            t === 0,
            ts,
            serializeTelephoneEvent({ event, end: false, volume: 10, duration: units }),
            port,
          );
        }
        await delay(Math.max(0, durationMs - Math.floor((durationMs - 1) / 50) * 50));
        // RFC 4733 §2.5.1.4: the end packet is sent three times, same duration and timestamp.
        const end = serializeTelephoneEvent({ event, end: true, volume: 10, duration: durationMs * 8 });
        for (let k = 0; k < 3; k++) send(payloadType, false, ts, end, port);
      }
    },
    waitForRtp(count, options) {
      const from = options.from ?? 0;
      const filter = options.filter ?? (() => true);
      return waitFor(
        () => {
          const hits = received.slice(from).filter(filter);
          return hits.length >= count ? hits.slice(0, count) : undefined;
        },
        {
          timeoutMs: options.timeoutMs,
          what: `${name}: ${options.what}`,
          detail: () =>
            `${name} received ${received.length} RTP packet(s) (${
              received.slice(from).filter(filter).length
            } matching) and ${other} other datagram(s)`,
          wakeOn: [socket, 'message'],
        },
      );
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/**
 * The G.711 audio of a run of packets of one stream, in sequence order (RFC 3550 §5.1: serial
 * comparison, so a wrap is handled), decoded to 16-bit PCM.
 */
export function decodeStream(packets: readonly ReceivedRtp[], codec: G711Codec = 'PCMU'): Int16Array {
  const ordered = [...packets].sort((x, y) =>
    x.packet.sequence === y.packet.sequence ? 0 : seqNewer(y.packet.sequence, x.packet.sequence) ? -1 : 1,
  );
  const chunks = ordered.map((r) => decodeG711(codec, r.packet.payload));
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * Each frequency's share of the block's energy, by Goertzel: a pure sine of amplitude A gives a
 * Goertzel power of A²/4 against a mean power of A²/2, so a share is 2·power/mean (1 = all of it).
 */
export function toneLevels(
  samples: ArrayLike<number>,
  freqs: readonly number[],
  sampleRate = 8000,
): Map<number, number> {
  const total = signalPower(samples);
  return new Map(
    freqs.map((f) => [f, total === 0 ? 0 : (2 * goertzelPower(samples, f, sampleRate)) / total]),
  );
}

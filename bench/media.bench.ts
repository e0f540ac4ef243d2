/**
 * Media relay benchmark on 127.0.0.1.
 *
 * The relay runs alone on the main thread (one core); a worker thread plays both phones, so
 * the phones' own work does not count against the relay.
 *   - throughput: phone A sends 172-byte PCMU packets through the relay to phone B as fast as
 *     B receives them (at most WINDOW in flight, so the kernel drops nothing), for ~3 s;
 *   - forwarding delay: A sends at ~1 kHz with its send time in the payload, B records the
 *     one-way time; the same run straight from A to B gives the loopback baseline, and the
 *     difference at p50/p99 is what the relay adds.
 *   - jitter: 100, then 500 concurrent calls' worth of streams, each 50 packets/s of 20 ms PCMU
 *     (phases spread over the 20 ms so the load is even, as real calls are), once straight over
 *     loopback and once through one relay session per stream. Each receiver keeps the RFC 3550
 *     §6.4.1 interarrival jitter estimate, J += (|D(i-1,i)| − J)/16, over transit times taken
 *     from the send instant in the payload (in µs: 8 kHz timestamp units, 125 µs, are too coarse
 *     for loopback, and the sender's own timer slop would otherwise swamp what the path adds).
 *     The figures are J's mean and p99 over every packet after a warm-up, and the relay's
 *     "added jitter" is through-relay minus direct.
 * Every phase is bounded; the bench gives up with an error rather than hang.
 */
import { Worker } from 'node:worker_threads';
import { createRtpRelay } from '../src/media/relay.js';

const HOST = '127.0.0.1';
const THROUGHPUT_MS = 3000;
const DELAY_MS = 2000;
/** Concurrent 50 packets/s streams per jitter phase. */
const JITTER_STREAMS = [100, 500] as const;
const JITTER_MS = 3000;
/** Packets of the first half second of a jitter phase are not counted (sockets and JIT warm up). */
const JITTER_WARMUP_MS = 500;

const PHONES = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { HOST, relayA, relayB, window } = workerData;
const a = dgram.createSocket('udp4');
const b = dgram.createSocket('udp4');
let onB = () => {};
b.on('message', (m) => onB(m));
const packet = (seq) => {
  const p = Buffer.alloc(172, 0xff);
  p[0] = 0x80; p[1] = 0; p.writeUInt16BE(seq & 0xffff, 2); p.writeUInt32BE((seq * 160) >>> 0, 4); p.writeUInt32BE(0x1234, 8);
  return p;
};
const now = () => performance.now();
function throughput(ms) {
  return new Promise((resolve) => {
    let sent = 0, received = 0, writtenOff = 0, done = false, lastSeen = 0;
    const end = now() + ms;
    const inFlight = () => sent - received - writtenOff;
    const finish = () => { if (!done) { done = true; clearInterval(t); resolve({ received, elapsedMs: ms }); } };
    const pump = () => { while (!done && inFlight() < window) a.send(packet(sent++), relayA, HOST); };
    onB = () => {
      if (done) return;
      received++;
      if (now() >= end) finish();
      else if (inFlight() < window / 2) pump();
    };
    // A datagram lost on the way must not stall the window: when nothing arrived for 50 ms,
    // write the packets in flight off (they are not counted as received) and carry on.
    const t = setInterval(() => {
      if (now() >= end) return finish();
      if (received === lastSeen) { writtenOff += inFlight(); pump(); }
      lastSeen = received;
    }, 50);
    pump();
  });
}
function delays(ms, port) {
  return new Promise((resolve) => {
    const samples = [];
    onB = (m) => { samples.push((now() - m.readDoubleBE(12)) * 1000); };
    let seq = 0;
    const end = now() + ms;
    const t = setInterval(() => {
      if (now() >= end) { clearInterval(t); setTimeout(() => resolve(samples), 50); return; }
      const p = packet(seq++);
      p.writeDoubleBE(now(), 12);
      a.send(p, port, HOST);
    }, 1);
  });
}
// Jitter: one sender and one receiver socket per stream.
const senders = [];
const receivers = [];
async function bindStreams(n) {
  const bind = (s) => new Promise((r) => s.bind(0, HOST, r));
  while (senders.length < n) {
    const tx = dgram.createSocket('udp4');
    const rx = dgram.createSocket('udp4');
    await bind(tx);
    await bind(rx);
    senders.push(tx);
    receivers.push(rx);
  }
  return { senders: senders.slice(0, n).map((s) => s.address().port), receivers: receivers.slice(0, n).map((s) => s.address().port) };
}
function jitter(ms, warmupMs, targets) {
  return new Promise((resolve) => {
    const n = targets.length;
    const start = now();
    const countFrom = start + warmupMs;
    const end = start + ms;
    const state = targets.map(() => ({ j: 0, lastTransit: undefined }));
    const samples = [];
    let sent = 0, received = 0;
    receivers.slice(0, n).forEach((rx, i) => {
      rx.removeAllListeners('message');
      rx.on('message', (m) => {
        const at = now();
        const transit = (at - m.readDoubleBE(12)) * 1000;
        const st = state[i];
        // RFC 3550 §6.4.1: D = difference of consecutive transit times; J += (|D| - J) / 16.
        if (st.lastTransit !== undefined) st.j += (Math.abs(transit - st.lastTransit) - st.j) / 16;
        st.lastTransit = transit;
        if (at >= countFrom) { samples.push(st.j); received++; }
      });
    });
    // 50 packets/s each, phases spread evenly over the 20 ms period.
    const due = targets.map((_, i) => start + (i * 20) / n);
    const seq = targets.map(() => 0);
    const t = setInterval(() => {
      const tNow = now();
      if (tNow >= end) {
        clearInterval(t);
        setTimeout(() => resolve({ samples, sent, received }), 100);
        return;
      }
      for (let i = 0; i < n; i++) {
        while (due[i] <= tNow) {
          const p = packet(seq[i]++);
          p.writeUInt32BE(i, 8);
          const sendAt = now();
          p.writeDoubleBE(sendAt, 12);
          senders[i].send(p, targets[i], HOST);
          if (sendAt >= countFrom) sent++;
          due[i] += 20;
        }
      }
    }, 1);
  });
}
parentPort.on('message', async (msg) => {
  if (msg.cmd === 'bindStreams') {
    parentPort.postMessage(await bindStreams(msg.n));
  } else if (msg.cmd === 'jitter') {
    parentPort.postMessage(await jitter(msg.ms, msg.warmupMs, msg.targets));
  } else if (msg.cmd === 'bind') {
    await new Promise((r) => a.bind(0, HOST, r));
    await new Promise((r) => b.bind(0, HOST, r));
    parentPort.postMessage({ bPort: b.address().port });
  } else if (msg.cmd === 'latch') {
    a.send(packet(0), relayA, HOST);
    b.send(packet(0), relayB, HOST);
  } else if (msg.cmd === 'throughput') {
    parentPort.postMessage(await throughput(msg.ms));
  } else if (msg.cmd === 'delay') {
    parentPort.postMessage(await delays(msg.ms, msg.port));
  } else if (msg.cmd === 'close') {
    a.close(); b.close();
    for (const s of [...senders, ...receivers]) s.close();
    parentPort.close();
  }
});
`;

function ask<T>(worker: Worker, msg: object, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`media bench: timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const onMessage = (reply: T) => {
      clearTimeout(timer);
      resolve(reply);
    };
    worker.once('message', onMessage);
    worker.postMessage(msg);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface JitterRun {
  /** J after each packet counted, µs. */
  samples: number[];
  sent: number;
  received: number;
}

interface JitterFigures {
  meanUs: number;
  p99Us: number;
  lossPct: number;
}

function jitterFigures(r: JitterRun): JitterFigures {
  if (r.samples.length === 0) throw new Error('media bench: no packet arrived in a jitter run');
  const sorted = [...r.samples].sort((x, y) => x - y);
  return {
    meanUs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p99Us: percentile(sorted, 99),
    lossPct: r.sent > 0 ? Math.max(0, (100 * (r.sent - r.received)) / r.sent) : 0,
  };
}

type Figure = { name: string; value: number; unit: string; key?: string };

/**
 * The jitter phases: the same streams straight over loopback, then through one relay session
 * each (side a latches on the sender, side b sends to the receiver its SDP would name).
 */
async function jitterPhases(worker: Worker): Promise<Figure[]> {
  const most = Math.max(...JITTER_STREAMS);
  // Two RTP/RTCP pairs per session: 500 sessions take 2,000 ports; the range leaves room for
  // ports the OS refuses.
  const relay = createRtpRelay({ bindAddress: HOST, portMin: 26000, portMax: 28999, mediaTimeoutMs: 0 });
  try {
    const ports = await ask<{ senders: number[]; receivers: number[] }>(
      worker,
      { cmd: 'bindStreams', n: most },
      10_000,
      'the stream sockets to bind',
    );
    const sessions = [];
    for (let i = 0; i < most; i++) {
      const s = await relay.createSession({ mediaTimeoutMs: 0 });
      s.setRemote('b', { address: HOST, port: ports.receivers[i]! });
      sessions.push(s);
    }
    const figures: Figure[] = [];
    const round = (v: number) => Math.round(v * 10) / 10;
    for (const n of JITTER_STREAMS) {
      const phase = (targets: number[], what: string) =>
        ask<JitterRun>(
          worker,
          { cmd: 'jitter', ms: JITTER_MS, warmupMs: JITTER_WARMUP_MS, targets },
          JITTER_MS + 5000,
          what,
        ).then(jitterFigures);
      const direct = await phase(ports.receivers.slice(0, n), `the direct jitter run (${n} streams)`);
      // The main thread does nothing but relay meanwhile: its event-loop use is the relay's load.
      const idle = performance.eventLoopUtilization();
      const through = await phase(
        sessions.slice(0, n).map((s) => s.local('a').rtpPort),
        `the relay jitter run (${n} streams)`,
      );
      const busy = performance.eventLoopUtilization(idle).utilization;
      figures.push(
        {
          name: `media relay added jitter, ${n} streams × 50 pps (RFC 3550 J, mean)`,
          value: round(through.meanUs - direct.meanUs),
          unit: 'µs',
          key: `mediaRelayAddedJitter${n}StreamsUs`,
        },
        {
          name: `media relay added jitter, ${n} streams × 50 pps (RFC 3550 J, p99)`,
          value: round(through.p99Us - direct.p99Us),
          unit: 'µs',
          key: `mediaRelayAddedJitterP99${n}StreamsUs`,
        },
        { name: `jitter through relay, ${n} streams (mean J)`, value: round(through.meanUs), unit: 'µs' },
        { name: `jitter through relay, ${n} streams (p99 J)`, value: round(through.p99Us), unit: 'µs' },
        { name: `loopback jitter, ${n} streams, no relay (mean J)`, value: round(direct.meanUs), unit: 'µs' },
        { name: `loopback jitter, ${n} streams, no relay (p99 J)`, value: round(direct.p99Us), unit: 'µs' },
        {
          name: `media relay event loop busy, ${n} streams × 50 pps`,
          value: Math.round(busy * 1000) / 10,
          unit: '%',
        },
        {
          name: `media relay packet loss, ${n} streams × 50 pps`,
          value: Math.round(through.lossPct * 1000) / 1000,
          unit: '%',
        },
      );
    }
    return figures;
  } finally {
    await relay.close();
  }
}

export async function run(): Promise<Figure[]> {
  const relay = createRtpRelay({ bindAddress: HOST, portMin: 24000, portMax: 24999 });
  const session = await relay.createSession({ mediaTimeoutMs: 0 });
  const worker = new Worker(PHONES, {
    eval: true,
    workerData: { HOST, relayA: session.local('a').rtpPort, relayB: session.local('b').rtpPort, window: 64 },
  });
  try {
    const { bPort } = await ask<{ bPort: number }>(worker, { cmd: 'bind' }, 5000, 'the phones to bind');
    worker.postMessage({ cmd: 'latch' });
    const latchDeadline = performance.now() + 5000;
    while (!(session.remote('a').latched && session.remote('b').latched)) {
      if (performance.now() > latchDeadline)
        throw new Error('media bench: the relay did not latch within 5 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    await ask(worker, { cmd: 'throughput', ms: 300 }, 5000, 'warm-up');
    const t = await ask<{ received: number; elapsedMs: number }>(
      worker,
      { cmd: 'throughput', ms: THROUGHPUT_MS },
      THROUGHPUT_MS + 5000,
      'the throughput run',
    );
    const pps = Math.round(t.received / (t.elapsedMs / 1000));

    const through = (
      await ask<number[]>(
        worker,
        { cmd: 'delay', ms: DELAY_MS, port: session.local('a').rtpPort },
        DELAY_MS + 5000,
        'the delay run',
      )
    ).sort((x, y) => x - y);
    const direct = (
      await ask<number[]>(
        worker,
        { cmd: 'delay', ms: DELAY_MS, port: bPort },
        DELAY_MS + 5000,
        'the baseline run',
      )
    ).sort((x, y) => x - y);
    const jitter = await jitterPhases(worker);
    const round = (v: number) => Math.round(v * 10) / 10;
    return [
      {
        name: 'media relay packets/s (one core, 172-byte PCMU)',
        value: pps,
        unit: 'packets/s',
        key: 'mediaRelayPps',
      },
      {
        name: 'media relay added delay p50',
        value: round(percentile(through, 50) - percentile(direct, 50)),
        unit: 'µs',
        key: 'mediaRelayAddedDelayP50Us',
      },
      {
        name: 'media relay added delay p99',
        value: round(percentile(through, 99) - percentile(direct, 99)),
        unit: 'µs',
        key: 'mediaRelayAddedDelayP99Us',
      },
      {
        name: 'media relay one-way delay p50 (through relay)',
        value: round(percentile(through, 50)),
        unit: 'µs',
      },
      {
        name: 'media relay one-way delay p99 (through relay)',
        value: round(percentile(through, 99)),
        unit: 'µs',
      },
      { name: 'loopback one-way delay p50 (no relay)', value: round(percentile(direct, 50)), unit: 'µs' },
      ...jitter,
    ];
  } finally {
    worker.postMessage({ cmd: 'close' });
    await worker.terminate();
    await relay.close();
  }
}

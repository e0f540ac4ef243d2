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
 * Every phase is bounded; the bench gives up with an error rather than hang.
 */
import { Worker } from 'node:worker_threads';
import { createRtpRelay } from '../src/media/relay.js';

const HOST = '127.0.0.1';
const THROUGHPUT_MS = 3000;
const DELAY_MS = 2000;

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
parentPort.on('message', async (msg) => {
  if (msg.cmd === 'bind') {
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
    a.close(); b.close(); parentPort.close();
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

export async function run(): Promise<{ name: string; value: number; unit: string; key?: string }[]> {
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
    ];
  } finally {
    worker.postMessage({ cmd: 'close' });
    await worker.terminate();
    await relay.close();
  }
}

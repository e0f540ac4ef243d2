import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import type { SipRequest } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse.js';
import {
  type InboundMessage,
  startTransports,
  type Transport,
  type TransportSet,
} from '../../../src/sip/transport/index.js';

const OPTIONS = (transport: string, port: number, extra = '') =>
  Buffer.from(
    `OPTIONS sip:twinline@127.0.0.1 SIP/2.0\r\n` +
      `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-t1;rport\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=a1\r\nTo: <sip:twinline@127.0.0.1>\r\n` +
      `Call-ID: transport-test@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n${extra || 'Content-Length: 0\r\n'}\r\n`,
  );

interface Harness {
  set: TransportSet;
  received: { inbound: InboundMessage; transport: Transport }[];
  rejected: { status: number; reason: string }[];
  next(): Promise<{ inbound: InboundMessage; transport: Transport }>;
}

const open: TransportSet[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
});

async function harness(address = '127.0.0.1'): Promise<Harness> {
  const received: Harness['received'] = [];
  const rejected: Harness['rejected'] = [];
  const waiters: ((v: Harness['received'][number]) => void)[] = [];
  const set = await startTransports({
    address,
    port: 0,
    events: {
      onMessage(inbound, transport) {
        const item = { inbound, transport };
        const w = waiters.shift();
        if (w) w(item);
        else received.push(item);
      },
      onRejected: (r) => rejected.push(r),
    },
  });
  open.push(set);
  return {
    set,
    received,
    rejected,
    next: () =>
      new Promise((resolve, reject) => {
        const queued = received.shift();
        if (queued) return resolve(queued);
        const bound = setTimeout(() => reject(new Error('no message within 5 s')), 5000);
        waiters.push((v) => {
          clearTimeout(bound);
          resolve(v);
        });
      }),
  };
}

function udpClient(type: 'udp4' | 'udp6' = 'udp4') {
  const socket = dgram.createSocket(type);
  const inbox: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('message', (b) => {
    const w = waiters.shift();
    if (w) w(b);
    else inbox.push(b);
  });
  return {
    socket,
    ready: new Promise<number>((resolve) =>
      socket.bind(0, type === 'udp6' ? '::1' : '127.0.0.1', () => resolve(socket.address().port)),
    ),
    receive: () =>
      new Promise<Buffer>((resolve, reject) => {
        const queued = inbox.shift();
        if (queued) return resolve(queued);
        const bound = setTimeout(() => reject(new Error('no datagram within 5 s')), 5000);
        waiters.push((b) => {
          clearTimeout(bound);
          resolve(b);
        });
      }),
  };
}

describe('UDP and TCP transports (RFC 3261 §18)', () => {
  it('listens on UDP and TCP on the same port', async () => {
    const h = await harness();
    assert.equal(h.set.udp.local.port, h.set.tcp.local.port);
    assert.equal(h.set.udp.reliable, false);
    assert.equal(h.set.tcp.reliable, true);
  });

  it('delivers a UDP request with its source, and sends a response back', async () => {
    const h = await harness();
    const client = udpClient();
    const port = await client.ready;
    client.socket.send(OPTIONS('UDP', port), h.set.port, '127.0.0.1');
    const { inbound, transport } = await h.next();
    assert.equal((inbound.message as SipRequest).method, 'OPTIONS');
    assert.deepEqual(inbound.source, { protocol: 'UDP', address: '127.0.0.1', port });
    transport.send(
      {
        type: 'response',
        status: 200,
        reason: 'OK',
        version: 'SIP/2.0',
        headers: inbound.message.headers.clone(),
        body: Buffer.alloc(0),
      },
      inbound.source,
    );
    const reply = parseMessage(await client.receive());
    assert.ok(reply.ok && reply.message.type === 'response' && reply.message.status === 200);
    client.socket.close();
  });

  it('answers an unparseable but routable UDP request with 400 to its source', async () => {
    const h = await harness();
    const client = udpClient();
    const port = await client.ready;
    // RFC 3261 §18.3: a Content-Length larger than the datagram's body is a 400.
    client.socket.send(OPTIONS('UDP', port, 'Content-Length: 500\r\n'), h.set.port, '127.0.0.1');
    const reply = parseMessage(await client.receive());
    assert.ok(reply.ok && reply.message.type === 'response');
    assert.equal(reply.message.status, 400);
    assert.equal(reply.message.headers.get('call-id'), 'transport-test@127.0.0.1');
    assert.equal(h.rejected[0]?.status, 400);
    client.socket.close();
  });

  it('ignores CRLF keep-alives and drops garbage without crashing', async () => {
    const h = await harness();
    const client = udpClient();
    const port = await client.ready;
    client.socket.send(Buffer.from('\r\n\r\n'), h.set.port, '127.0.0.1');
    client.socket.send(Buffer.from([0, 1, 2, 3, 255, 254]), h.set.port, '127.0.0.1');
    client.socket.send(OPTIONS('UDP', port), h.set.port, '127.0.0.1');
    const { inbound } = await h.next();
    assert.equal((inbound.message as SipRequest).method, 'OPTIONS');
    assert.equal(h.received.length, 0);
    client.socket.close();
  });

  it('frames TCP messages split across segments and glued together (RFC 3261 §18.3)', async () => {
    const h = await harness();
    const socket = net.connect({ host: '127.0.0.1', port: h.set.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const one = OPTIONS('TCP', socket.localPort!);
    const two = Buffer.from(one.toString().replace('CSeq: 1', 'CSeq: 2'));
    socket.write(one.subarray(0, 17));
    socket.write(Buffer.concat([one.subarray(17), two]));
    const first = await h.next();
    const second = await h.next();
    assert.equal(first.inbound.message.headers.get('cseq'), '1 OPTIONS');
    assert.equal(second.inbound.message.headers.get('cseq'), '2 OPTIONS');
    assert.equal(first.inbound.source.protocol, 'TCP');
    // The response goes back on the same connection.
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    first.transport.send(
      {
        type: 'response',
        status: 200,
        reason: 'OK',
        version: 'SIP/2.0',
        headers: first.inbound.message.headers.clone(),
        body: Buffer.alloc(0),
      },
      first.inbound.source,
    );
    assert.match((await reply).toString(), /^SIP\/2\.0 200 OK\r\n/);
    socket.destroy();
  });

  it('closes a TCP connection whose message has no Content-Length', async () => {
    const h = await harness();
    const socket = net.connect({ host: '127.0.0.1', port: h.set.port });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(OPTIONS('TCP', 1).toString().replace('Content-Length: 0\r\n', ''));
    await closed;
    assert.ok(h.rejected.length >= 1);
  });

  it('works on IPv6 loopback (RFC 5118)', async () => {
    const h = await harness('::1');
    const client = udpClient('udp6');
    const port = await client.ready;
    const msg = OPTIONS('UDP', port)
      .toString()
      .replace('127.0.0.1:' + port, `[::1]:${port}`);
    client.socket.send(Buffer.from(msg), h.set.port, '::1');
    const { inbound } = await h.next();
    assert.deepEqual(inbound.source, { protocol: 'UDP', address: '::1', port });
    client.socket.close();
  });
});

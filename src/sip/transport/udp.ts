/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message. A datagram that fails to
 * parse is answered with the parser's status when the request can still be routed
 * (see reject.ts), otherwise dropped; nothing a peer sends can throw out of here.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { ParseLimits } from '../limits.js';
import type { SipMessage } from '../message.js';
import { parseMessage } from '../parse.js';
import { serializeMessage } from '../serialize.js';
import type { TransportEvents } from './events.js';
import { rejectionFor } from './reject.js';
import type { Endpoint, Transport } from './types.js';

export interface UdpTransport extends Transport {
  close(): Promise<void>;
}

export async function startUdpTransport(
  address: string,
  port: number,
  limits: Partial<ParseLimits>,
  events: TransportEvents,
): Promise<UdpTransport> {
  // A burst arriving during a garbage-collection pause must wait in the kernel, not be
  // dropped: ask for 8 MiB (the kernel caps it at net.core.rmem_max).
  const socket = dgram.createSocket({
    type: isIP(address) === 6 ? 'udp6' : 'udp4',
    reuseAddr: false,
    recvBufferSize: 8 * 1024 * 1024,
    sendBufferSize: 4 * 1024 * 1024,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  const local: Endpoint = { protocol: 'UDP', address: bound.address, port: bound.port };

  const sendBytes = (bytes: Buffer, to: Endpoint) => {
    socket.send(bytes, to.port, to.address, (err) => {
      if (err) events.onTransportError?.(err, to);
    });
  };

  const transport: UdpTransport = {
    protocol: 'UDP',
    reliable: false,
    local,
    send(message: SipMessage | Buffer, to: Endpoint) {
      sendBytes(Buffer.isBuffer(message) ? message : serializeMessage(message), to);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };

  socket.on('error', (err) => events.onTransportError?.(err, local));
  socket.on('message', (bytes, rinfo) => {
    const source: Endpoint = { protocol: 'UDP', address: rinfo.address, port: rinfo.port };
    // RFC 5626 §4.4.1: a lone CRLF (or CRLFCRLF) datagram is a keep-alive, not a message.
    if (bytes.length <= 4 && bytes.toString('latin1').trim() === '') return;
    const result = parseMessage(bytes, limits);
    if (result.ok) {
      events.onMessage({ message: result.message, source, local }, transport);
      return;
    }
    events.onRejected?.({ source, status: result.status, reason: result.reason });
    const response = rejectionFor(bytes, result.status, result.reason);
    // Symmetric answer to the datagram's source: the request's Via cannot be trusted here.
    if (response) sendBytes(serializeMessage(response), source);
  });

  return transport;
}

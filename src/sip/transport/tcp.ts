/**
 * SIP over TCP (RFC 3261 §18): messages are framed on the stream by Content-Length
 * (§18.3). Responses go back on the connection the request came in on (§18.2.2); requests
 * to a TCP destination reuse a live connection to it or open one.
 *
 * Hostile peers are bounded: a framing error (no Content-Length, oversized message)
 * closes the connection, idle connections are closed, and one source address may hold
 * only so many connections at once.
 */
import net from 'node:net';
import { StreamFramer } from '../framing.js';
import type { ParseLimits } from '../limits.js';
import type { SipMessage } from '../message.js';
import { parseMessage } from '../parse.js';
import { serializeMessage } from '../serialize.js';
import type { TransportEvents } from './events.js';
import { rejectionFor } from './reject.js';
import { type Endpoint, endpointKey, type Transport } from './types.js';

export interface TcpOptions {
  /** Connections allowed at once from one source address (default 64). */
  maxConnectionsPerSource: number;
  /** A connection with no traffic for this long is closed (default 5 minutes). */
  idleTimeoutMs: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = { maxConnectionsPerSource: 64, idleTimeoutMs: 300_000 };

export interface TcpTransport extends Transport {
  close(): Promise<void>;
  /** Open connections (accepted and outgoing), for tests and metrics. */
  readonly connectionCount: number;
}

interface Connection {
  socket: net.Socket;
  remote: Endpoint;
}

export async function startTcpTransport(
  address: string,
  port: number,
  limits: Partial<ParseLimits>,
  events: TransportEvents,
  options: Partial<TcpOptions> = {},
): Promise<TcpTransport> {
  const opts = { ...DEFAULT_TCP_OPTIONS, ...options };
  const connections = new Map<string, Connection>();
  const perSource = new Map<string, number>();
  const server = net.createServer();
  let local: Endpoint = { protocol: 'TCP', address, port };

  const forget = (conn: Connection) => {
    const key = endpointKey(conn.remote);
    if (connections.get(key) === conn) connections.delete(key);
  };

  const adopt = (socket: net.Socket, remote: Endpoint): Connection => {
    const conn: Connection = { socket, remote };
    connections.set(endpointKey(remote), conn);
    const framer = new StreamFramer(limits);
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const { messages, error } = framer.push(chunk);
      for (const bytes of messages) {
        const result = parseMessage(bytes, limits);
        if (result.ok) {
          events.onMessage({ message: result.message, source: remote, local }, transport);
        } else {
          events.onRejected?.({ source: remote, status: result.status, reason: result.reason });
          const response = rejectionFor(bytes, result.status, result.reason);
          if (response && !socket.destroyed) socket.write(serializeMessage(response));
        }
      }
      if (error) {
        // RFC 3261 §18.3: without a usable Content-Length the stream cannot be re-synchronised.
        events.onRejected?.({ source: remote, status: error.status, reason: error.reason });
        socket.destroy();
      }
    });
    socket.on('error', (err) => events.onTransportError?.(err, remote));
    socket.on('close', () => forget(conn));
    return conn;
  };

  server.on('connection', (socket) => {
    const remoteAddress = socket.remoteAddress ?? '';
    const count = perSource.get(remoteAddress) ?? 0;
    if (count >= opts.maxConnectionsPerSource) {
      socket.destroy();
      return;
    }
    perSource.set(remoteAddress, count + 1);
    socket.once('close', () => {
      const left = (perSource.get(remoteAddress) ?? 1) - 1;
      if (left <= 0) perSource.delete(remoteAddress);
      else perSource.set(remoteAddress, left);
    });
    adopt(socket, { protocol: 'TCP', address: remoteAddress, port: socket.remotePort ?? 0 });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  local = { protocol: 'TCP', address: bound.address, port: bound.port };

  const connect = (to: Endpoint): Connection => {
    const socket = net.connect({ host: to.address, port: to.port });
    return adopt(socket, to);
  };

  const transport: TcpTransport = {
    protocol: 'TCP',
    reliable: true,
    get local() {
      return local;
    },
    get connectionCount() {
      return connections.size;
    },
    send(message: SipMessage | Buffer, to: Endpoint) {
      const existing = connections.get(endpointKey(to));
      const conn = existing && !existing.socket.destroyed ? existing : connect(to);
      // Writes before the connection is up are queued by the socket itself.
      conn.socket.write(Buffer.isBuffer(message) ? message : serializeMessage(message));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections.values()) c.socket.destroy();
        connections.clear();
        server.close(() => resolve());
      }),
  };
  return transport;
}

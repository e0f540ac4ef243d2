/**
 * A bare UDP SIP client for tests that must control every byte (replayed credentials,
 * malformed requests): sends text, returns the parsed responses that come back.
 */
import dgram from 'node:dgram';
import type { SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parse.js';

export interface RawSipClient {
  readonly port: number;
  send(text: string): void;
  /** The next response, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SipResponse>;
  close(): void;
}

export async function rawSipClient(server: { address: string; port: number }): Promise<RawSipClient> {
  const socket = dgram.createSocket('udp4');
  const inbox: SipResponse[] = [];
  const waiters: ((r: SipResponse) => void)[] = [];
  socket.on('message', (bytes) => {
    const parsed = parseMessage(bytes);
    if (!parsed.ok || parsed.message.type !== 'response') return;
    const w = waiters.shift();
    if (w) w(parsed.message);
    else inbox.push(parsed.message);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  return {
    port,
    send(text) {
      socket.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), server.port, server.address);
    },
    next(timeoutMs = 5000) {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const bound = setTimeout(
          () => reject(new Error(`no SIP response within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push((r) => {
          clearTimeout(bound);
          resolve(r);
        });
      });
    },
    close: () => socket.close(),
  };
}

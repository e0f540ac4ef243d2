/**
 * The transports a SIP node listens on: UDP and TCP on the same address and port
 * (RFC 3261 §18: servers MUST listen on both for the ports they advertise).
 */
import type { ParseLimits } from '../limits.js';
import type { TransportEvents } from './events.js';
import { startTcpTransport, type TcpOptions, type TcpTransport } from './tcp.js';
import type { Transport, TransportProtocol } from './types.js';
import { startUdpTransport, type UdpTransport } from './udp.js';

export * from './events.js';
export * from './reject.js';
export * from './routing.js';
export type { TcpOptions, TcpTransport } from './tcp.js';
export * from './types.js';
export type { UdpTransport } from './udp.js';

export interface TransportSetOptions {
  address: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  limits?: Partial<ParseLimits>;
  tcp?: Partial<TcpOptions>;
  events: TransportEvents;
}

export interface TransportSet {
  udp: UdpTransport;
  tcp: TcpTransport;
  address: string;
  port: number;
  get(protocol: TransportProtocol): Transport;
  close(): Promise<void>;
}

export async function startTransports(options: TransportSetOptions): Promise<TransportSet> {
  const limits = options.limits ?? {};
  // With port 0 the UDP port is chosen first; TCP may find it taken, so try a few times.
  for (let attempt = 0; ; attempt++) {
    const udp = await startUdpTransport(options.address, options.port, limits, options.events);
    try {
      const tcp = await startTcpTransport(
        options.address,
        udp.local.port,
        limits,
        options.events,
        options.tcp,
      );
      return {
        udp,
        tcp,
        address: udp.local.address,
        port: udp.local.port,
        get: (protocol) => (protocol === 'TCP' ? tcp : udp),
        close: async () => {
          await Promise.all([udp.close(), tcp.close()]);
        },
      };
    } catch (err) {
      await udp.close();
      if (options.port !== 0 || attempt >= 5) throw err;
    }
  }
}

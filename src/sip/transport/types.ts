/**
 * The narrow contract between SIP transports and the layers above them (STYLE 2):
 * a transport sends a message to an endpoint and reports each message it receives.
 */
import type { SipMessage } from '../message.js';

export type TransportProtocol = 'UDP' | 'TCP';

export interface Endpoint {
  protocol: TransportProtocol;
  /** IPv4 or IPv6 address, without brackets. */
  address: string;
  port: number;
}

export interface InboundMessage {
  message: SipMessage;
  /** Where the bytes came from (for TCP, the connection's remote end). */
  source: Endpoint;
  /** The local socket that received them. */
  local: Endpoint;
}

export interface Transport {
  readonly protocol: TransportProtocol;
  /** RFC 3261 §17: reliable transports (TCP) run no retransmission timers. */
  readonly reliable: boolean;
  readonly local: Endpoint;
  /**
   * Serialises a message and sends it; bytes (a message serialised before, e.g. one a
   * transaction keeps only as its wire form to send again) go out as they are. Errors are
   * reported through `onError`, never thrown.
   */
  send(message: SipMessage | Buffer, to: Endpoint): void;
}

export function endpointKey(e: Endpoint): string {
  return `${e.protocol}:${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`;
}

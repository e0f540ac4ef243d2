import type { Endpoint, InboundMessage, Transport } from './types.js';

/** What transports report upward (STYLE 2: a narrow onMessage / onError contract). */
export interface TransportEvents {
  onMessage(inbound: InboundMessage, transport: Transport): void;
  /** A message the parser refused; it was answered when it could be, else dropped. */
  onRejected?(info: { source: Endpoint; status: number; reason: string }): void;
  onTransportError?(err: Error, peer: Endpoint): void;
}

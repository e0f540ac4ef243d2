/**
 * Size limits applied while parsing and framing SIP messages, so that no peer can make
 * the server hold unbounded memory.
 *
 * Defaults:
 * - `maxMessageBytes` 64 KiB: the largest UDP datagram is just under 64 KiB, and no sane
 *   SIP message on TCP is larger (RFC 3261 §18.1.1 already moves requests near the MTU to
 *   TCP). A request over the limit is answered 513 Message Too Large (RFC 3261 §21.5.11).
 * - `maxHeaders` 256 header fields (after unfolding): a typical request has 10–20; a
 *   long Via or Record-Route chain stays far below.
 * - `maxHeaderLineBytes` 8 KiB for one header field, folded lines included: RFC 4475
 *   §3.1.1.7 (longreq) has fields near 1 KiB.
 */
export interface ParseLimits {
  maxMessageBytes: number;
  maxHeaders: number;
  maxHeaderLineBytes: number;
}

export const DEFAULT_LIMITS: ParseLimits = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxHeaders: 256,
  maxHeaderLineBytes: 8 * 1024,
});

/** The defaults with the caller's overrides applied. */
export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  return limits ? { ...DEFAULT_LIMITS, ...limits } : DEFAULT_LIMITS;
}

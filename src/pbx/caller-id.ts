/**
 * Caller-ID rejection by the carrier. Many carriers refuse to send on a caller ID that
 * is not one of the trunk's own numbers — which is exactly what CLI-1 presents on a twin
 * leg (the original caller). They answer 403, or 603/488 with Q.850 cause 21 (call
 * rejected). twinline then retries once, at once, with the trunk's own number, keeping
 * the original caller in the display name so the mobile still shows who is calling.
 */
import type { SipResponse } from '../sip/message.js';

/** True when `response` reads as the carrier refusing the presented caller ID. */
export function isCallerIdRejection(response: SipResponse): boolean {
  if (response.status === 403) return true;
  if (response.status !== 603 && response.status !== 488) return false;
  // RFC 3326: Reason: Q.850;cause=21
  return response.headers.getAll('reason').some((r) => /^\s*Q\.850\s*;(?:.*;)?\s*cause\s*=\s*21\b/i.test(r));
}

/**
 * Identifiers that must be globally unique and unguessable: Via branches (RFC 3261
 * §8.1.1.7), From/To tags (§19.3) and Call-IDs (§8.1.1.4). All come from the crypto
 * random source, so an off-path attacker cannot forge a CANCEL or BYE by guessing them.
 */
import { randomBytes } from 'node:crypto';
import { MAGIC_COOKIE } from './fields.js';

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie, unique in space and time. */
export function newBranch(): string {
  return `${MAGIC_COOKIE}${randomBytes(12).toString('hex')}`;
}

/** RFC 3261 §19.3: a tag with at least 32 bits of randomness (here 64). */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** RFC 3261 §8.1.1.4: a Call-ID; `host` (when given) is appended as `@host`. */
export function newCallId(host?: string): string {
  const local = randomBytes(16).toString('hex');
  return host ? `${local}@${host}` : local;
}

/**
 * Identifiers that must be globally unique and unguessable: Via branches (RFC 3261
 * §8.1.1.7), From/To tags (§19.3) and Call-IDs (§8.1.1.4). All come from the crypto
 * random source, so an off-path attacker cannot forge a CANCEL or BYE by guessing them.
 */
import { randomFillSync } from 'node:crypto';
import { MAGIC_COOKIE } from './fields.js';

/**
 * Random bytes drawn from a pool refilled 16 KiB at a time: every tag, branch and Call-ID
 * needs some, and one system call per identifier showed in profiles under load.
 */
const POOL_SIZE = 16 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie, unique in space and time. */
export function newBranch(): string {
  return `${MAGIC_COOKIE}${randomHex(12)}`;
}

/** RFC 3261 §19.3: a tag with at least 32 bits of randomness (here 64). */
export function newTag(): string {
  return randomHex(8);
}

/** RFC 3261 §8.1.1.4: a Call-ID; `host` (when given) is appended as `@host`. */
export function newCallId(host?: string): string {
  const local = randomHex(16);
  return host ? `${local}@${host}` : local;
}

/**
 * HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 8760: SHA-256 and MD5,
 * qop=auth). The server side issues stateless nonces (an HMAC over their issue time),
 * refuses expired ones with `stale=true`, and remembers the highest nonce-count seen per
 * nonce so a captured request cannot be replayed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../util/clock.js';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

/** Most nonces whose nonce-count is remembered at once. */
export const MAX_TRACKED_NONCES = 200_000;

/**
 * RFC 8760 §2.4: challenges are listed in order of preference and a client uses the
 * topmost one it supports. Many deployed phones (and SIPp 3.6, baresip 1.0) only ever
 * read the first challenge and support only MD5, so the order is a setting.
 */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  cnonce?: string;
  qop?: string;
  nc?: string;
  opaque?: string;
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
    .update(text, 'utf8')
    .digest('hex');
}

/** Parses `Digest k=v, k="v"` (RFC 7616 §3.4); undefined when it is not a usable Digest. */
export function parseDigestCredentials(header: string): DigestCredentials | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/gy;
  const body = m[1]!.trim();
  re.lastIndex = 0;
  while (re.lastIndex < body.length) {
    const at = re.lastIndex;
    const p = re.exec(body);
    if (!p || p.index !== at) return undefined;
    const value = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    params.set(p[1]!.toLowerCase(), value);
    while (body[re.lastIndex] === ' ' || body[re.lastIndex] === '\t') re.lastIndex++;
  }
  const algorithmText = (params.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm = algorithmText === 'SHA-256' ? 'SHA-256' : algorithmText === 'MD5' ? 'MD5' : undefined;
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (!algorithm || username === undefined || realm === undefined || !nonce || !uri || !response)
    return undefined;
  return {
    username,
    realm,
    nonce,
    uri,
    response,
    algorithm,
    cnonce: params.get('cnonce'),
    qop: params.get('qop'),
    nc: params.get('nc'),
    opaque: params.get('opaque'),
  };
}

/** The response a client computes (RFC 7616 §3.4.1 with qop=auth; RFC 2069 form without qop). */
export function digestResponse(
  c: Pick<DigestCredentials, 'username' | 'realm' | 'nonce' | 'uri' | 'algorithm' | 'cnonce' | 'qop' | 'nc'>,
  password: string,
  method: string,
): string {
  const ha1 = hash(c.algorithm, `${c.username}:${c.realm}:${password}`);
  const ha2 = hash(c.algorithm, `${method}:${c.uri}`);
  if (c.qop) return hash(c.algorithm, `${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`);
  return hash(c.algorithm, `${ha1}:${c.nonce}:${ha2}`);
}

/** Builds an `Authorization` value, for twinline's own client side and for tests. */
export function formatAuthorization(c: DigestCredentials): string {
  const parts = [
    `username="${c.username}"`,
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    `uri="${c.uri}"`,
    `response="${c.response}"`,
    `algorithm=${c.algorithm}`,
  ];
  if (c.qop) parts.push(`qop=${c.qop}`, `nc=${c.nc}`, `cnonce="${c.cnonce}"`);
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

export type DigestVerdict =
  | { ok: true; username: string }
  /** `stale`: the credentials were right but the nonce expired: re-challenge with stale=true. */
  | {
      ok: false;
      why:
        | 'no-credentials'
        | 'malformed'
        | 'algorithm-not-offered'
        | 'wrong-realm'
        | 'bad-nonce'
        | 'replay'
        | 'mismatch'
        | 'unknown-user'
        | 'qop-required';
      stale: boolean;
    };

export interface DigestServerOptions {
  realm: string;
  clock: Clock;
  /** How long a nonce is accepted after it was issued (default 300 s). */
  nonceLifetimeMs?: number;
  /** Secret for the nonce HMAC; random per process when absent. */
  secret?: Buffer;
  /** Most nonce-counts remembered (default {@link MAX_TRACKED_NONCES}). */
  maxTrackedNonces?: number;
  /** Algorithms offered, in order (read at each challenge, so a config change applies). */
  algorithms?: () => readonly DigestAlgorithm[];
}

export interface DigestServer {
  readonly realm: string;
  /** Header values for `WWW-Authenticate` / `Proxy-Authenticate`, one per algorithm offered. */
  challenges(stale?: boolean): string[];
  /** Checks an Authorization value for a request; `passwordFor` returns undefined for unknown users. */
  verify(
    authorization: string | undefined,
    method: string,
    passwordFor: (user: string) => string | undefined,
  ): DigestVerdict;
}

export function createDigestServer(options: DigestServerOptions): DigestServer {
  const lifetime = options.nonceLifetimeMs ?? 300_000;
  const secret = options.secret ?? randomBytes(32);
  const clock = options.clock;
  const maxTracked = options.maxTrackedNonces ?? MAX_TRACKED_NONCES;
  // Highest nonce-count seen per nonce; entries leave when the nonce expires.
  const counts = new Map<string, { nc: number; expires: number }>();
  let lastSweep = clock.wallNow();

  const mac = (payload: Buffer) => createHmac('sha256', secret).update(payload).digest().subarray(0, 16);

  const issueNonce = (): string => {
    const payload = Buffer.alloc(16);
    payload.writeBigUInt64BE(BigInt(Math.floor(clock.wallNow())), 0);
    randomBytes(8).copy(payload, 8);
    return Buffer.concat([payload, mac(payload)]).toString('base64url');
  };

  /** Nonces issued before this instant whose count was forgotten are treated as expired. */
  let forgottenBefore = 0;

  /** 'valid' | 'expired' | 'forged' for a nonce this server issued (or not). */
  const checkNonce = (nonce: string): 'valid' | 'expired' | 'forged' => {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32 || raw.toString('base64url') !== nonce) return 'forged';
    const payload = raw.subarray(0, 16);
    if (!timingSafeEqual(mac(payload), raw.subarray(16))) return 'forged';
    const issued = Number(payload.readBigUInt64BE(0));
    if (issued < forgottenBefore && !counts.has(nonce)) return 'expired';
    return clock.wallNow() - issued > lifetime ? 'expired' : 'valid';
  };

  const sweep = () => {
    const now = clock.wallNow();
    if (now - lastSweep < lifetime / 4) return;
    lastSweep = now;
    for (const [nonce, entry] of counts) if (entry.expires < now) counts.delete(nonce);
  };

  return {
    realm: options.realm,
    challenges(stale = false) {
      const nonce = issueNonce();
      return (options.algorithms?.() ?? DIGEST_ALGORITHMS).map(
        (alg) =>
          `Digest realm="${options.realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
      );
    },
    verify(authorization, method, passwordFor) {
      if (!authorization) return { ok: false, why: 'no-credentials', stale: false };
      const c = parseDigestCredentials(authorization);
      if (!c) return { ok: false, why: 'malformed', stale: false };
      if (c.realm !== options.realm) return { ok: false, why: 'wrong-realm', stale: false };
      // Only an algorithm on offer counts: an administrator who drops MD5 means it.
      if (!(options.algorithms?.() ?? DIGEST_ALGORITHMS).includes(c.algorithm)) {
        return { ok: false, why: 'algorithm-not-offered', stale: false };
      }
      // RFC 8760 §2.1: twinline always offers qop=auth, and nonce-count replay protection needs it.
      if (c.qop !== 'auth' || !c.nc || !c.cnonce || !/^[0-9a-f]{8}$/i.test(c.nc)) {
        return { ok: false, why: 'qop-required', stale: false };
      }
      const nonceState = checkNonce(c.nonce);
      if (nonceState === 'forged') return { ok: false, why: 'bad-nonce', stale: false };
      const password = passwordFor(c.username);
      // The same work is done for unknown users, so timing does not tell which users exist.
      const expected = digestResponse(c, password ?? randomBytes(16).toString('hex'), method);
      const given = Buffer.from(c.response.toLowerCase());
      const match = given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
      if (password === undefined) return { ok: false, why: 'unknown-user', stale: false };
      if (!match) return { ok: false, why: 'mismatch', stale: false };
      // RFC 7616 §3.3: a right answer to an expired nonce gets a fresh challenge with stale=true.
      if (nonceState === 'expired') return { ok: false, why: 'bad-nonce', stale: true };
      sweep();
      const nc = Number.parseInt(c.nc, 16);
      const seen = counts.get(c.nonce);
      if (seen && nc <= seen.nc) return { ok: false, why: 'replay', stale: false };
      counts.set(c.nonce, { nc, expires: clock.wallNow() + lifetime });
      // Bounded memory under a registration storm: the oldest nonces go first, and any
      // nonce as old is stale from then on, so a forgotten count cannot be replayed.
      if (counts.size > maxTracked) {
        const [oldest, entry] = counts.entries().next().value ?? [];
        if (oldest !== undefined && entry) {
          counts.delete(oldest);
          forgottenBefore = Math.max(forgottenBefore, entry.expires - lifetime + 1);
        }
      }
      return { ok: true, username: c.username };
    },
  };
}

/**
 * The registrar (RFC 3261 §10.3): authenticates REGISTER with digest (RFC 8760), keeps
 * each user's contact bindings with their expiry, and answers with the bindings now in
 * force. Unknown users and wrong passwords get the same answer; failures back off per
 * source address and per user.
 */

import type { DigestServer } from '../sip/digest.js';
import { callIdOf, cseqOf, parseParams, splitCommas } from '../sip/fields.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { Endpoint } from '../sip/transport/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { Binding, BindingStore } from './bindings.js';
import type { Throttle } from './throttle.js';

export interface RegistrarOptions {
  clock: Clock;
  digest: DigestServer;
  bindings: BindingStore;
  /** The password of a user's SIP account, or undefined when there is no such user. */
  passwordFor(extension: string): string | undefined;
  throttleBySource: Throttle;
  throttleByUser: Throttle;
  logger: Logger;
  /** RFC 3261 §10.3 step 7: shortest accepted registration, seconds (default 60). */
  minExpires?: number;
  /** Longest granted registration, seconds (default 3600). */
  maxExpires?: number;
  /** Used when the request names no expiry (default 3600). */
  defaultExpires?: number;
  /** Most contacts one user may bind at once (default 10). */
  maxContactsPerUser?: number;
  /** Told after every change of a user's bindings. */
  onChange?(aor: string): void;
  /** Told after every failed authentication (metrics). */
  onAuthFailure?(): void;
}

export interface Registrar {
  handle(request: SipRequest, source: Endpoint): SipResponse;
  /** The live (unexpired) bindings of a user. */
  bindingsOf(aor: string): Binding[];
  /** Drops bindings whose time ran out; returns the users that lost one. */
  expire(): string[];
}

interface ContactSpec {
  uri: string;
  expires?: number;
  star: boolean;
}

/** Reads `<uri>;params` / bare `uri;params` / `*` contact values (RFC 3261 §20.10). */
function parseContacts(values: string[]): ContactSpec[] | undefined {
  const out: ContactSpec[] = [];
  for (const value of values.flatMap(splitCommas)) {
    if (value === '*') {
      out.push({ uri: '*', star: true });
      continue;
    }
    let uri: string;
    let rest: string;
    const open = value.indexOf('<');
    if (open >= 0) {
      const close = value.indexOf('>', open);
      if (close < 0) return undefined;
      uri = value.slice(open + 1, close).trim();
      rest = value.slice(close + 1);
    } else {
      // RFC 3261 §20: in addr-spec form every ;parameter belongs to the header, not the URI.
      const semi = value.indexOf(';');
      uri = (semi < 0 ? value : value.slice(0, semi)).trim();
      rest = semi < 0 ? '' : value.slice(semi);
    }
    if (!/^(sips?|tel):/i.test(uri)) return undefined;
    const params = parseParams(rest.trim().replace(/^;/, ''));
    const e = params.get('expires');
    let expires: number | undefined;
    if (e !== undefined && e !== null) {
      if (!/^\d{1,10}$/.test(e)) return undefined;
      expires = Number(e);
    }
    out.push({ uri, expires, star: false });
  }
  return out;
}

export function createRegistrar(options: RegistrarOptions): Registrar {
  const { clock, digest, bindings, logger } = options;
  const minExpires = options.minExpires ?? 60;
  const maxExpires = options.maxExpires ?? 3600;
  const defaultExpires = options.defaultExpires ?? 3600;
  const maxContacts = options.maxContactsPerUser ?? 10;

  const live = (aor: string): Binding[] => {
    const now = clock.wallNow();
    return bindings.list(aor).filter((b) => b.expiresAt > now);
  };

  const okWithBindings = (request: SipRequest, aor: string): SipResponse => {
    const response = createResponse(request, 200);
    const now = clock.wallNow();
    for (const b of live(aor)) {
      response.headers.append(
        'Contact',
        `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
      );
    }
    response.headers.append('Date', new Date(now).toUTCString());
    return response;
  };

  const challenge = (request: SipRequest, stale: boolean): SipResponse => {
    const response = createResponse(request, 401);
    for (const c of digest.challenges(stale)) response.headers.append('WWW-Authenticate', c);
    return response;
  };

  const lockedOut = (request: SipRequest, retryAfterMs: number): SipResponse => {
    const response = createResponse(request, 403, 'Too Many Failed Attempts');
    response.headers.append('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
    return response;
  };

  const toUser = (request: SipRequest): string | undefined => {
    const to = request.headers.get('to') ?? '';
    return /sips?:([^@;>]+)@/i.exec(to)?.[1];
  };

  return {
    bindingsOf: live,

    expire() {
      const now = clock.wallNow();
      const changed = new Set<string>();
      for (const b of bindings.all()) {
        if (b.expiresAt <= now) {
          bindings.remove(b.aor, b.contact);
          changed.add(b.aor);
        }
      }
      for (const aor of changed) options.onChange?.(aor);
      return [...changed];
    },

    handle(request, source) {
      const sourceKey = source.address;
      const aor = toUser(request);
      const waitSource = options.throttleBySource.retryAfterMs(sourceKey);
      const waitUser = aor ? options.throttleByUser.retryAfterMs(aor) : 0;
      if (waitSource > 0 || waitUser > 0) {
        logger.warn({ source: sourceKey, user: aor }, 'register refused: too many failed attempts');
        return lockedOut(request, Math.max(waitSource, waitUser));
      }

      // RFC 3261 §10.3 step 5: authenticate; §22.1: 401 with WWW-Authenticate for a registrar.
      const authorization = request.headers.get('authorization');
      if (!authorization) return challenge(request, false);
      const verdict = digest.verify(authorization, request.method, options.passwordFor);
      if (!verdict.ok) {
        if (verdict.stale) return challenge(request, true);
        options.throttleBySource.failed(sourceKey);
        if (aor) options.throttleByUser.failed(aor);
        logger.warn({ source: sourceKey, user: aor, why: verdict.why }, 'register authentication failed');
        options.onAuthFailure?.();
        // Unknown user and wrong password look the same from outside.
        return challenge(request, false);
      }
      options.throttleBySource.succeeded(sourceKey);

      // RFC 3261 §10.3 step 6: the authenticated user may only register its own AOR.
      if (!aor || aor !== verdict.username) {
        logger.warn({ source: sourceKey, user: verdict.username, aor }, 'register for another user refused');
        return createResponse(request, 403, 'Forbidden');
      }
      options.throttleByUser.succeeded(aor);

      const callId = callIdOf(request) ?? '';
      const cseq = cseqOf(request)?.seq ?? 0;
      const contacts = parseContacts(request.headers.getAll('contact'));
      if (!contacts) return createResponse(request, 400, 'Bad Contact');
      const expiresHeader = request.headers.get('expires');
      if (expiresHeader !== undefined && !/^\s*\d{1,10}\s*$/.test(expiresHeader)) {
        return createResponse(request, 400, 'Bad Expires');
      }
      const headerExpires = expiresHeader === undefined ? undefined : Number(expiresHeader);

      // RFC 3261 §10.3 step 6: "*" is allowed only alone and with Expires: 0.
      if (contacts.some((c) => c.star)) {
        if (contacts.length !== 1 || headerExpires !== 0)
          return createResponse(request, 400, 'Invalid Wildcard');
        for (const b of bindings.list(aor)) {
          // §10.3 step 6: a wildcard from the same Call-ID must not be older than the bindings.
          if (b.callId === callId && cseq <= b.cseq) return createResponse(request, 500, 'Out of Order');
        }
        bindings.removeAll(aor);
        logger.info({ user: aor, source: sourceKey }, 'all bindings removed');
        options.onChange?.(aor);
        return okWithBindings(request, aor);
      }

      if (contacts.length === 0) return okWithBindings(request, aor); // a query (§10.2.3)

      // RFC 3261 §10.3 step 7: refuse intervals shorter than the minimum with 423.
      const wanted = contacts.map((c) => ({ ...c, expires: c.expires ?? headerExpires ?? defaultExpires }));
      if (wanted.some((c) => c.expires > 0 && c.expires < minExpires)) {
        const response = createResponse(request, 423);
        response.headers.append('Min-Expires', String(minExpires));
        return response;
      }

      const now = clock.wallNow();
      const existing = new Map(live(aor).map((b) => [b.contact, b]));
      for (const c of wanted) {
        const old = existing.get(c.uri);
        // §10.3 step 8: same Call-ID with a CSeq not higher than the stored one is out of order.
        if (old && old.callId === callId && cseq <= old.cseq)
          return createResponse(request, 500, 'Out of Order');
      }
      const adding = wanted.filter((c) => c.expires > 0 && !existing.has(c.uri)).length;
      const removing = wanted.filter((c) => c.expires === 0 && existing.has(c.uri)).length;
      if (existing.size + adding - removing > maxContacts) {
        return createResponse(request, 403, 'Too Many Contacts');
      }
      for (const c of wanted) {
        if (c.expires === 0) {
          bindings.remove(aor, c.uri);
          continue;
        }
        bindings.put({
          aor,
          contact: c.uri,
          expiresAt: now + Math.min(c.expires, maxExpires) * 1000,
          callId,
          cseq,
          source,
          userAgent: request.headers.get('user-agent'),
          updatedAt: now,
        });
      }
      logger.info({ user: aor, source: sourceKey, contacts: wanted.length }, 'registered');
      options.onChange?.(aor);
      return okWithBindings(request, aor);
    },
  };
}

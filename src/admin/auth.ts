/**
 * Who may use the API. Administrators sign in with an account name and password (a
 * session cookie plus a CSRF token for unsafe methods) or send a bearer token; a user
 * signs in with their extension and SIP password and reaches only /api/self. Sessions
 * and tokens are stored as SHA-256 digests; failed sign-ins back off per source address
 * and per account.
 */
import type { FastifyRequest } from 'fastify';
import { createThrottle, type Throttle, type ThrottleOptions } from '../registrar/throttle.js';
import type { Store } from '../store/types.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { ApiError } from './errors.js';
import { type AuthLevel, type Principal, parseCookies } from './http.js';
import { digest, hashPassword, randomSecret, sameSecret } from './passwords.js';

export const SESSION_COOKIE = 'twinline_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The account created on first start. */
export const FIRST_ADMIN = 'admin';

export type EnsureAdminResult = { created: false } | { created: true; account: string; password: string };

/**
 * First start: when the store holds no admin account, creates `admin` with a random
 * password and prints it once in the log (like the demo users' SIP passwords).
 */
export async function ensureAdminAccount(
  store: Store,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<EnsureAdminResult> {
  if (store.admin.countAccounts() > 0) return { created: false };
  const password = randomSecret(12);
  const now = clock.wallNow();
  store.admin.putAccount({
    name: FIRST_ADMIN,
    passwordHash: await hashPassword(password),
    createdAt: now,
    updatedAt: now,
  });
  logger.warn(
    { account: FIRST_ADMIN, password },
    'admin account created (password shown once; change it with PUT /api/accounts/admin/password)',
  );
  return { created: true, account: FIRST_ADMIN, password };
}

export interface SignIn {
  /** The session id for the cookie (never stored). */
  id: string;
  csrf: string;
  expiresAt: number;
}

export interface Auth {
  /** Finds the principal behind a request's bearer token or session cookie, if any. */
  identify(request: FastifyRequest): Principal | undefined;
  /** Answers 401/403 unless the principal may call a route at `level` with this method. */
  authorize(request: FastifyRequest, level: AuthLevel): void;
  startSession(kind: 'admin' | 'user', subject: string): SignIn;
  endSession(principal: Principal): void;
  /** Throws 429 while either key is backing off. */
  checkThrottle(source: string, account: string): void;
  failed(source: string, account: string): void;
  succeeded(source: string, account: string): void;
  /** Issues a bearer token for `account`; the text is returned once and stored as a digest. */
  issueToken(
    account: string,
    name: string,
    expiresAt: number | undefined,
  ): { id: string; token: string; createdAt: number };
}

export interface AuthOptions {
  store: Store;
  clock: Clock;
  sessionTtlMs: number;
  throttle?: Partial<ThrottleOptions>;
  /** Whether a user session's extension still exists (a removed user's session ends). */
  userExists(extension: string): boolean;
}

const TOKEN_PREFIX = 'tl_';

export function createAuth(o: AuthOptions): Auth {
  const { store, clock } = o;
  const bySource: Throttle = createThrottle(clock, o.throttle);
  const byAccount: Throttle = createThrottle(clock, o.throttle);
  let lastSweep = 0;

  const fromToken = (header: string): Principal | undefined => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    const token = store.admin.findTokenByDigest(digest(m[1]!));
    const now = clock.wallNow();
    if (!token || (token.expiresAt !== undefined && token.expiresAt <= now)) return undefined;
    if (!store.admin.getAccount(token.account)) return undefined;
    // Last use to the minute is enough, and spares a write per request.
    if (token.lastUsedAt === undefined || now - token.lastUsedAt > 60_000)
      store.admin.touchToken(token.id, now);
    return { kind: 'admin', account: token.account, via: 'token', token: token.id };
  };

  const fromCookie = (cookieHeader: string | undefined): Principal | undefined => {
    const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
    if (!id) return undefined;
    const now = clock.wallNow();
    if (now - lastSweep > 60_000) {
      lastSweep = now;
      store.admin.deleteExpiredSessions(now);
    }
    const session = store.admin.getSession(digest(id));
    if (!session || session.expiresAt <= now) return undefined;
    if (session.kind === 'admin') {
      if (!store.admin.getAccount(session.subject)) return undefined;
      return {
        kind: 'admin',
        account: session.subject,
        via: 'session',
        session: session.digest,
        csrf: session.csrf,
      };
    }
    if (!o.userExists(session.subject)) return undefined;
    return {
      kind: 'user',
      extension: session.subject,
      via: 'session',
      session: session.digest,
      csrf: session.csrf,
    };
  };

  const retryAfter = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

  return {
    identify(request) {
      const authz = request.headers.authorization;
      if (authz !== undefined) return fromToken(authz);
      return fromCookie(request.headers.cookie);
    },
    authorize(request, level) {
      if (level === 'public') return;
      const p = request.principal;
      if (!p) {
        throw new ApiError(
          'UNAUTHENTICATED',
          'sign in (POST /api/session) or send a bearer token',
          undefined,
          {
            'www-authenticate': 'Bearer realm="twinline"',
          },
        );
      }
      if ((level === 'admin' && p.kind !== 'admin') || (level === 'user' && p.kind !== 'user')) {
        throw new ApiError(
          'FORBIDDEN',
          level === 'admin' ? 'this needs an administrator' : 'this is for a user signed in to self-service',
        );
      }
      // A cookie rides along with any request the browser makes; the token proves the page is ours.
      if (p.via === 'session' && !SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameSecret(sent, p.csrf)) {
          throw new ApiError(
            'CSRF_TOKEN_INVALID',
            `send the session's CSRF token in the ${CSRF_HEADER} header`,
          );
        }
      }
    },
    startSession(kind, subject) {
      const id = randomSecret(32);
      const csrf = randomSecret(24);
      const now = clock.wallNow();
      const expiresAt = now + o.sessionTtlMs;
      store.admin.putSession({ digest: digest(id), kind, subject, csrf, createdAt: now, expiresAt });
      return { id, csrf, expiresAt };
    },
    endSession(principal) {
      if (principal.via === 'session') store.admin.deleteSession(principal.session);
    },
    checkThrottle(source, account) {
      const wait = Math.max(bySource.retryAfterMs(source), byAccount.retryAfterMs(account));
      if (wait > 0) {
        throw new ApiError('TOO_MANY_ATTEMPTS', 'too many failed sign-ins; wait and try again', undefined, {
          'retry-after': retryAfter(wait),
        });
      }
    },
    failed(source, account) {
      bySource.failed(source);
      byAccount.failed(account);
    },
    succeeded(source, account) {
      bySource.succeeded(source);
      byAccount.succeeded(account);
    },
    issueToken(account, name, expiresAt) {
      const token = `${TOKEN_PREFIX}${randomSecret(32)}`;
      const id = randomSecret(9);
      const createdAt = clock.wallNow();
      store.admin.putToken({ id, account, name, digest: digest(token), createdAt, expiresAt });
      return { id, token, createdAt };
    },
  };
}

/**
 * Administrator sign-in: `POST /api/session` sets the session cookie and returns the
 * CSRF token unsafe requests must carry; `GET` says who is signed in (and gives the
 * token again after a page reload); `DELETE` signs out.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth.js';
import { ApiError } from '../errors.js';
import { field, type PluginOptions, parseBody, type ResolvedOptions, serializeCookie } from '../http.js';
import { decoyHash, verifyPassword } from '../passwords.js';

export const LoginSchema = z.strictObject({
  account: field(z.string().min(1).max(64), '1–64 characters'),
  password: field(z.string().min(1).max(1024), '1–1024 characters'),
});

export const sessionSchema = {
  type: 'object',
  properties: {
    kind: { enum: ['admin', 'user'] },
    account: { type: 'string' },
    extension: { type: 'string' },
    csrfToken: { type: 'string', description: 'Send it as x-csrf-token with every POST, PUT, PATCH, DELETE' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
};

export function setSessionCookie(
  reply: FastifyReply,
  options: ResolvedOptions,
  id: string,
  maxAgeMs: number,
): void {
  reply.header(
    'set-cookie',
    serializeCookie(SESSION_COOKIE, id, { maxAgeSeconds: maxAgeMs / 1000, secure: options.secureCookies }),
  );
}

export const sessionPlugin: FastifyPluginAsync<PluginOptions> = async (
  app,
  { ctx, auth, metrics, options },
) => {
  const tags = ['session'];

  app.post('/api/session', {
    config: {
      auth: 'public',
      doc: {
        summary: 'Sign in as an administrator',
        description:
          'Sets an HttpOnly, SameSite=Strict session cookie. Failed attempts back off per address and per account (429 with Retry-After).',
        tags,
        body: {
          schema: {
            type: 'object',
            required: ['account', 'password'],
            properties: { account: { type: 'string' }, password: { type: 'string' } },
          },
        },
        response: { schema: sessionSchema },
      },
    },
    handler: async (request, reply) => {
      const { account, password } = parseBody(LoginSchema, request);
      const source = request.ip;
      const key = `admin:${account}`;
      auth.checkThrottle(source, key);
      const stored = ctx.store.admin.getAccount(account);
      const ok =
        (await verifyPassword(password, stored?.passwordHash ?? (await decoyHash()))) && stored !== undefined;
      if (!ok) {
        auth.failed(source, key);
        metrics.loginFailures.inc({ kind: 'admin' });
        ctx.logger.warn({ account, source }, 'admin sign-in failed');
        throw new ApiError('INVALID_CREDENTIALS', 'wrong account name or password');
      }
      auth.succeeded(source, key);
      const s = auth.startSession('admin', account);
      setSessionCookie(reply, options, s.id, options.sessionTtlMs);
      ctx.logger.info({ account, source }, 'admin signed in');
      return { kind: 'admin', account, csrfToken: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() };
    },
  });

  app.get('/api/session', {
    config: {
      auth: 'signedIn',
      doc: { summary: 'Who is signed in', tags, response: { schema: sessionSchema } },
    },
    handler: async (request) => {
      const p = request.principal!;
      const who =
        p.kind === 'admin' ? { kind: 'admin', account: p.account } : { kind: 'user', extension: p.extension };
      return p.via === 'session' ? { ...who, csrfToken: p.csrf } : who;
    },
  });

  app.delete('/api/session', {
    config: {
      auth: 'signedIn',
      doc: { summary: 'Sign out', tags, response: { status: 204, description: 'Signed out' } },
    },
    handler: async (request, reply) => {
      auth.endSession(request.principal!);
      setSessionCookie(reply, options, '', 0);
      return reply.code(204).send();
    },
  });
};

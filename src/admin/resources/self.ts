/**
 * Self-service: a user signs in with their extension and SIP password and changes their
 * own self-service settings (mobile twinning on/off, the twinned mobile number, the
 * twinning mode — WPC-1 — and the rest of SELF_SERVICE_SETTINGS). The change rules of
 * the `user` actor refuse anything else and anything their user rights lock (UR-1).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { SELF_SERVICE_SETTINGS } from '../../config/index.js';
import { commitChange, keyOf } from '../changes.js';
import { effectiveView, effectiveViewSchema } from '../effective.js';
import { ApiError, notFound } from '../errors.js';
import { field, isPlainObject, mergePatch, objectBody, type PluginOptions, parseBody } from '../http.js';
import { sameSecret } from '../passwords.js';
import { MERGE_PATCH } from './collection.js';
import { sessionSchema, setSessionCookie } from './session.js';

const SelfLoginSchema = z.strictObject({
  extension: field(z.string().regex(/^[0-9]{1,15}$/), 'an extension number of 1–15 digits'),
  password: field(z.string().min(1).max(1024), '1–1024 characters'),
});

const selfViewSchema = {
  ...effectiveViewSchema,
  properties: {
    ...effectiveViewSchema.properties,
    selfService: {
      type: 'array',
      items: { type: 'string' },
      description: 'Settings a user may change themselves',
    },
  },
};

export const selfPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx, auth, metrics, options }) => {
  const tags = ['self-service'];
  const selfService = [...SELF_SERVICE_SETTINGS].sort();

  const view = (extension: string) => {
    const v = effectiveView(ctx.config.current(), extension, ctx.clock.wallNow());
    if (!v) throw notFound(`user ${extension}`);
    return { ...v, selfService };
  };

  app.post('/api/self/session', {
    config: {
      auth: 'public',
      doc: {
        summary: 'Sign in as a user (extension and SIP password)',
        tags,
        body: {
          schema: {
            type: 'object',
            required: ['extension', 'password'],
            properties: { extension: { type: 'string' }, password: { type: 'string' } },
          },
        },
        response: { schema: sessionSchema },
      },
    },
    handler: async (request, reply) => {
      const { extension, password } = parseBody(SelfLoginSchema, request);
      const source = request.ip;
      const key = `user:${extension}`;
      auth.checkThrottle(source, key);
      const user = ctx.config.current().usersByExtension.get(extension);
      // Compared as digests, so an unknown extension costs the same as a wrong password.
      const ok = sameSecret(password, user?.password ?? '\u0000no user') && user !== undefined;
      if (!ok) {
        auth.failed(source, key);
        metrics.loginFailures.inc({ kind: 'user' });
        ctx.logger.warn({ user: extension, source }, 'self-service sign-in failed');
        throw new ApiError('INVALID_CREDENTIALS', 'wrong extension or password');
      }
      auth.succeeded(source, key);
      const s = auth.startSession('user', extension);
      setSessionCookie(reply, options, s.id, options.sessionTtlMs);
      ctx.logger.info({ user: extension, source }, 'user signed in to self-service');
      return { kind: 'user', extension, csrfToken: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() };
    },
  });

  app.get('/api/self', {
    config: {
      auth: 'user',
      doc: {
        summary: 'My settings: my own values, the values in force, what is locked and what I may change',
        tags,
        response: { schema: selfViewSchema },
      },
    },
    handler: async (request) => {
      const p = request.principal!;
      return view(p.kind === 'user' ? p.extension : '');
    },
  });

  app.patch('/api/self', {
    config: {
      auth: 'user',
      doc: {
        summary: 'Change my self-service settings',
        description:
          'JSON Merge Patch on my own user entry, e.g. {"twinningMode":"mobile"} or {"mobility":{"mobileTwinning":true}}. Fields outside SELF_SERVICE_SETTINGS and fields my user rights lock are refused with 422 (NOT_PERMITTED, LOCKED_BY_USER_RIGHTS).',
        tags,
        body: { schema: { type: 'object' }, contentTypes: [MERGE_PATCH, 'application/json'] },
        response: { schema: selfViewSchema },
      },
    },
    handler: async (request, reply) => {
      const p = request.principal!;
      const extension = p.kind === 'user' ? p.extension : '';
      const patch = objectBody(request);
      commitChange(ctx, request, reply, (d) => {
        const users = d.users.map((u) => {
          if (keyOf('users', u) !== extension) return u;
          const merged = mergePatch(u, patch);
          return isPlainObject(merged) ? merged : u;
        });
        return { ...d, users };
      });
      return view(extension);
    },
  });
};

/**
 * Bearer tokens for scripts: created by a signed-in administrator, shown once, stored as
 * a SHA-256 digest, sent as `Authorization: Bearer tl_…`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { field, type PluginOptions, parseBody } from '../http.js';
import { arrayOf } from '../schemas.js';

const CreateTokenSchema = z.strictObject({
  name: field(z.string().min(1).max(64), '1–64 characters'),
  expiresInDays: field(z.int().min(1).max(3650).optional(), '1–3650 days; absent = no expiry'),
});

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    account: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
const DAY_MS = 86_400_000;

export const tokensPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx, auth }) => {
  const tags = ['tokens'];

  app.post('/api/tokens', {
    config: {
      doc: {
        summary: 'Create a bearer token (shown once)',
        tags,
        body: {
          schema: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string' },
              expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
            },
          },
        },
        response: {
          status: 201,
          schema: { ...tokenSchema, properties: { ...tokenSchema.properties, token: { type: 'string' } } },
        },
      },
    },
    handler: async (request, reply) => {
      const body = parseBody(CreateTokenSchema, request);
      const p = request.principal!;
      const account = p.kind === 'admin' ? p.account : '';
      const expiresAt =
        body.expiresInDays === undefined ? undefined : ctx.clock.wallNow() + body.expiresInDays * DAY_MS;
      const t = auth.issueToken(account, body.name, expiresAt);
      ctx.logger.info({ account, token: t.id, name: body.name }, 'bearer token created');
      reply.code(201);
      return {
        id: t.id,
        account,
        name: body.name,
        token: t.token,
        createdAt: iso(t.createdAt),
        expiresAt: iso(expiresAt),
        lastUsedAt: null,
      };
    },
  });

  app.get('/api/tokens', {
    config: {
      doc: {
        summary: 'List bearer tokens (never their text)',
        tags,
        response: { schema: arrayOf(tokenSchema) },
      },
    },
    handler: async () =>
      ctx.store.admin.listTokens().map((t) => ({
        id: t.id,
        account: t.account,
        name: t.name,
        createdAt: iso(t.createdAt),
        expiresAt: iso(t.expiresAt),
        lastUsedAt: iso(t.lastUsedAt),
      })),
  });

  app.delete('/api/tokens/:id', {
    config: {
      doc: { summary: 'Revoke a bearer token', tags, response: { status: 204, description: 'Revoked' } },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ctx.store.admin.deleteToken(id)) throw notFound(`token ${id}`);
      ctx.logger.info({ token: id }, 'bearer token revoked');
      return reply.code(204).send();
    },
  });
};

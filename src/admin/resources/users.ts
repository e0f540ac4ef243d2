/**
 * Users: the directory collection keyed by extension, plus UR-3 — the values in force at
 * an instant beside the user's own, with what is locked and read-only.
 */
import type { FastifyPluginAsync } from 'fastify';
import { effectiveView, effectiveViewSchema } from '../effective.js';
import { notFound } from '../errors.js';
import { instantParam, type PluginOptions, setRevision } from '../http.js';
import { collectionPlugin, collectionSpec } from './collection.js';

export const usersPlugin: FastifyPluginAsync<PluginOptions> = async (app, opts) => {
  const { ctx } = opts;
  await collectionPlugin(collectionSpec('users'))(app, opts);

  app.get('/api/users/:extension/effective', {
    config: {
      doc: {
        summary: 'A user’s effective values (UR-3)',
        description:
          'The user’s own values beside the values in force at `at` (default now), after user rights (UR-1, UR-2), licence (CFG-2, LIC-2) and system settings (IT-8); which fields are locked and by which template, and which are read-only and why.',
        tags: ['users'],
        query: [
          {
            name: 'at',
            schema: { type: 'string', format: 'date-time' },
            description: 'ISO 8601 instant, e.g. 2026-03-29T08:00:00Z',
          },
        ],
        response: { schema: effectiveViewSchema },
      },
    },
    handler: async (request, reply) => {
      const { extension } = request.params as { extension: string };
      const at = instantParam((request.query as Record<string, unknown>).at, 'at', ctx.clock.wallNow());
      const view = effectiveView(ctx.config.current(), extension, at);
      if (!view) throw notFound(`user ${extension}`);
      setRevision(reply, ctx.config.revision());
      return view;
    },
  });
};

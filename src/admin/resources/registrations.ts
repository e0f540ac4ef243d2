/** Registrations in force: who is registered where, until when, and reachable or not (FB-3). */
import type { FastifyPluginAsync } from 'fastify';
import type { PluginOptions } from '../http.js';
import { arrayOf } from '../schemas.js';

const registrationSchema = {
  type: 'object',
  properties: {
    aor: { type: 'string', description: 'The user’s extension' },
    contact: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
    source: {
      type: 'object',
      properties: { protocol: { type: 'string' }, address: { type: 'string' }, port: { type: 'integer' } },
    },
    userAgent: { type: 'string' },
    reachable: { type: 'boolean' },
  },
};

export const registrationsPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx }) => {
  app.get('/api/registrations', {
    config: {
      doc: {
        summary: 'List registrations',
        tags: ['registrations'],
        query: [
          { name: 'user', schema: { type: 'string' }, description: 'Only this extension’s registrations' },
        ],
        response: { schema: arrayOf(registrationSchema) },
      },
    },
    handler: async (request) => {
      const { user } = request.query as { user?: string };
      return ctx
        .registrations()
        .filter((r) => user === undefined || r.aor === user)
        .map((r) => ({ ...r, expiresAt: new Date(r.expiresAt).toISOString() }));
    },
  });
};

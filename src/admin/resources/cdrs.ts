/** Call records (SEE-1): finished calls with every leg, newest first. */
import type { FastifyPluginAsync } from 'fastify';
import { instantParam, intParam, type PluginOptions } from '../http.js';
import { arrayOf } from '../schemas.js';
import { legSchema } from './calls.js';

const cdrSchema = {
  type: 'object',
  required: ['id', 'from', 'to', 'user', 'startedAt', 'endedAt', 'outcome', 'legs'],
  properties: {
    id: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    user: { type: 'string' },
    startedAt: { type: 'integer', description: 'epoch ms' },
    answeredAt: { type: 'integer' },
    endedAt: { type: 'integer' },
    answeredBy: { type: 'string', description: 'The id of the connected leg' },
    outcome: { type: 'string' },
    legs: arrayOf(legSchema),
  },
};

export const cdrsPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx }) => {
  app.get('/api/cdrs', {
    config: {
      doc: {
        summary: 'Call records, newest first',
        tags: ['calls'],
        query: [
          {
            name: 'since',
            schema: { type: 'string', format: 'date-time' },
            description: 'Calls that started at or after',
          },
          { name: 'user', schema: { type: 'string' }, description: 'Calls for, from or to this extension' },
          {
            name: 'limit',
            schema: { type: 'integer', minimum: 1, maximum: 10000 },
            description: 'Default 100',
          },
        ],
        response: { schema: arrayOf(cdrSchema) },
      },
    },
    handler: async (request) => {
      const q = request.query as Record<string, unknown>;
      const since = q.since === undefined ? undefined : instantParam(q.since, 'since', 0);
      const user = typeof q.user === 'string' && q.user !== '' ? q.user : undefined;
      const limit = intParam(q.limit, 'limit', 10_000) ?? 100;
      return ctx.cdrs?.query({ since, user, limit }) ?? [];
    },
  });
};

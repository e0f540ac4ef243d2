/**
 * Operations: liveness (`/healthz`), readiness (`/readyz`: the store reads and SIP is
 * listening) and Prometheus metrics (`/metrics`, behind authentication unless
 * `publicMetrics` is set — a scraper can send a bearer token).
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../errors.js';
import type { PluginOptions } from '../http.js';

export const opsPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx, options }) => {
  const tags = ['operations'];
  app.get('/healthz', {
    config: {
      auth: 'public',
      doc: { summary: 'The process is up', tags, response: { schema: { type: 'object' } } },
    },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    config: {
      auth: 'public',
      doc: {
        summary: 'Ready to serve: the store reads and SIP is listening',
        description: 'Answers 503 with code NOT_READY otherwise.',
        tags,
        response: { schema: { type: 'object' } },
      },
    },
    handler: async () => {
      let storeOk = true;
      try {
        ctx.store.config.revision();
      } catch (err) {
        ctx.logger.warn({ err }, 'readiness: the store cannot be read');
        storeOk = false;
      }
      const sipOk = ctx.ready ? ctx.ready() : true;
      if (!storeOk || !sipOk) {
        const why = [storeOk ? '' : 'the store cannot be read', sipOk ? '' : 'SIP is not listening'];
        throw new ApiError('NOT_READY', why.filter(Boolean).join('; '));
      }
      return { status: 'ready', revision: ctx.config.revision() };
    },
  });

  app.get('/metrics', {
    config: {
      auth: options.publicMetrics ? 'public' : 'admin',
      doc: {
        summary: 'Prometheus metrics',
        description: 'Needs an administrator (a bearer token suits a scraper) unless publicMetrics is set.',
        tags,
        response: { contentType: 'text/plain', schema: { type: 'string' } },
      },
    },
    handler: async (_request, reply) => {
      reply.type(ctx.metrics.contentType);
      return ctx.metrics.metrics();
    },
  });
};

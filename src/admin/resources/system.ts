/**
 * System settings (one object: read, replace, merge-patch), the warnings of the
 * configuration in force, and the audit log of changes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { commitChange, redact } from '../changes.js';
import { intParam, isPlainObject, mergePatch, objectBody, type PluginOptions, setRevision } from '../http.js';
import { arrayOf, systemSchemas } from '../schemas.js';
import { MERGE_PATCH } from './collection.js';

const issueSchema = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    value: {},
    allowed: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
  },
};

export const systemPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx }) => {
  const input = systemSchemas.input();
  const output = systemSchemas.output();
  const tags = ['system'];

  app.get('/api/system', {
    config: { doc: { summary: 'Read the system settings', tags, response: { schema: output } } },
    handler: async (_request, reply) => {
      setRevision(reply, ctx.config.revision());
      return ctx.config.current().system;
    },
  });

  app.put('/api/system', {
    config: {
      doc: {
        summary: 'Replace the system settings',
        description: 'Fields left out take their defaults.',
        tags,
        body: { schema: input },
        response: { schema: output },
      },
    },
    handler: async (request, reply) => {
      const body = objectBody(request);
      commitChange(ctx, request, reply, (d) => ({ ...d, system: body }));
      return ctx.config.current().system;
    },
  });

  app.patch('/api/system', {
    config: {
      doc: {
        summary: 'Change some system settings',
        description: 'JSON Merge Patch (RFC 7396): objects merge, null resets a field to its default.',
        tags,
        body: { schema: { type: 'object' }, contentTypes: [MERGE_PATCH, 'application/json'] },
        response: { schema: output },
      },
    },
    handler: async (request, reply) => {
      const patch = objectBody(request);
      commitChange(ctx, request, reply, (d) => {
        const merged = mergePatch(d.system, patch);
        return { ...d, system: isPlainObject(merged) ? merged : d.system };
      });
      return ctx.config.current().system;
    },
  });

  app.get('/api/warnings', {
    config: {
      doc: {
        summary: 'Warnings about the configuration in force',
        description: 'Settings that are accepted but inert, numbers without the outside-line prefix, …',
        tags,
        response: { schema: arrayOf(issueSchema) },
      },
    },
    handler: async (_request, reply) => {
      setRevision(reply, ctx.config.revision());
      return ctx.config.current().warnings;
    },
  });

  app.get('/api/audit', {
    config: {
      doc: {
        summary: 'The audit log of configuration changes, oldest first',
        tags,
        query: [
          {
            name: 'sinceRevision',
            schema: { type: 'integer', minimum: 0 },
            description: 'Changes after this revision',
          },
          {
            name: 'limit',
            schema: { type: 'integer', minimum: 1, maximum: 10000 },
            description: 'Default 1000',
          },
        ],
        response: { schema: arrayOf({ type: 'object' }) },
      },
    },
    handler: async (request) => {
      const q = request.query as Record<string, unknown>;
      const entries = ctx.store.config.audit({
        sinceRevision: intParam(q.sinceRevision, 'sinceRevision', Number.MAX_SAFE_INTEGER),
        limit: intParam(q.limit, 'limit', 10_000),
      });
      // Passwords and PINs stay out of the log's answer as they stay out of every other.
      return entries.map((e) => ({
        ...e,
        before: e.before === null ? null : redact(e.collection, e.before),
        after: e.after === null ? null : redact(e.collection, e.after),
      }));
    },
  });
};

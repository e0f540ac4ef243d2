/**
 * Live calls (SEE-2): the calls in progress, and a server-sent events stream of their
 * changes for the admin page's timeline. Without a call engine the list is empty and the
 * stream carries only keep-alives.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { PluginOptions } from '../http.js';
import { arrayOf } from '../schemas.js';
import type { CallEvent, CallView } from '../types.js';

export const legSchema = {
  type: 'object',
  required: ['id', 'reason', 'target', 'status'],
  properties: {
    id: { type: 'string' },
    reason: {
      type: 'string',
      description: 'primary, mobileTwin, internalTwin, teams, fallback, coverage, …',
    },
    target: { type: 'string' },
    status: { type: 'string' },
    placedAt: { type: 'integer', description: 'epoch ms' },
    answeredAt: { type: 'integer' },
    endedAt: { type: 'integer' },
    endReason: { type: 'string' },
    rule: { type: 'string' },
  },
};

export const callSchema = {
  type: 'object',
  required: ['id', 'phase', 'from', 'to', 'user', 'startedAt', 'legs'],
  properties: {
    id: { type: 'string' },
    phase: { enum: ['routing', 'connected', 'transferring', 'ended'] },
    from: { type: 'string' },
    to: { type: 'string' },
    user: { type: 'string' },
    startedAt: { type: 'integer', description: 'epoch ms' },
    answeredAt: { type: 'integer' },
    legs: arrayOf(legSchema),
  },
};

/** One server-sent event (the `data` is one line of JSON, so it needs no escaping). */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const callsPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx, options }) => {
  const tags = ['calls'];
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get('/api/calls', {
    config: { doc: { summary: 'Calls in progress', tags, response: { schema: arrayOf(callSchema) } } },
    handler: async (): Promise<CallView[]> => ctx.calls?.active() ?? [],
  });

  app.get('/api/calls/events', {
    config: {
      doc: {
        summary: 'A stream of call changes (server-sent events)',
        description:
          'First a `snapshot` event with the calls in progress, then `callStarted`, `callUpdated` and `callEnded` events, each with `{type, at, call}` as data; a comment line keeps the connection alive.',
        tags,
        response: { contentType: 'text/event-stream', schema: { type: 'string' } },
      },
    },
    handler: (_request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let seq = 0;
      let closed = false;
      const write = (text: string) => {
        if (!closed) raw.write(text);
      };
      write(sseFrame('snapshot', ctx.calls?.active() ?? [], seq++));
      const unsubscribe =
        ctx.calls?.subscribe((event: CallEvent) => {
          try {
            write(sseFrame(event.type, event, seq++));
          } catch (err) {
            ctx.logger.debug({ err }, 'call event not delivered');
          }
        }) ?? (() => {});
      let heartbeat = ctx.clock.setTimer(options.heartbeatMs, function beat() {
        write(': keep-alive\n\n');
        heartbeat = ctx.clock.setTimer(options.heartbeatMs, beat);
      });
      const end = () => {
        if (closed) return;
        closed = true;
        streams.delete(end);
        heartbeat.cancel();
        unsubscribe();
        raw.end();
      };
      streams.add(end);
      // The response's close is the client going away; the request's fires as soon as its
      // (empty) body has been read.
      raw.on('close', end);
    },
  });
};

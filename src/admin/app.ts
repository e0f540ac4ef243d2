/**
 * The admin HTTP API as a fastify app: one plugin per resource (STYLE 13), one error
 * table, authentication and CSRF checks in one hook, request metrics in another. Build
 * it with {@link buildAdminApp} and test it through `app.inject()`; the server around it
 * is in server.ts.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { createAuth } from './auth.js';
import { ApiError } from './errors.js';
import type { ApiMetrics, PluginOptions, ResolvedOptions } from './http.js';
import { openApiPlugin, type RouteInfo } from './openapi.js';
import { accountsPlugin } from './resources/accounts.js';
import { callsPlugin } from './resources/calls.js';
import { cdrsPlugin } from './resources/cdrs.js';
import { MERGE_PATCH } from './resources/collection.js';
import {
  huntGroupsPlugin,
  incomingRoutesPlugin,
  shortCodesPlugin,
  timeProfilesPlugin,
  trunksPlugin,
  userRightsPlugin,
} from './resources/directory.js';
import { opsPlugin } from './resources/ops.js';
import { registrationsPlugin } from './resources/registrations.js';
import { selfPlugin } from './resources/self.js';
import { sessionPlugin } from './resources/session.js';
import { systemPlugin } from './resources/system.js';
import { tokensPlugin } from './resources/tokens.js';
import { usersPlugin } from './resources/users.js';
import type { AdminContext, AdminOptions } from './types.js';
import { webPlugin } from './web/index.js';

export const DEFAULT_ADMIN_OPTIONS: ResolvedOptions = {
  sessionTtlMs: 8 * 3_600_000,
  secureCookies: false,
  publicMetrics: false,
  trustProxy: false,
  heartbeatMs: 15_000,
  bodyLimit: 1_048_576,
  loginThrottle: undefined,
};

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  // A second app on the same registry (tests, a restart in-process) reuses the counter.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function apiMetrics(registry: Registry): ApiMetrics {
  return {
    requests: counter(
      registry,
      'twinline_http_requests_total',
      'Admin API requests by route, method and status',
      ['route', 'method', 'status'],
    ),
    loginFailures: counter(
      registry,
      'twinline_admin_login_failures_total',
      'Failed sign-ins to the admin API, by kind (admin or self-service user)',
      ['kind'],
    ),
  };
}

/** The resource plugins, in the order the OpenAPI document lists them. */
const PLUGINS: readonly FastifyPluginAsync<PluginOptions>[] = [
  sessionPlugin,
  selfPlugin,
  tokensPlugin,
  accountsPlugin,
  usersPlugin,
  huntGroupsPlugin,
  timeProfilesPlugin,
  userRightsPlugin,
  trunksPlugin,
  incomingRoutesPlugin,
  shortCodesPlugin,
  systemPlugin,
  registrationsPlugin,
  callsPlugin,
  cdrsPlugin,
  opsPlugin,
];

export async function buildAdminApp(ctx: AdminContext, options: AdminOptions = {}): Promise<FastifyInstance> {
  const resolved: ResolvedOptions = { ...DEFAULT_ADMIN_OPTIONS };
  for (const [k, v] of Object.entries(options))
    if (v !== undefined) (resolved as Record<string, unknown>)[k] = v;
  const app = Fastify({
    logger: false,
    bodyLimit: resolved.bodyLimit,
    trustProxy: resolved.trustProxy,
    return503OnClosing: true,
  });
  const log = ctx.logger.child({ component: 'admin' });
  const metrics = apiMetrics(ctx.metrics);
  const auth = createAuth({
    store: ctx.store,
    clock: ctx.clock,
    sessionTtlMs: resolved.sessionTtlMs,
    throttle: resolved.loginThrottle,
    userExists: (ext) => ctx.config.current().usersByExtension.has(ext),
  });

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.web) return; // the web page's files are not API operations
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, auth: route.config?.auth ?? 'admin', doc: route.config?.doc });
    }
  });

  // JSON only: a text body would otherwise reach handlers as a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // Who is asking, and may they: before the body is read, so a stranger learns nothing
  // from how a body would have been judged.
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    request.principal = auth.identify(request);
    auth.authorize(request, request.routeOptions.config?.auth ?? 'admin');
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({
      route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      method: request.method,
      status: String(reply.statusCode),
    });
    log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'admin request',
    );
  });

  app.setNotFoundHandler(async (request, reply) => {
    const e = new ApiError('UNKNOWN_ROUTE', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.status).send(e.body());
  });

  app.setErrorHandler(async (err: FastifyError | ApiError | Error, request, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else {
      const code = (err as FastifyError).code;
      const status = (err as FastifyError).statusCode;
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415)
        e = new ApiError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send JSON (application/json or application/merge-patch+json)',
        );
      else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413)
        e = new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than ${resolved.bodyLimit} bytes`);
      else if (status === 400)
        e = new ApiError('MALFORMED_REQUEST', `the request could not be read: ${err.message}`);
      else {
        log.error(
          { err, method: request.method, url: request.url, reqId: request.id },
          'admin request failed',
        );
        e = new ApiError('INTERNAL', `internal error (request ${request.id}); see the server log`);
      }
    }
    if (e.headers) for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    return reply.code(e.status).send(e.body());
  });

  const pluginOptions: PluginOptions = { ctx: { ...ctx, logger: log }, options: resolved, auth, metrics };
  for (const plugin of PLUGINS) await app.register(plugin, pluginOptions);
  await app.register(openApiPlugin(routes), pluginOptions);
  await app.register(webPlugin);
  await app.ready();
  return app;
}

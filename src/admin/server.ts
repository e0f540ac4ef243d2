/** The admin API on a TCP port, for the composition root (`twinline start --http-listen`). */
import { buildAdminApp } from './app.js';
import type { AdminContext, AdminOptions } from './types.js';

export interface AdminListen {
  /** IP address to bind, e.g. 127.0.0.1 or :: */
  address: string;
  /** 0 picks a free port. */
  port: number;
}

export interface AdminServer {
  /** The bound address and port (the real port when 0 was asked for). */
  readonly address: string;
  readonly port: number;
  /** Stops listening, ends event streams and waits for requests in flight. Idempotent. */
  close(): Promise<void>;
}

export async function startAdminServer(
  ctx: AdminContext,
  listen: AdminListen,
  options?: AdminOptions,
): Promise<AdminServer> {
  const app = await buildAdminApp(ctx, options);
  await app.listen({ host: listen.address, port: listen.port });
  const bound = app.server.address();
  const address = typeof bound === 'object' && bound ? bound.address : listen.address;
  const port = typeof bound === 'object' && bound ? bound.port : listen.port;
  ctx.logger.info({ address, port }, 'admin API listening');
  let closed: Promise<void> | undefined;
  return {
    address,
    port,
    close() {
      closed ??= app.close();
      return closed;
    },
  };
}

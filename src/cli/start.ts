/** `twinline start`: runs the server until SIGINT or SIGTERM, then stops it cleanly. */
import { startServer } from '../server.js';
import { createLogger } from '../util/log.js';
import { parseListen } from './main.js';

export interface StartOptions {
  sipListen: string;
  httpListen: string;
  dataDir: string;
  logLevel: string;
}

export async function startCommand(options: StartOptions): Promise<number> {
  const sip = parseListen('--sip-listen', options.sipListen);
  const http = parseListen('--http-listen', options.httpListen);
  const logger = createLogger(options.logLevel);
  const server = await startServer({ sip, http, dataDir: options.dataDir, logger });
  logger.info({ dataDir: options.dataDir, revision: server.config.revision() }, 'twinline started');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Graceful: no new calls, calls in progress may finish (up to 30 s), then stop.
  const calls = server.engine.calls().length;
  if (calls > 0) logger.info({ calls }, 'waiting for calls in progress to end (at most 30 s)');
  await server.drain(30_000);
  await server.stop();
  logger.info('stopped');
  return 0;
}

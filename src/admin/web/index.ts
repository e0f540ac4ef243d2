/**
 * The admin web page: static HTML, CSS and ES modules served at `/` and `/web/*` beside
 * the API, with no build step. The page talks only to the API (same origin), so its
 * routes are public (the files hold no data) and stay out of the OpenAPI document.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A file of the web page, not an API operation (left out of the OpenAPI document). */
    web?: boolean;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only flat file names of known kinds: nothing outside the folder can be named. */
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|png)$/;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The folder the files are served from: `static/` next to this module (src/ under tsx,
 * dist/ after `npm run build` copies it there), else the source tree seen from dist/.
 */
export function webRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'static'), path.resolve(here, '../../../src/admin/web/static')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

export const webPlugin: FastifyPluginAsync<{ root?: string }> = async (app, opts) => {
  const root = opts.root ?? webRoot();

  async function send(reply: FastifyReply, name: string): Promise<FastifyReply> {
    let body: Buffer;
    try {
      // Read on each request: an edited file shows on reload, as a page without a build should.
      body = await readFile(path.join(root, name));
    } catch {
      return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    }
    reply
      .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP);
    return reply.send(body);
  }

  const config = { auth: 'public' as const, web: true };
  app.get('/', { config }, (_request, reply) => send(reply, 'index.html'));
  app.get('/web/*', { config }, (request, reply) => {
    const name = (request.params as Record<string, string>)['*'] ?? '';
    if (!FILE_NAME.test(name)) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return send(reply, name);
  });
};

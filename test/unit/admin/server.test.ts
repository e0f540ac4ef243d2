import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { startAdminServer } from '../../../src/admin/server.js';
import type { CallEvent, CallsView } from '../../../src/admin/types.js';
import { ADMIN, harness } from './helpers.js';

function request(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('startAdminServer', () => {
  it('listens on the address given (port 0 = a free one), serves, and closes', async () => {
    const listeners = new Set<(e: CallEvent) => void>();
    const calls: CallsView = {
      active: () => [],
      subscribe(l) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const h = await harness({ calls });
    const server = await startAdminServer(h.ctx, { address: '127.0.0.1', port: 0 });
    try {
      assert.equal(server.address, '127.0.0.1');
      assert.ok(server.port > 0);
      assert.equal((await request(server.port, 'GET', '/healthz')).status, 200);
      const login = await request(server.port, 'POST', '/api/session', ADMIN);
      assert.equal(login.status, 200, login.body);
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;

      // A real client on the event stream stays subscribed until it goes away.
      const got = await new Promise<string>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port: server.port, path: '/api/calls/events', headers: { cookie } },
          (res) => {
            let text = '';
            let pushed = false;
            res.on('data', (c: Buffer) => {
              text += c.toString('utf8');
              if (!pushed && text.includes('event: snapshot')) {
                pushed = true;
                setTimeout(() => {
                  assert.equal(listeners.size, 1, 'still subscribed after the request was read');
                  for (const l of listeners)
                    l({
                      type: 'callEnded',
                      at: 1,
                      call: { id: 'x', phase: 'ended', from: '', to: '', user: '', startedAt: 0, legs: [] },
                    });
                }, 20);
              }
              if (text.includes('event: callEnded')) {
                req.destroy();
                resolve(text);
              }
            });
          },
        );
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      });
      assert.match(got, /event: callEnded/);
      for (let i = 0; i < 50 && listeners.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(listeners.size, 0, 'unsubscribed when the client went away');
    } finally {
      await server.close();
      await server.close();
      h.ctx.store.close();
    }
  });
});

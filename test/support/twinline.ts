/**
 * Runs the real `twinline` command as a child process for interop tests: optionally
 * imports a directory YAML into a fresh data directory, starts the server on a free
 * loopback port and waits until it listens. Stopped by PID through the process registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpTcpPort } from './ports.js';
import { type ManagedProcess, spawnProcess } from './processes.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = path.join(repoRoot, 'src/cli/run.ts');

/** Arguments that run the twinline command from source with node. */
export function twinlineArgs(...args: string[]): string[] {
  return ['--import', 'tsx', entry, ...args];
}

/** Runs a short twinline command to completion (config import/validate/export). */
export function runTwinline(
  args: string[],
  timeoutMs = 30_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, twinlineArgs(...args), {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface TwinlineProcess {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly address: string;
  /** The admin API / web page: http://127.0.0.1:httpPort */
  readonly httpPort: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startTwinline(
  options: { configYaml?: string; dataDir?: string; logLevel?: string } = {},
): Promise<TwinlineProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'twinline-data-'));
  if (options.configYaml !== undefined) {
    const file = path.join(dataDir, 'directory.yaml');
    writeFileSync(file, options.configYaml);
    const r = runTwinline(['config', 'import', file, '--data', dataDir]);
    if (r.status !== 0) throw new Error(`config import failed (${r.status}): ${r.stderr}`);
  }
  const port = await freeUdpTcpPort();
  const httpPort = await freeTcpPort();
  const proc = spawnProcess({
    name: 'twinline',
    command: process.execPath,
    args: twinlineArgs(
      'start',
      '--sip-listen',
      `127.0.0.1:${port}`,
      '--http-listen',
      `127.0.0.1:${httpPort}`,
      '--data',
      dataDir,
      '--log-level',
      options.logLevel ?? 'debug',
    ),
    cwd: repoRoot,
    log: true,
    stopTimeoutMs: 5000,
  });
  await proc.waitForOutput('twinline started', { timeoutMs: 20_000 });
  return {
    process: proc,
    port,
    httpPort,
    address: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      await proc.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AdminSession {
  get(path: string): Promise<unknown>;
  /** Sends a change with the session's CSRF token; returns status and body. */
  send(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
}

/** Signs in to the running server's admin API with the first-start password from its log. */
export async function adminSession(server: TwinlineProcess): Promise<AdminSession> {
  const line = server.process.stdout
    .split('\n')
    .find((l) => l.includes('"account":"admin"') && l.includes('"password"'));
  if (!line) throw new Error('the server log holds no first-start admin password');
  const { password } = JSON.parse(line) as { password: string };
  const base = `http://127.0.0.1:${server.httpPort}`;
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'admin', password }),
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`admin sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    async get(path) {
      const r = await fetch(`${base}${path}`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return r.json();
    },
    async send(method, path, body) {
      const headers: Record<string, string> = { cookie, 'x-csrf-token': csrfToken };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

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
import { freeUdpTcpPort } from './ports.js';
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
  const proc = spawnProcess({
    name: 'twinline',
    command: process.execPath,
    args: twinlineArgs(
      'start',
      '--sip-listen',
      `127.0.0.1:${port}`,
      '--data',
      dataDir,
      '--log-level',
      options.logLevel ?? 'debug',
    ),
    cwd: repoRoot,
    log: true,
    stopTimeoutMs: 5000,
  });
  await proc.waitForOutput('SIP listening', { timeoutMs: 20_000 });
  return {
    process: proc,
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      await proc.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

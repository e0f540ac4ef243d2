/**
 * Process helpers for benches that run real programs: free loopback ports, children
 * pinned to a core and stopped by PID, CPU time and resident memory read from /proc.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const LOOPBACK = '127.0.0.1';

/** Kernel clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
export const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** True when `command` runs (e.g. `hasCommand('sipp', ['-v'])`). */
export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 5000 });
  return r.error === undefined;
}

/** User + system CPU seconds used so far by a live process. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15 (proc(5)).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** Resident set size of a live process, KiB (VmRSS in /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

function tcpFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, LOOPBACK, () => {
      const got = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, LOOPBACK, () => socket.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/** A loopback port free for TCP and UDP (asked of the kernel, then checked for both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = await tcpFree(0);
    if (port === undefined || handedOut.has(port)) continue;
    if (await udpFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port found');
}

export interface BenchProcess {
  readonly pid: number;
  readonly name: string;
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last `chars` characters of its output. */
  tail(chars?: number): string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort if a bench dies without its finally blocks: no child outlives the runner.
  for (const child of live) if (child.pid !== undefined) child.kill('SIGKILL');
});

/**
 * Starts `command` (pinned to `core` with taskset when it is installed), output kept in
 * memory (bounded) and appended to `logFile` when given.
 */
export function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  core?: number;
  logFile?: string;
  /** Extra environment variables, over this process's environment. */
  env?: Record<string, string>;
}): BenchProcess {
  const pinned = options.core !== undefined && TASKSET;
  const command = pinned ? 'taskset' : options.command;
  const args = pinned ? ['-c', String(options.core), options.command, ...options.args] : options.args;
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  if (child.pid === undefined) throw new Error(`${options.name} did not start (${command})`);
  live.add(child);
  let output = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    log?.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      log?.end();
      resolve({ code, signal });
    });
  });
  const pid = child.pid;
  return {
    pid,
    name: options.name,
    exited,
    isRunning: () => running,
    async stop(graceMs = 5000) {
      if (!running) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (running) process.kill(pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
    tail: (chars = 2000) => output.slice(-chars),
  };
}

/** taskset (util-linux) pins a process to one core; absent, processes run unpinned. */
export const TASKSET = hasCommand('taskset', ['--version']);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * UDP datagrams the kernel dropped because a socket's receive buffer was full, counted
 * host-wide since boot (RcvbufErrors in /proc/net/snmp).
 */
export function udpReceiveBufferErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? Number.NaN);
}

/** A full garbage collection, so one measured section does not pay for the previous one's garbage. */
export function collectGarbage(): void {
  const g = globalThis as { gc?: () => void };
  if (!g.gc) {
    setFlagsFromString('--expose-gc');
    g.gc = runInNewContext('gc') as () => void;
  }
  g.gc?.();
}

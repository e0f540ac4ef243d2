/**
 * Child processes for interop tests (SIPp, baresip, twinline itself): named, with their output
 * kept in memory (bounded) and optionally in a log under test-artifacts/, stopped by PID, and
 * tracked so that none outlives the test file.
 *
 *   import { after } from 'node:test';
 *   import { spawnProcess, stopAllProcesses } from '../support/processes.js';
 *   after(stopAllProcesses);
 *   const proc = spawnProcess({ name: 'sipp-uas', command: 'sipp', args: [...], log: true });
 *   await proc.waitForOutput(/Listening/, { timeoutMs: 2000 });
 *   const { code } = await proc.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WaitTimeoutError, waitFor, withTimeout } from './wait.js';

/** test-artifacts/ at the repository root (gitignored). */
export const artifactsDir = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let artifactSeq = 0;

/**
 * A fresh, unique path stem under test-artifacts/ (the directory is created): one peer's files
 * share it, e.g. `${stem}.log`, `${stem}.messages.log`.
 */
export function artifactStem(name: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_');
  artifactSeq += 1;
  return path.join(artifactsDir, `${safe}-${process.pid}-${artifactSeq}`);
}

/** A fresh, unique file path under test-artifacts/. */
export function artifactPath(name: string, extension: string): string {
  return `${artifactStem(name)}${extension}`;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Names the process in every message and log file. */
  name: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also write stdout+stderr to a file: true picks test-artifacts/<name>-<pid>-<n>.log. */
  log?: boolean | string;
  /** In-memory bound per stream, in characters; the oldest output is dropped. Default 1 MiB. */
  maxBufferedChars?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 3000 ms. */
  stopTimeoutMs?: number;
}

export interface StopOptions {
  /** Wait this long for the first signal to work before SIGKILL; default: the spawn option. */
  timeoutMs?: number;
  /** First signal; default SIGTERM. */
  signal?: NodeJS.Signals;
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Emits 'output' (stream, chunk), 'line' (OutputLine) and 'exit' (ExitInfo). */
export class ManagedProcess extends EventEmitter {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  /** The log file, when one was asked for. */
  readonly logFile: string | undefined;
  /** Settles once, when the process has exited and its output is drained. Never rejects. */
  readonly exited: Promise<ExitInfo>;

  #child: ChildProcess;
  #exitInfo: ExitInfo | undefined;
  #stdout = '';
  #stderr = '';
  #lines: OutputLine[] = [];
  #partial: Record<OutputLine['stream'], string> = { stdout: '', stderr: '' };
  #maxChars: number;
  #stopTimeoutMs: number;
  #log: fs.WriteStream | undefined;
  #stopping: Promise<ExitInfo> | undefined;

  /** Use spawnProcess(). */
  constructor(options: SpawnOptions) {
    super();
    this.name = options.name;
    this.command = options.command;
    this.args = options.args ?? [];
    this.#maxChars = options.maxBufferedChars ?? 1 << 20;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 3000;
    this.logFile =
      options.log === true ? artifactPath(options.name, '.log') : options.log ? options.log : undefined;
    if (this.logFile) {
      fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
      this.#log = fs.createWriteStream(this.logFile);
      this.#log.write(`# ${this.command} ${this.args.join(' ')}\n`);
    }
    this.#child = spawn(this.command, this.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.#child.pid === undefined) {
      this.#log?.end();
      // The 'error' event (ENOENT, EACCES) follows on the next tick; nothing to wait for.
      this.#child.on('error', () => {});
      throw new Error(
        `could not start ${this.name}: '${this.command}' did not spawn (is it installed and on PATH?)`,
      );
    }
    this.pid = this.#child.pid;
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#onData('stdout', chunk));
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#onData('stderr', chunk));
    this.exited = new Promise<ExitInfo>((resolve) => {
      let drainTimer: NodeJS.Timeout | undefined;
      const done = (info: ExitInfo): void => {
        if (drainTimer) clearTimeout(drainTimer);
        if (this.#exitInfo) return;
        this.#flushPartial();
        this.#exitInfo = info;
        trackedProcesses.delete(this);
        this.#log?.end(`# exited code=${info.code} signal=${info.signal}\n`);
        this.emit('exit', info);
        resolve(info);
      };
      // 'close' comes after the output is drained; a grandchild holding the pipes open must not
      // keep the exit from being reported, hence the short fallback after 'exit'.
      this.#child.once('close', (code, signal) => done({ code, signal }));
      this.#child.once('exit', (code, signal) => {
        drainTimer = setTimeout(() => done({ code, signal }), 500);
        drainTimer.unref();
      });
    });
    trackedProcesses.add(this);
  }

  get running(): boolean {
    return this.#exitInfo === undefined;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exitInfo;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The last complete lines of stdout and stderr, interleaved in arrival order. */
  lastLines(count = 20): string {
    const tail = this.#lines
      .slice(-count)
      .map((l) => (l.stream === 'stderr' ? `! ${l.text}` : `  ${l.text}`));
    const partial = [this.#partial.stdout, this.#partial.stderr].filter((p) => p.length > 0);
    return [...tail, ...partial.map((p) => `  ${p}`)].join('\n');
  }

  /** "name (pid N)" plus its last output: the context every timeout message carries. */
  describe(lines = 15): string {
    const state = this.#exitInfo
      ? `exited code=${this.#exitInfo.code} signal=${this.#exitInfo.signal}`
      : 'running';
    const log = this.logFile ? `, log ${this.logFile}` : '';
    const out = this.lastLines(lines);
    return `${this.name} (pid ${this.pid}, ${state}${log}) last output:\n${out || '  (none)'}`;
  }

  /**
   * Waits until stdout or stderr matches; rejects if the process exits first or the bound passes.
   * A string matches as a substring.
   */
  async waitForOutput(
    pattern: RegExp | string,
    options: { timeoutMs: number; what?: string; stream?: 'stdout' | 'stderr' },
  ): Promise<RegExpMatchArray> {
    const what = options.what ?? `${this.name} to print ${String(pattern)}`;
    const regex = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
    return waitFor(
      () => {
        const text =
          options.stream === 'stdout'
            ? this.#stdout
            : options.stream === 'stderr'
              ? this.#stderr
              : `${this.#stdout}\n${this.#stderr}`;
        const match = text.match(regex);
        if (match) return match;
        if (this.#exitInfo) throw new Error(`${this.name} exited before ${what}\n${this.describe()}`);
        return undefined;
      },
      { timeoutMs: options.timeoutMs, what, detail: () => this.describe(), wakeOn: [this, 'output', 'exit'] },
    );
  }

  /** Waits for the process to exit on its own; rejects (without killing it) after the bound. */
  waitForExit(options: { timeoutMs: number; what?: string }): Promise<ExitInfo> {
    return withTimeout(this.exited, {
      timeoutMs: options.timeoutMs,
      what: options.what ?? `${this.name} to exit`,
      detail: () => this.describe(),
    });
  }

  /**
   * Stops the process by its PID: the signal (SIGTERM), then SIGKILL if it is still there after
   * the bound. Resolves when it has exited; idempotent.
   */
  stop(options: StopOptions = {}): Promise<ExitInfo> {
    if (this.#exitInfo) return Promise.resolve(this.#exitInfo);
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  async #stop(options: StopOptions): Promise<ExitInfo> {
    const timeoutMs = options.timeoutMs ?? this.#stopTimeoutMs;
    this.#signal(options.signal ?? 'SIGTERM');
    try {
      return await withTimeout(this.exited, { timeoutMs, what: `${this.name} to exit` });
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
    }
    this.#signal('SIGKILL');
    return withTimeout(this.exited, {
      timeoutMs: 5000,
      what: `${this.name} (pid ${this.pid}) to exit after SIGKILL`,
      detail: () => this.describe(),
    });
  }

  /** Sends a signal to the PID unless the process has exited. */
  kill(signal: NodeJS.Signals): void {
    this.#signal(signal);
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#exitInfo) return;
    try {
      process.kill(this.pid, signal);
    } catch (err) {
      // ESRCH: it exited between the check and the kill; the exit event is on its way.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  #onData(stream: OutputLine['stream'], chunk: string): void {
    if (stream === 'stdout') this.#stdout = trimHead(this.#stdout + chunk, this.#maxChars);
    else this.#stderr = trimHead(this.#stderr + chunk, this.#maxChars);
    this.#log?.write(stream === 'stderr' ? chunk.replace(/^(?=.)/gm, '! ') : chunk);
    const text = this.#partial[stream] + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.#pushLine({ stream, text: part });
    this.emit('output', stream, chunk);
  }

  #flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream]) this.#pushLine({ stream, text: this.#partial[stream] });
      this.#partial[stream] = '';
    }
  }

  #pushLine(line: OutputLine): void {
    this.#lines.push(line);
    if (this.#lines.length > 2000) this.#lines.splice(0, this.#lines.length - 1000);
    this.emit('line', line);
  }
}

/** Starts a tracked child process; throws at once if the command cannot be spawned. */
export function spawnProcess(options: SpawnOptions): ManagedProcess {
  return new ManagedProcess(options);
}

/** Every process started through this module that has not exited yet. */
export const trackedProcesses = new Set<ManagedProcess>();

/**
 * Stops every tracked process by PID, in parallel. For node:test hooks:
 * `after(stopAllProcesses)` or `t.after(stopAllProcesses)`. Rejects, after trying all, if one
 * would not die.
 */
export async function stopAllProcesses(): Promise<void> {
  const results = await Promise.allSettled([...trackedProcesses].map((p) => p.stop()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((f) => f.reason),
      `${failures.length} process(es) could not be stopped`,
    );
  }
}

/** Registers stopAllProcesses with a node:test hook: `cleanupProcessesWith(after)`. */
export function cleanupProcessesWith(hook: (fn: () => Promise<void>) => void): void {
  hook(stopAllProcesses);
}

function killAllNow(): void {
  for (const p of trackedProcesses) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

// A test file that ends (or is killed by the runner) without its hooks must not leave peers
// behind: 'exit' handlers run synchronously, so the only thing possible there is SIGKILL by PID.
process.on('exit', killAllNow);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllNow();
    // Die of the same signal, as if nobody had listened.
    process.kill(process.pid, signal);
  });
}

function trimHead(text: string, max: number): string {
  return text.length > max ? text.slice(text.length - max) : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

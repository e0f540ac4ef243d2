/**
 * Runs SIPp for a bench: one load run of a scenario at a fixed rate, pinned to a core,
 * bounded in time, and read back from its -trace_stat CSV.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchProcess, cpuSeconds, LOOPBACK, sleep, startProcess } from './proc.js';

export interface SippRunOptions {
  scenario: string;
  remote: string;
  localPort: number;
  /** Injection file (-inf). */
  injection?: string;
  rate: number;
  calls: number;
  /** Most calls open at once (-l). */
  limit: number;
  /** Directory for the statistics files. */
  workDir: string;
  label: string;
  core?: number;
  /** Hard bound on the run; SIPp is stopped by PID after it. */
  timeoutMs: number;
  /** Called with SIPp's process once it started (so a caller's finally can stop it). */
  onStart?(proc: BenchProcess): void;
  /** The scenario's response-time (rtd) name read into meanResponseMs/p99BucketMs; default "reg". */
  rtd?: string;
  /** More SIPp arguments (e.g. -key name value, -trace_msg). */
  extraArgs?: readonly string[];
  /** SIPp's working directory, where the logs it names itself go (e.g. -trace_shortmsg). */
  cwd?: string;
}

export interface SippRunResult {
  successful: number;
  failed: number;
  retransmissions: number;
  /** Seconds from SIPp's start to its last statistics dump (at the end of the run). */
  elapsedS: number;
  /** Wall seconds from start to exit, as seen from here. */
  wallS: number;
  /** Mean of the scenario's response time (rtd, "reg" by default: first REGISTER to the 200), ms. */
  meanResponseMs: number;
  /** Upper bound of the response-time bucket holding the 99th percentile, ms (Infinity: ≥ 500). */
  p99BucketMs: number;
  /** SIPp's own CPU seconds (its last reading before it exited). */
  clientCpuS: number;
  exit: number | null;
}

/** "HH:MM:SS:uuuuuu" or "HH:MM:SS" → seconds. */
function sippDuration(text: string | undefined): number {
  const parts = (text ?? '').split(':').map(Number);
  if (parts.length < 3 || parts.some((p) => !Number.isFinite(p))) return Number.NaN;
  const [h = 0, m = 0, s = 0, us = 0] = parts;
  return h * 3600 + m * 60 + s + us / 1e6;
}

/** "2026-11-25\t04:05:43.590434\t1795579543.590434" → the epoch seconds at the end. */
function epoch(text: string | undefined): number {
  return Number((text ?? '').split('\t').pop());
}

export async function runSipp(o: SippRunOptions): Promise<SippRunResult> {
  const statFile = path.join(o.workDir, `${o.label}.stat.csv`);
  const args = [
    o.remote,
    '-sf',
    o.scenario,
    ...(o.injection ? ['-inf', o.injection] : []),
    '-i',
    LOOPBACK,
    '-p',
    String(o.localPort),
    '-t',
    'u1',
    '-r',
    String(o.rate),
    '-m',
    String(o.calls),
    '-l',
    String(o.limit),
    '-recv_timeout',
    '5000',
    '-timeout',
    `${Math.ceil(o.timeoutMs / 1000)}s`,
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    '-nostdin',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    '-trace_err',
    '-error_file',
    path.join(o.workDir, `${o.label}.errors.log`),
    ...(o.extraArgs ?? []),
  ];
  const started = performance.now();
  const proc = startProcess({ name: `sipp-${o.label}`, command: 'sipp', args, core: o.core, cwd: o.cwd });
  o.onStart?.(proc);
  let clientCpuS = 0;
  let exit: number | null = null;
  try {
    const deadline = started + o.timeoutMs + 5000;
    while (proc.isRunning() && performance.now() < deadline) {
      try {
        clientCpuS = cpuSeconds(proc.pid);
      } catch {
        // Gone between the check and the read.
      }
      await Promise.race([proc.exited, sleep(200)]);
    }
    if (proc.isRunning()) throw new Error(`SIPp (${o.label}) did not finish in ${o.timeoutMs} ms`);
    exit = (await proc.exited).code;
  } finally {
    await proc.stop(2000);
  }
  const wallS = (performance.now() - started) / 1000;
  const csv = readFileSync(statFile, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const header = csv[0]?.split(';') ?? [];
  const last = csv[csv.length - 1]?.split(';') ?? [];
  const col = (name: string) => last[header.indexOf(name)];
  const num = (name: string) => Number(col(name) ?? Number.NaN);
  const rtd = o.rtd ?? 'reg';
  const bucketNames = header.filter((h) => h.startsWith(`ResponseTimeRepartition${rtd}_`));
  const buckets = bucketNames.map((h) => ({
    upper: h.includes('>=') ? Number.POSITIVE_INFINITY : Number(h.replace(/.*_</, '')),
    count: num(h),
  }));
  const total = buckets.reduce((s, b) => s + b.count, 0);
  let cumulative = 0;
  let p99BucketMs = Number.NaN;
  for (const b of buckets) {
    cumulative += b.count;
    if (total > 0 && cumulative >= 0.99 * total) {
      p99BucketMs = b.upper;
      break;
    }
  }
  if (csv.length < 2) throw new Error(`SIPp (${o.label}) wrote no statistics (exit ${exit}): ${proc.tail()}`);
  return {
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retransmissions: num('Retransmissions(C)'),
    elapsedS: epoch(col('CurrentTime')) - epoch(col('StartTime')),
    wallS,
    meanResponseMs: sippDuration(col(`ResponseTime${rtd}(C)`)) * 1000,
    p99BucketMs,
    clientCpuS,
    exit,
  };
}

/**
 * Helpers for the call benchmarks (bench/calls.bench.ts): the directory of twinned users
 * and the SIPp injection files that call and register them, SIPp user agents left running
 * in the background (with their per-message counts), the INVITE arrival times read from
 * SIPp's message logs, the CPU time of a process tree and the heap of a server started
 * with bench/support/heap-probe.mjs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { DirectoryInput } from '../../src/config/index.js';
import { benchPassword } from './directory.js';
import { type BenchProcess, CLK_TCK, cpuSeconds, LOOPBACK, sleep, startProcess } from './proc.js';

/** A block of consecutive extensions sharing one mobile dial delay. */
export interface UserBlock {
  first: number;
  count: number;
  mobileDialDelay: number;
}

export const extensionsOf = (block: UserBlock): string[] =>
  Array.from({ length: block.count }, (_, i) => String(block.first + i));

/** The DDI the carrier dials to reach `extension` (one incoming route per user). */
export const ddiOf = (extension: string): string => `441632${extension}`;
/** The mobile number twinned to `extension`, as the carrier receives it (no outside-line prefix). */
export const mobileOf = (extension: string): string => `07${extension}`;
export const extensionOfDdi = (ddi: string): string | undefined =>
  ddi.startsWith('441632') ? ddi.slice(6) : undefined;
export const extensionOfMobile = (number: string): string | undefined =>
  number.startsWith('07') ? number.slice(2) : undefined;

/**
 * Every user twinned to a mobile (mobile twinning, reached through the carrier trunk), no
 * answer time long enough for calls that stay alerting during a bench, qualify at its
 * longest interval so that OPTIONS probes stay out of the figures. Two carrier trunks on
 * loopback, told apart by port: `carrier-in` is the caller (SIPp UAC), `carrier-out` (the
 * outgoing trunk) reaches the mobiles (a SIPp UAS).
 */
export function callsDirectoryYaml(options: {
  blocks: readonly UserBlock[];
  callerPort: number;
  mobilePort: number;
  noAnswerTime: number;
}): string {
  const users = options.blocks.flatMap((block) =>
    extensionsOf(block).map((extension) => ({
      extension,
      name: `User ${extension}`,
      password: benchPassword(extension),
      licence: 'mobile-worker',
      noAnswerTime: options.noAnswerTime,
      twinningMode: 'mobile',
      mobility: {
        mobilityFeatures: true,
        mobileTwinning: true,
        twinnedMobileNumber: `9${mobileOf(extension)}`,
        mobileDialDelay: block.mobileDialDelay,
      },
    })),
  );
  const directory = {
    system: {
      timeZone: 'Europe/London',
      domain: 'twinline',
      realm: 'twinline',
      outsideLinePrefix: '9',
      outgoingTrunk: 'carrier-out',
      qualify: { intervalSeconds: 3600 },
    },
    users,
    trunks: [
      { name: 'carrier-out', kind: 'carrier', host: LOOPBACK, port: options.mobilePort, transport: 'udp' },
      { name: 'carrier-in', kind: 'carrier', host: LOOPBACK, port: options.callerPort, transport: 'udp' },
    ],
    incomingRoutes: users.map((u) => ({
      trunk: 'carrier-in',
      ddi: ddiOf(u.extension),
      destination: u.extension,
    })),
  } as DirectoryInput;
  return `# call benchmark directory: ${users.length} twinned users\n${stringify(directory, { lineWidth: 0, version: '1.2' })}`;
}

/** SIPp injection file for bench/sipp/register-many.xml: extension; password; [authentication …]. */
export function registerCsv(extensions: readonly string[]): string {
  const lines = extensions.map((e) => {
    const password = benchPassword(e);
    return `${e};${password};[authentication username=${e} password=${password}]`;
  });
  return `SEQUENTIAL\n${lines.join('\n')}\n`;
}

/** SIPp injection file for bench/sipp/call-caller*.xml: DDI; caller number. */
export function callerCsv(extensions: readonly string[]): string {
  return `SEQUENTIAL\n${extensions.map((e) => `${ddiOf(e)};4416149${e}`).join('\n')}\n`;
}

/** True when something is bound to UDP `port` on 127.0.0.1 (/proc/net/udp). */
export function udpBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex) ?? false);
}

export interface SippAgent {
  readonly proc: BenchProcess;
  readonly port: number;
  /** The last row of the -trace_counts CSV (column → number), {} before the first dump. */
  counts(): Record<string, number>;
  /** A count by message, e.g. count('INVITE', 'Recv'), summed over the scenario's steps. */
  count(message: string, what: 'Recv' | 'Sent' | 'Unexp' | 'Retrans' | 'Timeout'): number;
  /** Every message sent and received so far (-trace_shortmsg). */
  messages(): ShortMessage[];
}

/** One line of SIPp's -trace_shortmsg log. */
export interface ShortMessage {
  /** Epoch milliseconds (µs resolution) when SIPp sent the message or read it from its socket. */
  atMs: number;
  direction: 'sent' | 'received';
  callId: string;
  /** "1 INVITE", "2 BYE"… */
  cseq: string;
  firstLine: string;
}

/** Reads the -trace_shortmsg log(s) of a SIPp run from its working directory. */
export function shortMessages(dir: string): ShortMessage[] {
  const out: ShortMessage[] = [];
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('_shortmessages.log'))) {
    for (const line of readFileSync(path.join(dir, file), 'latin1').split('\n')) {
      const [, , epoch, dir, callId, cseq, firstLine] = line.split('\t');
      if (!epoch || !callId || firstLine === undefined) continue;
      out.push({
        atMs: Number(epoch) * 1000,
        direction: dir === 'S' ? 'sent' : 'received',
        callId,
        cseq: (cseq ?? '').replace(/^CSeq:\s*/, ''),
        firstLine: firstLine.trim(),
      });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** The first time an INVITE was sent or received, by Request-URI user (retransmissions keep the first). */
export function firstInvites(
  messages: readonly ShortMessage[],
  direction: ShortMessage['direction'],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages) {
    if (m.direction !== direction) continue;
    const user = /^INVITE sip:([^@\s;>]+)@/.exec(m.firstLine)?.[1];
    if (user && !out.has(user)) out.set(user, m.atMs);
  }
  return out;
}

/**
 * Calls (by Call-ID) whose first INVITE was received at or after `sinceMs` (and before
 * `untilMs`) and that never received a CANCEL: left ringing.
 */
export function uncancelled(
  messages: readonly ShortMessage[],
  sinceMs = 0,
  untilMs = Number.POSITIVE_INFINITY,
): number {
  const invited = new Map<string, number>();
  const cancelled = new Set<string>();
  for (const m of messages) {
    if (m.direction !== 'received') continue;
    if (m.firstLine.startsWith('INVITE ') && !invited.has(m.callId)) invited.set(m.callId, m.atMs);
    else if (m.firstLine.startsWith('CANCEL ')) cancelled.add(m.callId);
  }
  let n = 0;
  for (const [callId, at] of invited) if (at >= sinceMs && at < untilMs && !cancelled.has(callId)) n++;
  return n;
}

/**
 * A SIPp user agent (a scenario that starts by receiving) on `port`, in the background,
 * pinned to `core`, until stopped by PID. It dumps its message counts every second and
 * logs every message in short form (-trace_shortmsg).
 */
export async function startAgent(o: {
  label: string;
  scenario: string;
  port: number;
  workDir: string;
  core?: number;
  keys?: Record<string, string | number>;
  timeoutS: number;
}): Promise<SippAgent> {
  const dir = path.join(o.workDir, o.label);
  mkdirSync(dir, { recursive: true });
  const args = [
    '-sf',
    o.scenario,
    '-i',
    LOOPBACK,
    '-p',
    String(o.port),
    '-t',
    'u1',
    '-nostdin',
    '-timeout',
    `${o.timeoutS}s`,
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    '-buff_size',
    String(8 * 1024 * 1024),
    '-trace_counts',
    '-fd',
    '1',
    '-trace_shortmsg',
    '-trace_err',
    '-error_file',
    path.join(dir, 'errors.log'),
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
  ];
  const proc = startProcess({ name: `sipp-${o.label}`, command: 'sipp', args, cwd: dir, core: o.core });
  const deadline = performance.now() + 5000;
  while (!udpBound(o.port)) {
    if (!proc.isRunning()) throw new Error(`SIPp ${o.label} exited before binding ${o.port}: ${proc.tail()}`);
    if (performance.now() > deadline) {
      await proc.stop(1000);
      throw new Error(`SIPp ${o.label} did not bind UDP ${o.port}`);
    }
    await sleep(20);
  }
  const counts = (): Record<string, number> => {
    const file = readdirSync(dir).find((f) => f.endsWith('_counts.csv'));
    if (!file) return {};
    const lines = readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    if (lines.length < 2) return {};
    const header = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    return Object.fromEntries(header.map((h, i) => [h, Number(last[i])]));
  };
  return {
    proc,
    port: o.port,
    counts,
    count(message, what) {
      let n = 0;
      for (const [k, v] of Object.entries(counts())) {
        if (new RegExp(`^\\d+_${message}_${what}$`).test(k) && Number.isFinite(v)) n += v;
      }
      return n;
    },
    messages: () => shortMessages(dir),
  };
}

/** Nearest-rank percentile (p in 0–100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** CPU seconds (user + system) of a process and its direct children (Kamailio's workers). */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) !== pid) continue;
      total += (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

export interface HeapSample {
  at: number;
  gc: boolean;
  gcMs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Asks a server started with heap-probe.mjs for its heap after a full GC (SIGUSR2). */
export async function heapSample(pid: number, file: string, timeoutMs = 15_000): Promise<HeapSample> {
  const asked = Date.now();
  process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    await sleep(50);
    try {
      const sample = JSON.parse(readFileSync(file, 'utf8')) as HeapSample;
      if (sample.at >= asked) return sample;
    } catch {
      // Not written yet.
    }
  }
  throw new Error(`no heap sample from process ${pid} in ${timeoutMs} ms`);
}

/** Busy CPU seconds of one core since boot (/proc/stat: all but idle and iowait). */
export function coreBusySeconds(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  const f = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/** Datagrams each local UDP port's socket dropped since it was opened (/proc/net/udp "drops"). */
export function udpDropsByPort(): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const drops = Number(cols[cols.length - 1]);
    if (!local || !Number.isFinite(drops)) continue;
    const port = Number.parseInt(local.split(':')[1] ?? '', 16);
    out.set(port, (out.get(port) ?? 0) + drops);
  }
  return out;
}

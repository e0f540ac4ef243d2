/**
 * Call benchmarks: twinned calls through the real `twinline start` process, side by side
 * with Kamailio forking the same calls, driven by the same SIPp load.
 *
 *   Set-up. 11,000 users, each twinned to a mobile reached through the carrier trunk:
 *   20000–29999 with mobileDialDelay 0, 30000–30999 with mobileDialDelay 2 s. The carrier
 *   (SIPp, recognised by its address and port, no authentication) calls each user's DDI.
 *   Every desk phone registers with digest from one SIPp port, where the desk SIPp UAS
 *   then runs; the mobiles are one SIPp UAS on the outgoing trunk's port. twinline runs
 *   pinned to core 0 (taskset), every SIPp on core 1. Log level warn.
 *
 *   1. Twinned call set-up rate: the desk answers after 100 ms, the mobile (dialled at
 *      once) rings until CANCELled, the caller hangs up 1 s after the answer. The offered
 *      rate is ramped (STEP_SECONDS per step; an unclean step is run once more, since
 *      other tests share the machine); the figure is the highest clean rate — every call
 *      successful, none late, no SIP retransmission (each request answered within
 *      T1 = 500 ms) and every mobile leg CANCELled (by Call-ID, from the mobile SIPp's
 *      -trace_shortmsg log) — with the server's CPU per call there.
 *   2. Latency at half that rate (on a restarted server, after a 2 s warm-up): INVITE sent
 *      by the caller → INVITE received by the desk phone, from the two SIPp
 *      -trace_shortmsg logs (same host clock, µs stamps; each stamp is taken when SIPp
 *      sends or reads the message, so it includes SIPp's own scheduling).
 *   3. Timer precision: 1,000 calls to users with mobileDialDelay 2 s, set up at
 *      TIMER_RATE/s, nobody answering: mobile INVITE arrival − desk INVITE arrival − 2 s.
 *   4. Memory: 10,000 calls alerting at once (desk and mobile ringing, nobody answering);
 *      RSS and V8 heap (after a full GC, read through bench/support/heap-probe.mjs) against
 *      the idle server just before, divided by 10,000.
 *   5. Kamailio (Debian package), transaction-stateful, one worker, f_malloc, pinned to
 *      core 0: every INVITE forked in parallel to the same two SIPp UAS; same ramp, same
 *      latency measurement (at twinline's latency rate). Skipped with a message when it
 *      cannot be installed.
 *
 * The twinline command is bin/twinline.js (dist, after `npm run build`) when dist/ exists,
 * otherwise src through tsx; TWINLINE_BENCH_ENTRY names another compiled cli/run.js.
 * CALLS_BENCH_PROFILE_RATE=<calls/s> instead runs twinline under `node --cpu-prof` at that
 * rate for 10 s and prints the top functions (no figures are recorded).
 * Bounded to 7 minutes (about 6 on a quiet machine); every process is stopped by PID.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  callerCsv,
  callsDirectoryYaml,
  coreBusySeconds,
  extensionOfDdi,
  extensionOfMobile,
  extensionsOf,
  firstInvites,
  heapSample,
  percentile,
  registerCsv,
  type SippAgent,
  shortMessages,
  startAgent,
  treeCpuSeconds,
  type UserBlock,
  udpBound,
  udpDropsByPort,
  uncancelled,
} from './support/calls.js';
import { summarizeProfile } from './support/cpuprofile.js';
import {
  type BenchProcess,
  cpuSeconds,
  freePort,
  hasCommand,
  LOOPBACK,
  rssKiB,
  sleep,
  startProcess,
  TASKSET,
  udpReceiveBufferErrors,
} from './support/proc.js';
import { runSipp, type SippRunResult } from './support/sipp.js';
import { twinlineEntry, waitForSip } from './support/twinline.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
  key?: string;
}

const MAIN: UserBlock = { first: 20_000, count: 10_000, mobileDialDelay: 0 };
const TIMER: UserBlock = { first: 30_000, count: 1_000, mobileDialDelay: 2 };
/** Offered rates, calls per second; each ramp stops at its first unclean step. */
const RAMP = [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1600, 2000, 2400, 3200];
const STEP_SECONDS = 5;
/** SIPp's socket buffers (-buff_size): the kernel caps them at net.core.rmem_max/wmem_max. */
const SIPP_BUFFER = ['-buff_size', String(8 * 1024 * 1024)];
const RING_MS = 100;
const HOLD_MS = 1000;
const TIMER_RATE = 500;
const MEMORY_CALLS = 10_000;
const MEMORY_RATE = Number(process.env.CALLS_BENCH_MEMORY_RATE ?? 500);
const LATENCY_SECONDS = 5;
const BENCH_BOUND_MS = 420_000;
const SERVER_CORE = 0;
const LOAD_CORE = 1;

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const sippDir = fileURLToPath(new URL('./sipp/', import.meta.url));
const scenario = {
  register: path.join(sippDir, 'register-many.xml'),
  caller: path.join(sippDir, 'call-caller.xml'),
  callerCancel: path.join(sippDir, 'call-caller-cancel.xml'),
  deskAnswer: path.join(sippDir, 'desk-answer.xml'),
  neverAnswer: path.join(sippDir, 'never-answer.xml'),
};
const heapProbe = pathToFileURL(fileURLToPath(new URL('./support/heap-probe.mjs', import.meta.url))).href;
const kamailioTemplate = fileURLToPath(new URL('./kamailio/fork.cfg.tpl', import.meta.url));

const log = (text: string) => process.stderr.write(`calls: ${text}\n`);
const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Polls until `done()` or the bound; returns whether it got there. */
async function until(done: () => boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

interface Step {
  offered: number;
  sipp: SippRunResult;
  /** Server CPU seconds during the step (all its processes). */
  serverCpuS: number;
  cpuPerCallUs: number;
  util: number;
  /** Mobile legs INVITEd but not CANCELled once the step drained. */
  leftRinging: number;
  /** The three SIPp processes' (caller, desk, mobile) share of their core. */
  loadUtil: number;
  /** UDP datagrams dropped on a full receive buffer during the step (host-wide counter). */
  udpDrops: number;
  /** …of which by the server's socket, the desk's, the mobile's (the rest: the caller's or others'). */
  drops: { server: number; desk: number; mobile: number };
  /** CPU seconds the server's core spent on other processes during the step (other tests). */
  foreignCpuS: number;
  clean: boolean;
}

function describe(target: string, s: Step): string {
  return (
    `${target} ${String(s.offered).padStart(5)}/s: ${s.sipp.successful} ok, ${s.sipp.failed} failed, ` +
    `${s.sipp.retransmissions} retrans, ${s.sipp.elapsedS.toFixed(1)} s, ` +
    `INVITE→180 mean ${s.sipp.meanResponseMs.toFixed(1)} ms (p99 < ${s.sipp.p99BucketMs} ms), ` +
    `server ${s.cpuPerCallUs.toFixed(0)} µs CPU/call (${(s.util * 100).toFixed(0)}% of a core), ` +
    `SIPp ${(s.loadUtil * 100).toFixed(0)}% of its core, other processes ${s.foreignCpuS.toFixed(2)} CPU s on the server's core, ` +
    `${s.udpDrops} UDP drops (server ${s.drops.server}, desk ${s.drops.desk}, mobile ${s.drops.mobile}), ` +
    `mobiles left ringing ${s.leftRinging}` +
    `${s.clean ? '' : '  ← not clean'}`
  );
}

interface Target {
  name: 'twinline' | 'kamailio';
  remote: string;
  serverPort: number;
  deskPort: number;
  mobilePort: number;
  cpu(): number;
  isRunning(): boolean;
  tail(): string;
}

interface LoadContext {
  work: string;
  callerPort: number;
  callerCsvFile: string;
  running: Set<BenchProcess>;
  benchStart: number;
}

function timeLeft(ctx: LoadContext, needMs: number): void {
  if (performance.now() - ctx.benchStart > BENCH_BOUND_MS - needMs)
    throw new Error('calls bench ran out of time');
}

/** One step of the ramp: `offered` calls/s for STEP_SECONDS, then drained. */
async function rampStep(
  ctx: LoadContext,
  target: Target,
  offered: number,
  desk: SippAgent,
  mobile: SippAgent,
): Promise<Step> {
  const calls = offered * STEP_SECONDS;
  const since = Date.now();
  const ringing = () => uncancelled(mobile.messages(), since);
  const cpuBefore = target.cpu();
  const coreBefore = coreBusySeconds(SERVER_CORE);
  const agentsBefore = cpuSeconds(desk.proc.pid) + cpuSeconds(mobile.proc.pid);
  const dropsBefore = udpReceiveBufferErrors();
  const portDropsBefore = udpDropsByPort();
  const sipp = await runSipp({
    scenario: scenario.caller,
    remote: target.remote,
    localPort: ctx.callerPort,
    injection: ctx.callerCsvFile,
    rate: offered,
    calls,
    limit: Math.max(100, offered * 3),
    workDir: ctx.work,
    label: `${target.name}-ramp-${offered}-${performance.now().toFixed(0)}`,
    core: LOAD_CORE,
    timeoutMs: STEP_SECONDS * 1000 + 20_000,
    rtd: 'ring',
    extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', String(HOLD_MS)],
    onStart: (p) => ctx.running.add(p),
  });
  const serverCpuS = target.cpu() - cpuBefore;
  const foreignCpuS = Math.max(0, coreBusySeconds(SERVER_CORE) - coreBefore - serverCpuS);
  const agentsCpuS = cpuSeconds(desk.proc.pid) + cpuSeconds(mobile.proc.pid) - agentsBefore;
  const udpDrops = udpReceiveBufferErrors() - dropsBefore;
  const portDrops = udpDropsByPort();
  const dropsOf = (port: number) => (portDrops.get(port) ?? 0) - (portDropsBefore.get(port) ?? 0);
  if (!target.isRunning()) throw new Error(`${target.name} exited during the ramp:\n${target.tail()}`);
  // The mobile legs of the step's calls are all CANCELled once the step drains.
  await until(() => ringing() === 0, 5000, 500);
  const leftRinging = ringing();
  // Late: the calls could not be started at the offered rate (the -l limit was hit).
  const onTime = sipp.elapsedS <= STEP_SECONDS + (RING_MS + HOLD_MS) / 1000 + 2;
  return {
    offered,
    sipp,
    serverCpuS,
    cpuPerCallUs: (serverCpuS / Math.max(1, sipp.successful)) * 1e6,
    util: serverCpuS / Math.max(0.001, sipp.elapsedS),
    leftRinging,
    loadUtil: (sipp.clientCpuS + agentsCpuS) / Math.max(0.001, sipp.elapsedS),
    udpDrops,
    drops: { server: dropsOf(target.serverPort), desk: dropsOf(desk.port), mobile: dropsOf(mobile.port) },
    foreignCpuS,
    // Clean: every call set up and ended, on time, no SIP retransmission (every request
    // answered within T1 = 500 ms), every mobile leg CANCELled.
    clean:
      sipp.failed === 0 &&
      sipp.successful === calls &&
      sipp.retransmissions === 0 &&
      onTime &&
      leftRinging === 0,
  };
}

/** The ramp of answered twinned calls against one target. */
async function ramp(ctx: LoadContext, target: Target): Promise<{ steps: Step[]; best: Step | undefined }> {
  const desk = await startAgent({
    label: `${target.name}-ramp-desk`,
    scenario: scenario.deskAnswer,
    port: target.deskPort,
    workDir: ctx.work,
    core: LOAD_CORE,
    keys: { ring_ms: RING_MS },
    timeoutS: 300,
  });
  ctx.running.add(desk.proc);
  const mobile = await startAgent({
    label: `${target.name}-ramp-mobile`,
    scenario: scenario.neverAnswer,
    port: target.mobilePort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 300,
  });
  ctx.running.add(mobile.proc);
  const steps: Step[] = [];
  try {
    rates: for (const offered of RAMP) {
      // Other tests share the machine: an unclean step is run once more before the ramp stops.
      for (let attempt = 1; attempt <= 2; attempt++) {
        timeLeft(ctx, STEP_SECONDS * 1000 + 30_000);
        const step = await rampStep(ctx, target, offered, desk, mobile);
        steps.push(step);
        log(`${describe(target.name, step)}${!step.clean && attempt === 1 ? ' (run again)' : ''}`);
        if (step.clean) continue rates;
        await sleep(3000);
      }
      break;
    }
  } finally {
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
  }
  const clean = steps.filter((s) => s.clean);
  return { steps, best: clean[clean.length - 1] };
}

interface Latency {
  rate: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  ok: boolean;
}

/** INVITE sent by the caller → INVITE received by the desk phone, at `rate`. */
async function latency(
  ctx: LoadContext,
  target: Target,
  rate: number,
  what = 'latency',
  seconds = LATENCY_SECONDS,
): Promise<Latency> {
  timeLeft(ctx, seconds * 1000 + 30_000);
  const desk = await startAgent({
    label: `${target.name}-${what}-desk`,
    scenario: scenario.deskAnswer,
    port: target.deskPort,
    workDir: ctx.work,
    core: LOAD_CORE,
    keys: { ring_ms: RING_MS },
    timeoutS: 120,
  });
  ctx.running.add(desk.proc);
  const mobile = await startAgent({
    label: `${target.name}-${what}-mobile`,
    scenario: scenario.neverAnswer,
    port: target.mobilePort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 120,
  });
  ctx.running.add(mobile.proc);
  const callerDir = path.join(ctx.work, `${target.name}-${what}-caller`);
  mkdirSync(callerDir, { recursive: true });
  let sipp: SippRunResult;
  try {
    sipp = await runSipp({
      scenario: scenario.caller,
      remote: target.remote,
      localPort: ctx.callerPort,
      injection: ctx.callerCsvFile,
      rate,
      calls: rate * seconds,
      limit: Math.max(100, rate * 3),
      workDir: ctx.work,
      label: `${target.name}-${what}`,
      core: LOAD_CORE,
      timeoutMs: seconds * 1000 + 20_000,
      rtd: 'ring',
      extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', String(HOLD_MS), '-trace_shortmsg'],
      cwd: callerDir,
      onStart: (p) => ctx.running.add(p),
    });
  } finally {
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
  }
  const sent = firstInvites(shortMessages(callerDir), 'sent');
  const received = firstInvites(desk.messages(), 'received');
  const byExtension = new Map<string, number>();
  for (const [user, at] of received) byExtension.set(user, at);
  const deltas: number[] = [];
  for (const [ddi, at] of sent) {
    const ext = extensionOfDdi(ddi);
    // Kamailio keeps the dialled DDI as the user part; twinline dials the desk's contact.
    const arrived = byExtension.get(ext ?? '') ?? received.get(ddi);
    if (arrived !== undefined) deltas.push(arrived - at);
  }
  const result = {
    rate,
    samples: deltas.length,
    p50: percentile(deltas, 50),
    p99: percentile(deltas, 99),
    max: Math.max(...deltas),
    ok: sipp.failed === 0,
  };
  log(
    `${target.name} ${what} at ${rate}/s: INVITE in→out p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
      `max ${result.max.toFixed(2)} ms over ${deltas.length} calls (${sipp.successful} ok, ${sipp.failed} failed)`,
  );
  return result;
}

/** Kamailio side by side: the same ramp and latency. Undefined when it is not available. */
async function kamailioColumn(
  ctx: LoadContext,
  latencyRate: number,
): Promise<{ best?: Step; steps: Step[]; latency?: Latency } | undefined> {
  if (!hasCommand('kamailio', ['-v'])) {
    log('Kamailio column skipped: `kamailio` is not installed (apt-get install -y kamailio)');
    return undefined;
  }
  const mpath = ['/usr/lib/x86_64-linux-gnu/kamailio/modules/', '/usr/lib/kamailio/modules/'].find((d) =>
    existsSync(path.join(d, 'tm.so')),
  );
  if (!mpath) {
    log('Kamailio column skipped: its module directory (tm.so) was not found');
    return undefined;
  }
  const port = await freePort();
  const deskPort = await freePort();
  const mobilePort = await freePort();
  const cfg = path.join(ctx.work, 'kamailio.cfg');
  writeFileSync(
    cfg,
    readFileSync(kamailioTemplate, 'utf8')
      .replaceAll('@LISTEN_PORT@', String(port))
      .replaceAll('@DESK@', `${LOOPBACK}:${deskPort}`)
      .replaceAll('@MOBILE@', `${LOOPBACK}:${mobilePort}`)
      .replaceAll('@MPATH@', mpath),
  );
  const runDir = path.join(ctx.work, 'kamailio-run');
  mkdirSync(runDir, { recursive: true });
  const kamailio = startProcess({
    name: 'kamailio',
    command: 'kamailio',
    args: ['-f', cfg, '-DD', '-E', '-m', '256', '-x', 'fm', '-X', 'fm', '-Y', runDir, '-w', runDir],
    core: SERVER_CORE,
    logFile: path.join(ctx.work, 'kamailio.log'),
  });
  ctx.running.add(kamailio);
  try {
    if (!(await until(() => udpBound(port) || !kamailio.isRunning(), 10_000, 50)) || !kamailio.isRunning()) {
      throw new Error(`kamailio did not start:\n${kamailio.tail()}`);
    }
    await sleep(500);
    const target: Target = {
      name: 'kamailio',
      remote: `${LOOPBACK}:${port}`,
      serverPort: port,
      deskPort,
      mobilePort,
      cpu: () => treeCpuSeconds(kamailio.pid),
      isRunning: () => kamailio.isRunning(),
      tail: () => kamailio.tail(),
    };
    const { steps, best } = await ramp(ctx, target);
    // At the rate twinline's latency was measured at: the same offered load for both.
    const lat = best ? await latency(ctx, target, Math.min(latencyRate, best.offered)) : undefined;
    return { steps, best, latency: lat };
  } finally {
    await kamailio.stop(5000);
  }
}

export async function run(): Promise<Figure[]> {
  if (!hasCommand('sipp', ['-v'])) {
    log('skipped: sipp (Debian package sip-tester) is not installed');
    return [];
  }
  if (!TASKSET) log('taskset not found, processes run unpinned');
  const profileRate = Number(process.env.CALLS_BENCH_PROFILE_RATE ?? 0);
  const benchStart = performance.now();
  const work = mkdtempSync(path.join(tmpdir(), 'twinline-bench-calls-'));
  const dataDir = path.join(work, 'data');
  const running = new Set<BenchProcess>();
  const entry = twinlineEntry();
  log(`twinline: ${entry.what}`);
  try {
    const sipPort = await freePort();
    const httpPort = await freePort();
    const callerPort = await freePort();
    const deskPort = await freePort();
    const mobilePort = await freePort();

    // The directory, imported the way an administrator would.
    const yamlFile = path.join(work, 'directory.yaml');
    writeFileSync(
      yamlFile,
      callsDirectoryYaml({ blocks: [MAIN, TIMER], callerPort, mobilePort, noAnswerTime: 300 }),
    );
    const imported = spawnSync(
      process.execPath,
      [...entry.args, 'config', 'import', yamlFile, '--data', dataDir],
      { cwd: repoRoot, encoding: 'utf8', timeout: 90_000 },
    );
    if (imported.status !== 0) {
      throw new Error(`config import failed (${imported.status}): ${imported.stderr}${imported.error ?? ''}`);
    }
    const mainUsers = extensionsOf(MAIN);
    const timerUsers = extensionsOf(TIMER);
    const registerFile = path.join(work, 'register.csv');
    writeFileSync(registerFile, registerCsv([...mainUsers, ...timerUsers]));
    const callerCsvFile = path.join(work, 'callers.csv');
    writeFileSync(callerCsvFile, callerCsv(mainUsers));
    const timerCsvFile = path.join(work, 'timer-callers.csv');
    writeFileSync(timerCsvFile, callerCsv(timerUsers));

    // The server, pinned to core 0, its heap readable on SIGUSR2.
    const heapFile = path.join(work, 'heap.json');
    const profileDir = path.join(work, 'cpu-profile');
    const startTwinline = async (): Promise<BenchProcess> => {
      const proc = startProcess({
        name: 'twinline',
        command: process.execPath,
        args: [
          ...(profileRate > 0 ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--trace-gc'] : []),
          '--expose-gc',
          '--import',
          heapProbe,
          ...entry.args,
          'start',
          '--sip-listen',
          `${LOOPBACK}:${sipPort}`,
          '--http-listen',
          `${LOOPBACK}:${httpPort}`,
          '--data',
          dataDir,
          '--log-level',
          'warn',
        ],
        cwd: repoRoot,
        core: SERVER_CORE,
        logFile: path.join(work, 'twinline.log'),
        env: { TWINLINE_BENCH_HEAP_FILE: heapFile },
      });
      running.add(proc);
      await waitForSip(sipPort, 60_000, proc);
      return proc;
    };
    let server = await startTwinline();
    const remote = `${LOOPBACK}:${sipPort}`;

    // Every desk phone registers from deskPort (where the desk SIPp then listens).
    const registered = await runSipp({
      scenario: scenario.register,
      remote,
      localPort: deskPort,
      injection: registerFile,
      rate: 1000,
      calls: mainUsers.length + timerUsers.length,
      limit: 1000,
      workDir: work,
      label: 'register',
      core: LOAD_CORE,
      timeoutMs: 60_000,
      onStart: (p) => running.add(p),
    });
    if (registered.successful !== mainUsers.length + timerUsers.length) {
      throw new Error(`only ${registered.successful} desk phones registered (${registered.failed} failed)`);
    }
    log(`${registered.successful} desk phones registered in ${registered.elapsedS.toFixed(1)} s`);
    await sleep(1000);

    const ctx: LoadContext = { work, callerPort, callerCsvFile, running, benchStart };
    const twinline: Target = {
      name: 'twinline',
      remote,
      serverPort: sipPort,
      deskPort,
      mobilePort,
      cpu: () => cpuSeconds(server.pid),
      isRunning: () => server.isRunning(),
      tail: () => server.tail(),
    };

    if (profileRate > 0) return await profile(ctx, twinline, server, profileRate, profileDir);

    // Timer precision: 1,000 calls alerting at once, the mobiles dialled 2 s after the desks.
    const timer = await timerPrecision(ctx, twinline, timerCsvFile, timerUsers.length);

    // The ramp, then the latency at half the best clean rate.
    const twin = await ramp(ctx, twinline);
    if (!twin.best) throw new Error('twinline: not even the first step of the ramp was clean');
    // A fresh server (the bindings are kept in its store) for the rest: what the overloaded
    // step left behind must not weigh on the next measurements.
    await server.stop(10_000);
    running.delete(server);
    server = await startTwinline();
    await sleep(2000);
    const latencyRate = Math.max(10, Math.floor(twin.best.offered / 2));
    await latency(ctx, twinline, latencyRate, 'warm-up', 2);
    const twinLatency = await latency(ctx, twinline, latencyRate);

    // Memory: 10,000 calls alerting at once against the idle server.
    const memory = await memoryPerCall(ctx, twinline, server.pid, heapFile);
    await server.stop(5000);
    running.delete(server);

    const kam = await kamailioColumn(ctx, latencyRate);

    const figures: Figure[] = [
      {
        name: 'calls: twinned call set-ups/s, no failure (desk answers, mobile CANCELled; 1 core)',
        value: twin.best.offered,
        unit: 'calls/s',
        key: 'twinnedCps',
      },
      {
        name: 'calls: twinline CPU per twinned call (at that rate)',
        value: round(twin.best.cpuPerCallUs),
        unit: 'µs',
        key: 'cpuUsPerCall',
      },
      {
        name: 'calls: twinline CPU use at that rate',
        value: round(twin.best.util * 100),
        unit: '% of a core',
      },
      {
        name: 'calls: mobile legs left ringing after the clean steps',
        value: twin.steps.filter((s) => s.clean).reduce((n, s) => n + s.leftRinging, 0),
        unit: 'calls',
      },
      {
        name: 'calls: INVITE in→out to the desk, p50 (half the best rate; SIPp message stamps)',
        value: round(twinLatency.p50, 2),
        unit: 'ms',
        key: 'inviteLatencyP50Ms',
      },
      {
        name: 'calls: INVITE in→out to the desk, p99',
        value: round(twinLatency.p99, 2),
        unit: 'ms',
        key: 'inviteLatencyP99Ms',
      },
      {
        name: 'calls: INVITE in→out to the desk, max',
        value: round(twinLatency.max, 2),
        unit: 'ms',
        key: 'inviteLatencyMaxMs',
      },
      {
        name: 'calls: mobile dial delay error p50 (1,000 calls alerting, delay 2 s)',
        value: round(timer.p50, 2),
        unit: 'ms',
        key: 'dialDelayErrorP50Ms',
      },
      { name: 'calls: latency measured at', value: twinLatency.rate, unit: 'calls/s' },
      {
        name: 'calls: mobile dial delay error p99',
        value: round(timer.p99, 2),
        unit: 'ms',
        key: 'dialDelayErrorP99Ms',
      },
      { name: 'calls: mobile dial delay error max', value: round(timer.max, 2), unit: 'ms' },
      {
        name: 'calls: V8 heap per alerting call (10k alerting, after a full GC)',
        value: round(memory.heapPerCallKiB, 2),
        unit: 'KiB',
        key: 'heapPerCallKiB',
      },
      {
        name: 'calls: RSS per alerting call',
        value: round(memory.rssPerCallKiB, 2),
        unit: 'KiB',
        key: 'rssPerCallKiB',
      },
      {
        name: 'calls: twinline RSS idle (11k users registered)',
        value: round(memory.idleRssKiB / 1024),
        unit: 'MiB',
      },
    ];
    if (kam?.best) {
      figures.push(
        {
          name: 'calls: Kamailio forked call set-ups/s, no failure (same load; 1 core)',
          value: kam.best.offered,
          unit: 'calls/s',
          key: 'kamailioCps',
        },
        {
          name: 'calls: Kamailio CPU per forked call (at that rate)',
          value: round(kam.best.cpuPerCallUs),
          unit: 'µs',
          key: 'kamailioCpuUsPerCall',
        },
        {
          name: 'calls: Kamailio CPU use at that rate',
          value: round(kam.best.util * 100),
          unit: '% of a core',
        },
        {
          name: 'calls: ratio twinline / Kamailio set-up rate',
          value: round(twin.best.offered / kam.best.offered, 3),
          unit: '×',
          key: 'ratio',
        },
        {
          name: 'calls: ratio twinline / Kamailio CPU per call',
          value: round(twin.best.cpuPerCallUs / kam.best.cpuPerCallUs, 1),
          unit: '×',
        },
      );
      const lastKam = kam.steps[kam.steps.length - 1];
      if (lastKam?.clean) {
        log(
          `Kamailio was clean up to the last step of the ramp (${lastKam.offered}/s): its rate is a lower ` +
            'bound, set by the ramp and the load generator on one core, not by Kamailio',
        );
      }
      if (kam.latency) {
        figures.push(
          {
            name: 'calls: Kamailio INVITE in→out, p50 (same rate as twinline)',
            value: round(kam.latency.p50, 2),
            unit: 'ms',
            key: 'kamailioInviteLatencyP50Ms',
          },
          {
            name: 'calls: Kamailio INVITE in→out, p99',
            value: round(kam.latency.p99, 2),
            unit: 'ms',
            key: 'kamailioInviteLatencyP99Ms',
          },
        );
      }
    } else if (kam) {
      log('Kamailio: not even the first step of the ramp was clean');
    }
    return figures;
  } finally {
    for (const p of running) await p.stop(5000).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** 1,000 calls alerting, desks dialled at once and mobiles 2 s later: the delay's error. */
async function timerPrecision(
  ctx: LoadContext,
  target: Target,
  csvFile: string,
  calls: number,
): Promise<{ samples: number; p50: number; p99: number; max: number }> {
  timeLeft(ctx, 60_000);
  const desk = await startAgent({
    label: 'timer-desk',
    scenario: scenario.neverAnswer,
    port: target.deskPort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 120,
  });
  ctx.running.add(desk.proc);
  const mobile = await startAgent({
    label: 'timer-mobile',
    scenario: scenario.neverAnswer,
    port: target.mobilePort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 120,
  });
  ctx.running.add(mobile.proc);
  const setupMs = (calls / TIMER_RATE) * 1000;
  let sipp: SippRunResult;
  try {
    sipp = await runSipp({
      scenario: scenario.callerCancel,
      remote: target.remote,
      localPort: ctx.callerPort,
      injection: csvFile,
      rate: TIMER_RATE,
      calls,
      limit: calls,
      workDir: ctx.work,
      label: 'timer-caller',
      core: LOAD_CORE,
      timeoutMs: setupMs + 30_000,
      rtd: 'ring',
      // Every call is still alerting when the last one's mobile is dialled.
      extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', String(Math.round(setupMs + 3000))],
      onStart: (p) => ctx.running.add(p),
    });
    await until(() => mobile.count('CANCEL', 'Recv') >= mobile.count('INVITE', 'Recv'), 5000);
  } finally {
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
  }
  const deskAt = firstInvites(desk.messages(), 'received');
  const mobileAt = firstInvites(mobile.messages(), 'received');
  const errors: number[] = [];
  for (const [number, at] of mobileAt) {
    const ext = extensionOfMobile(number);
    const d = deskAt.get(ext ?? '');
    if (d !== undefined) errors.push(at - d - 2000);
  }
  const result = {
    samples: errors.length,
    p50: percentile(errors, 50),
    p99: percentile(errors, 99),
    max: Math.max(...errors),
  };
  log(
    `timer: ${sipp.successful} calls ok, ${sipp.failed} failed; desk INVITEs ${deskAt.size}, mobile INVITEs ${mobileAt.size}; ` +
      `dial delay error p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(2)} ms`,
  );
  if (errors.length < calls * 0.99)
    throw new Error(`timer: only ${errors.length} of ${calls} calls reached both phones`);
  return result;
}

/** 10,000 calls alerting at once (desk and mobile ringing) against the idle server. */
async function memoryPerCall(
  ctx: LoadContext,
  target: Target,
  pid: number,
  heapFile: string,
): Promise<{ calls: number; heapPerCallKiB: number; rssPerCallKiB: number; idleRssKiB: number }> {
  timeLeft(ctx, (MEMORY_CALLS / MEMORY_RATE) * 1000 + 30_000);
  const idleHeap = await heapSample(pid, heapFile);
  await sleep(500);
  const idleRss = rssKiB(pid);
  const desk = await startAgent({
    label: 'memory-desk',
    scenario: scenario.neverAnswer,
    port: target.deskPort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 300,
  });
  ctx.running.add(desk.proc);
  const mobile = await startAgent({
    label: 'memory-mobile',
    scenario: scenario.neverAnswer,
    port: target.mobilePort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 300,
  });
  ctx.running.add(mobile.proc);
  const setupMs = (MEMORY_CALLS / MEMORY_RATE) * 1000;
  let callerProc: BenchProcess | undefined;
  // The calls stay alerting until measured; then the caller is stopped and the server with it.
  const caller = runSipp({
    scenario: scenario.callerCancel,
    remote: target.remote,
    localPort: ctx.callerPort,
    injection: ctx.callerCsvFile,
    rate: MEMORY_RATE,
    calls: MEMORY_CALLS,
    limit: MEMORY_CALLS,
    workDir: ctx.work,
    label: 'memory-caller',
    core: LOAD_CORE,
    timeoutMs: setupMs + 120_000,
    rtd: 'ring',
    extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', '100000'],
    onStart: (p) => {
      callerProc = p;
      ctx.running.add(p);
    },
  }).catch((err: unknown) => err as Error);
  try {
    const alerting = () => Math.min(desk.count('INVITE', 'Recv'), mobile.count('INVITE', 'Recv'));
    const all = await until(() => alerting() >= MEMORY_CALLS, setupMs + 30_000, 250);
    await sleep(1500);
    const n = alerting();
    if (!all) log(`memory: only ${n} of ${MEMORY_CALLS} calls reached both phones`);
    const rss = rssKiB(pid);
    const heap = await heapSample(pid, heapFile, 30_000);
    const result = {
      calls: n,
      heapPerCallKiB: (heap.heapUsed - idleHeap.heapUsed) / 1024 / n,
      rssPerCallKiB: (rss - idleRss) / n,
      idleRssKiB: idleRss,
    };
    log(
      `memory: ${n} calls alerting (desk + mobile): RSS ${(idleRss / 1024).toFixed(0)} → ${(rss / 1024).toFixed(0)} MiB, ` +
        `heap used after GC ${(idleHeap.heapUsed / 2 ** 20).toFixed(0)} → ${(heap.heapUsed / 2 ** 20).toFixed(0)} MiB ` +
        `(GC ${heap.gcMs.toFixed(0)} ms): ${result.heapPerCallKiB.toFixed(2)} KiB heap, ${result.rssPerCallKiB.toFixed(2)} KiB RSS per call`,
    );
    return result;
  } finally {
    await callerProc?.stop(1000);
    await caller;
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
  }
}

/** twinline under --cpu-prof at `rate` for 10 s; prints the top functions. */
async function profile(
  ctx: LoadContext,
  target: Target,
  server: BenchProcess,
  rate: number,
  profileDir: string,
): Promise<Figure[]> {
  const desk = await startAgent({
    label: 'profile-desk',
    scenario: scenario.deskAnswer,
    port: target.deskPort,
    workDir: ctx.work,
    core: LOAD_CORE,
    keys: { ring_ms: RING_MS },
    timeoutS: 120,
  });
  ctx.running.add(desk.proc);
  const mobile = await startAgent({
    label: 'profile-mobile',
    scenario: scenario.neverAnswer,
    port: target.mobilePort,
    workDir: ctx.work,
    core: LOAD_CORE,
    timeoutS: 120,
  });
  ctx.running.add(mobile.proc);
  let window = { fromUs: 0, toUs: 0 };
  try {
    const cpuBefore = target.cpu();
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    window = { fromUs: nowUs(), toUs: 0 };
    const sipp = await runSipp({
      scenario: scenario.caller,
      remote: target.remote,
      localPort: ctx.callerPort,
      injection: ctx.callerCsvFile,
      rate,
      calls: rate * 10,
      limit: rate * 3,
      workDir: ctx.work,
      label: 'profile',
      core: LOAD_CORE,
      timeoutMs: 40_000,
      rtd: 'ring',
      extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', String(HOLD_MS)],
      onStart: (p) => ctx.running.add(p),
    });
    window.toUs = nowUs();
    const cpu = target.cpu() - cpuBefore;
    log(
      `profile at ${rate}/s: ${sipp.successful} ok, ${sipp.failed} failed, ` +
        `${((cpu / Math.max(1, sipp.successful)) * 1e6).toFixed(0)} µs CPU/call (profiler on)`,
    );
  } finally {
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
  }
  await server.stop(30_000);
  await sleep(300); // the log file's last writes
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile was written');
  // Only the load: start-up and the registrations are left out.
  const summary = summarizeProfile(path.join(profileDir, file), repoRoot, window);
  // --trace-gc lines in the server's output: "… ms: Mark-Compact 120.1 (130.2) -> 100.3 (131.0) MB, 180.5 / 0.0 ms …".
  const pauses = { Scavenge: [] as number[], 'Mark-Compact': [] as number[] };
  for (const m of readFileSync(path.join(ctx.work, 'twinline.log'), 'utf8').matchAll(
    /(Scavenge|Mark-Compact)[^,\n]*MB, ([\d.]+) \/ [\d.]+ ms/g,
  )) {
    pauses[m[1] as keyof typeof pauses].push(Number(m[2]));
  }
  for (const [kind, list] of Object.entries(pauses)) {
    log(
      `GC over the server's life: ${list.length} ${kind}, total ${list.reduce((a, b) => a + b, 0).toFixed(0)} ms, ` +
        `longest ${Math.max(0, ...list).toFixed(1)} ms, p99 ${percentile(list, 99).toFixed(1)} ms`,
    );
  }
  const keep = path.join(repoRoot, 'bench/.scratch');
  mkdirSync(keep, { recursive: true });
  writeFileSync(path.join(keep, 'calls.cpuprofile'), readFileSync(path.join(profileDir, file)));
  const show = (rows: typeof summary.bySelf, by: 'selfPct' | 'totalPct') =>
    rows
      .slice(0, 25)
      .map(
        (r) =>
          `  ${r[by].toFixed(1).padStart(5)}%  (${by === 'selfPct' ? 'total' : 'self'} ${(by === 'selfPct' ? r.totalPct : r.selfPct).toFixed(1)}%)  ${r.where}`,
      )
      .join('\n');
  process.stdout.write(
    `\nCPU profile during the load at ${rate}/s: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle ` +
      '(shares of the busy time; the profile is kept in bench/.scratch/calls.cpuprofile)\n' +
      `by self time:\n${show(summary.bySelf, 'selfPct')}\nby total time:\n${show(summary.byTotal, 'totalPct')}\n`,
  );
  return [];
}

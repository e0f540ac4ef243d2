/**
 * Soak: the twinned-call load of bench/calls.bench.ts held for SOAK_MINUTES (default 10)
 * at half the highest clean rate (`twinnedCps` in bench/results/latest.json; 250 calls/s when
 * it is absent; SOAK_RATE=<calls/s> sets another), against the real `twinline start` process.
 *
 *   Set-up as in the call benchmark: 10,000 users (20000–29999) twinned to a mobile through
 *   the carrier trunk, mobileDialDelay 0; every desk phone registers with digest from one
 *   SIPp port, where the desk SIPp UAS (answering after 100 ms) then runs; the mobiles are
 *   one SIPp UAS that rings until CANCELled. twinline on core 0, every SIPp on core 1.
 *   The caller hangs up 1 s after the answer.
 *
 *   Figures: calls completed and failed (SIPp's counts; none failed is expected), the
 *   server's RSS (VmRSS in /proc/<pid>/status) sampled every 10 s, and its growth from the
 *   first minute's average to the last minute's, in %. The first minute is a fill phase: every
 *   finished transaction waits 64·T1 = 32 s for retransmissions (RFC 3261 §17), so the state of
 *   the last 32 s of calls builds up before memory can level off. "Flat" (within 10 %) is
 *   therefore judged from the second minute's average to the last minute's (steady state);
 *   both figures are reported. Also: SIP
 *   retransmissions, CPU per call, mobile legs left ringing (by Call-ID) and the V8 heap after a full GC
 *   before the load and 5 s after it (read through bench/support/heap-probe.mjs).
 *
 * Bounded to the soak plus 3 minutes; every process is stopped by PID.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  callerCsv,
  callsDirectoryYaml,
  coreBusySeconds,
  extensionsOf,
  heapSample,
  registerCsv,
  startAgent,
  type UserBlock,
} from './support/calls.js';
import {
  type BenchProcess,
  cpuSeconds,
  freePort,
  hasCommand,
  rssKiB,
  sleep,
  TASKSET,
} from './support/proc.js';
import { runSipp, type SippRunResult } from './support/sipp.js';
import { uncancelledCallIds } from './support/sipp-log.js';
import { startTwinline, twinlineEntry } from './support/twinline.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
  key?: string;
}

const USERS: UserBlock = { first: 20_000, count: 10_000, mobileDialDelay: 0 };
/** The soak's rate when the call benchmark has recorded no best rate yet. */
const DEFAULT_RATE = 250;
const SAMPLE_EVERY_MS = 10_000;
const FLAT_PCT = 10;
const RING_MS = 100;
const HOLD_MS = 1000;
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const SIPP_BUFFER = ['-buff_size', String(8 * 1024 * 1024)];

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const sippDir = fileURLToPath(new URL('./sipp/', import.meta.url));
const scenario = {
  register: path.join(sippDir, 'register-many.xml'),
  caller: path.join(sippDir, 'call-caller.xml'),
  deskAnswer: path.join(sippDir, 'desk-answer.xml'),
  neverAnswer: path.join(sippDir, 'never-answer.xml'),
};

const log = (text: string) => process.stderr.write(`soak: ${text}\n`);
const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Half the highest clean twinned-call rate recorded by the call benchmark, or the default. */
function soakRate(): { rate: number; why: string } {
  const asked = Number(process.env.SOAK_RATE);
  if (Number.isFinite(asked) && asked > 0) return { rate: Math.floor(asked), why: 'SOAK_RATE' };
  const file = fileURLToPath(new URL('./results/latest.json', import.meta.url));
  try {
    const cps = Number((JSON.parse(readFileSync(file, 'utf8')) as { twinnedCps?: unknown }).twinnedCps);
    if (Number.isFinite(cps) && cps > 0) {
      return {
        rate: Math.max(1, Math.floor(cps / 2)),
        why: `half of twinnedCps ${cps}/s in bench/results/latest.json`,
      };
    }
  } catch {
    // No results yet.
  }
  return { rate: DEFAULT_RATE, why: 'no twinnedCps in bench/results/latest.json' };
}

/** SIPp's cumulative counts so far, from the last row of its -trace_stat CSV. */
function sippSoFar(
  statFile: string,
): { successful: number; failed: number; retransmissions: number } | undefined {
  if (!existsSync(statFile)) return undefined;
  const lines = readFileSync(statFile, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim());
  if (lines.length < 2) return undefined;
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const num = (name: string) => Number(last[header.indexOf(name)] ?? Number.NaN);
  return {
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retransmissions: num('Retransmissions(C)'),
  };
}

interface RssSample {
  /** Seconds since the load started. */
  atS: number;
  rssKiB: number;
}

export async function run(): Promise<Figure[]> {
  if (!hasCommand('sipp', ['-v'])) {
    log('skipped: sipp (Debian package sip-tester) is not installed');
    return [];
  }
  if (!TASKSET) log('taskset not found, processes run unpinned');
  const minutes = Number(process.env.SOAK_MINUTES ?? 10);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('SOAK_MINUTES must be a positive number');
  const soakS = Math.round(minutes * 60);
  const windowS = Math.min(60, soakS);
  if (soakS < 120) log(`${soakS} s: the first and last minutes overlap, so the RSS growth says little`);
  const { rate, why } = soakRate();
  const bound = performance.now() + soakS * 1000 + 180_000;
  const left = () => bound - performance.now();

  const work = mkdtempSync(path.join(tmpdir(), 'twinline-bench-soak-'));
  const dataDir = path.join(work, 'data');
  const running = new Set<BenchProcess>();
  const entry = twinlineEntry();
  log(`twinline: ${entry.what}; ${rate} calls/s (${why}) for ${soakS} s`);
  try {
    const sipPort = await freePort();
    const httpPort = await freePort();
    const callerPort = await freePort();
    const deskPort = await freePort();
    const mobilePort = await freePort();

    const yamlFile = path.join(work, 'directory.yaml');
    writeFileSync(
      yamlFile,
      callsDirectoryYaml({ blocks: [USERS], callerPort, mobilePort, noAnswerTime: 300 }),
    );
    const imported = spawnSync(
      process.execPath,
      [...entry.args, 'config', 'import', yamlFile, '--data', dataDir],
      { cwd: repoRoot, encoding: 'utf8', timeout: 90_000 },
    );
    if (imported.status !== 0) {
      throw new Error(`config import failed (${imported.status}): ${imported.stderr}${imported.error ?? ''}`);
    }
    const users = extensionsOf(USERS);
    const registerFile = path.join(work, 'register.csv');
    writeFileSync(registerFile, registerCsv(users));
    const callerCsvFile = path.join(work, 'callers.csv');
    writeFileSync(callerCsvFile, callerCsv(users));

    const heapFile = path.join(work, 'heap.json');
    const server = await startTwinline({
      sipPort,
      httpPort,
      dataDir,
      core: SERVER_CORE,
      logFile: path.join(work, 'twinline.log'),
      heapFile,
      onStart: (p) => running.add(p),
    });
    const remote = `127.0.0.1:${sipPort}`;

    const registered = await runSipp({
      scenario: scenario.register,
      remote,
      localPort: deskPort,
      injection: registerFile,
      rate: 1000,
      calls: users.length,
      limit: 1000,
      workDir: work,
      label: 'register',
      core: LOAD_CORE,
      timeoutMs: 60_000,
      onStart: (p) => running.add(p),
    });
    if (registered.successful !== users.length) {
      throw new Error(`only ${registered.successful} desk phones registered (${registered.failed} failed)`);
    }
    log(`${registered.successful} desk phones registered in ${registered.elapsedS.toFixed(1)} s`);
    await sleep(2000);
    const heapBefore = await heapSample(server.pid, heapFile);
    const idleRss = rssKiB(server.pid);

    const agentTimeoutS = soakS + 120;
    const desk = await startAgent({
      label: 'soak-desk',
      scenario: scenario.deskAnswer,
      port: deskPort,
      workDir: work,
      core: LOAD_CORE,
      keys: { ring_ms: RING_MS },
      timeoutS: agentTimeoutS,
    });
    running.add(desk.proc);
    const mobile = await startAgent({
      label: 'soak-mobile',
      scenario: scenario.neverAnswer,
      port: mobilePort,
      workDir: work,
      core: LOAD_CORE,
      timeoutS: agentTimeoutS,
    });
    running.add(mobile.proc);

    // RSS every 10 s while the load runs, with SIPp's counts once a minute.
    const samples: RssSample[] = [];
    const statFile = path.join(work, 'soak-caller.stat.csv');
    let loadDone = false;
    let caller: BenchProcess | undefined;
    let wake = () => {};
    const loadEnded = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const started = performance.now();
    const cpuBefore = cpuSeconds(server.pid);
    const coreBefore = coreBusySeconds(SERVER_CORE);
    const sampler = (async () => {
      for (let n = 1; !loadDone; n++) {
        const wait = started + n * SAMPLE_EVERY_MS - performance.now();
        if (wait > 0) await Promise.race([sleep(wait), server.exited, loadEnded]);
        if (loadDone) return;
        if (!server.isRunning()) {
          // No point in calling a dead server for the rest of the soak.
          await caller?.stop(1000);
          return;
        }
        const atS = (performance.now() - started) / 1000;
        if (atS > soakS + 1) return;
        try {
          samples.push({ atS, rssKiB: rssKiB(server.pid) });
        } catch {
          continue; // It exited between the check and the read: seen on the next turn.
        }
        if (n % 6 === 0) {
          const s = sippSoFar(statFile);
          log(
            `${Math.round(atS)} s: RSS ${(samples[samples.length - 1]!.rssKiB / 1024).toFixed(0)} MiB, ` +
              (s
                ? `${s.successful} calls ok, ${s.failed} failed, ${s.retransmissions} retransmissions`
                : 'no counts yet'),
          );
        }
      }
    })();

    let sipp: SippRunResult;
    try {
      sipp = await runSipp({
        scenario: scenario.caller,
        remote,
        localPort: callerPort,
        injection: callerCsvFile,
        rate,
        calls: rate * soakS,
        limit: Math.max(100, rate * 5),
        workDir: work,
        label: 'soak-caller',
        core: LOAD_CORE,
        timeoutMs: Math.min(soakS * 1000 + 60_000, left() - 30_000),
        rtd: 'ring',
        extraArgs: [...SIPP_BUFFER, '-key', 'hold_ms', String(HOLD_MS)],
        onStart: (p) => {
          caller = p;
          running.add(p);
        },
      });
    } finally {
      loadDone = true;
      wake();
      await sampler;
    }
    const serverCpuS = cpuSeconds(server.pid) - cpuBefore;
    const foreignCpuS = Math.max(0, coreBusySeconds(SERVER_CORE) - coreBefore - serverCpuS);
    if (!server.isRunning()) throw new Error(`twinline exited during the soak:\n${server.tail()}`);

    // Every mobile leg CANCELled once the calls drained (SIPp's per-second counts).
    const ringing = () => mobile.count('INVITE', 'Recv') - mobile.count('CANCEL', 'Recv');
    const drainBy = performance.now() + 10_000;
    while (ringing() > 0 && performance.now() < drainBy) await sleep(500);
    const countedRinging = ringing();
    await desk.proc.stop(1000);
    await mobile.proc.stop(1000);
    // By Call-ID: an INVITE retransmitted after its call ended is a new call to SIPp's counts.
    const mobileLegs = await uncancelledCallIds(path.join(work, 'soak-mobile'));
    const leftRinging = mobileLegs.uncancelled;
    await sleep(5000);
    const heapAfter = await heapSample(server.pid, heapFile);

    const first = samples.filter((s) => s.atS <= windowS + 1);
    // Steady state: the second minute, once every 64·T1 transaction wait is full.
    const second = samples.filter((s) => s.atS > windowS + 1 && s.atS <= 2 * windowS + 1);
    const last = samples.filter((s) => s.atS >= samples[samples.length - 1]!.atS - windowS + 1);
    if (first.length === 0 || last.length === 0) throw new Error('soak: no RSS samples');
    const firstKiB = mean(first.map((s) => s.rssKiB));
    const lastKiB = mean(last.map((s) => s.rssKiB));
    const growthPct = ((lastKiB - firstKiB) / firstKiB) * 100;
    const steadyKiB = second.length > 0 ? mean(second.map((s) => s.rssKiB)) : firstKiB;
    const steadyGrowthPct = ((lastKiB - steadyKiB) / steadyKiB) * 100;
    const flat = Math.abs(steadyGrowthPct) <= FLAT_PCT;
    const maxKiB = Math.max(...samples.map((s) => s.rssKiB));
    log(
      `${sipp.successful} calls ok, ${sipp.failed} failed, ${sipp.retransmissions} retransmissions in ` +
        `${sipp.elapsedS.toFixed(0)} s; server ${((serverCpuS / Math.max(1, sipp.successful)) * 1e6).toFixed(0)} µs CPU/call ` +
        `(${((serverCpuS / Math.max(1, sipp.elapsedS)) * 100).toFixed(0)}% of a core), other processes ` +
        `${foreignCpuS.toFixed(1)} CPU s on its core; mobile legs ${mobileLegs.invited}, left ringing ${leftRinging} ` +
        `by Call-ID (${countedRinging} by SIPp's INVITE − CANCEL counts)`,
    );
    log(
      `RSS idle ${(idleRss / 1024).toFixed(0)} MiB; first minute ${(firstKiB / 1024).toFixed(1)} MiB ` +
        `(${first.length} samples), last minute ${(lastKiB / 1024).toFixed(1)} MiB (${last.length} samples), ` +
        `max ${(maxKiB / 1024).toFixed(1)} MiB: ${growthPct >= 0 ? '+' : ''}${growthPct.toFixed(1)}%; ` +
        `second minute ${(steadyKiB / 1024).toFixed(1)} MiB → last: ${steadyGrowthPct >= 0 ? '+' : ''}` +
        `${steadyGrowthPct.toFixed(1)}% (${flat ? 'flat' : 'not flat'} within ${FLAT_PCT}%)`,
    );
    log(
      `RSS samples (MiB): ${samples.map((s) => `${Math.round(s.atS)}s ${(s.rssKiB / 1024).toFixed(0)}`).join(', ')}`,
    );
    log(
      `V8 heap used after a full GC: ${(heapBefore.heapUsed / 2 ** 20).toFixed(1)} MiB before the load, ` +
        `${(heapAfter.heapUsed / 2 ** 20).toFixed(1)} MiB 5 s after it`,
    );

    return [
      { name: 'soak: duration', value: round(soakS / 60, 2), unit: 'minutes', key: 'soakMinutes' },
      { name: 'soak: offered rate', value: rate, unit: 'calls/s' },
      { name: 'soak: twinned calls completed', value: sipp.successful, unit: 'calls', key: 'soakCalls' },
      { name: 'soak: failed calls', value: sipp.failed, unit: 'calls', key: 'soakFailedCalls' },
      { name: 'soak: SIP retransmissions (caller)', value: sipp.retransmissions, unit: 'messages' },
      { name: 'soak: mobile legs left ringing', value: leftRinging, unit: 'calls' },
      {
        name: 'soak: RSS growth, first minute → last minute (average of 10 s samples)',
        value: round(growthPct, 1),
        unit: '%',
        key: 'soakRssGrowthPct',
      },
      {
        name: 'soak: RSS growth, second minute (steady state) → last minute',
        value: round(steadyGrowthPct, 1),
        unit: '%',
        key: 'soakRssSteadyGrowthPct',
      },
      { name: `soak: RSS flat within ${FLAT_PCT}% (steady state)`, value: flat ? 1 : 0, unit: '1 = yes' },
      { name: 'soak: RSS first minute', value: round(firstKiB / 1024, 1), unit: 'MiB' },
      { name: 'soak: RSS last minute', value: round(lastKiB / 1024, 1), unit: 'MiB' },
      { name: 'soak: RSS max', value: round(maxKiB / 1024, 1), unit: 'MiB' },
      {
        name: 'soak: twinline CPU per call',
        value: round((serverCpuS / Math.max(1, sipp.successful)) * 1e6),
        unit: 'µs',
      },
      {
        name: 'soak: V8 heap after GC, 5 s after the load − before it',
        value: round((heapAfter.heapUsed - heapBefore.heapUsed) / 2 ** 20, 1),
        unit: 'MiB',
      },
    ];
  } finally {
    for (const p of running) await p.stop(5000).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Registrar benchmark: REGISTER with digest against the real `twinline start` process with
 * 10,000 users configured, driven by SIPp registering many different users.
 *
 *   1. A 10,000-user directory (extensions 10000–19999, known passwords) is imported into a
 *      fresh data directory with `twinline config import`.
 *   2. `twinline start` runs on a free loopback port, pinned to core 0 (taskset), log level
 *      warn; SIPp runs pinned to core 1 with bench/sipp/register-many.xml.
 *   3. All 10,000 users register once at 1000/s (new bindings): the server's RSS before
 *      and right after gives the memory per registered contact. It includes what a
 *      registration burst holds besides the bindings: the REGISTER transactions, kept for
 *      Timer J (32 s) after their 200, the digest nonce counts and V8's heap headroom.
 *   4. The rate is ramped (re-registrations); each step runs about 5 s. The figure is the
 *      highest rate achieved with no failed registration, with the server's CPU time per
 *      registration (one registration = REGISTER → 401 → REGISTER with credentials → 200).
 *
 * Qualify is set to its longest interval (3600 s) so that OPTIONS probes of the contacts
 * do not mix into the REGISTER figures. Bounded to about 2 minutes; every process is
 * stopped by PID.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigDirectoryYaml, sippUsersCsv } from './support/directory.js';
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
import { waitForSip } from './support/twinline.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
  key?: string;
}

const USERS = 10_000;
/** Offered rates of the ramp, registrations per second; the ramp stops at the first failure. */
const RAMP = [500, 1000, 1500, 2000, 2500, 3000, 4000, 6000];
const STEP_SECONDS = 5;
/** The whole bench stops (and fails) after this long. */
const BENCH_BOUND_MS = 150_000;

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const cli = path.join(repoRoot, 'src/cli/run.ts');
const scenario = fileURLToPath(new URL('./sipp/register-many.xml', import.meta.url));

interface Step {
  offered: number;
  sipp: SippRunResult;
  achieved: number;
  serverCpuS: number;
  serverCpuPerRegUs: number;
  serverUtil: number;
  /** UDP datagrams dropped on a full receive buffer during the step (host-wide counter). */
  udpDrops: number;
}

function describe(step: Step): string {
  const s = step.sipp;
  return (
    `  ${String(step.offered).padStart(5)}/s offered: ${String(s.successful).padStart(6)} ok, ${s.failed} failed, ` +
    `${s.retransmissions} retrans, ${step.udpDrops} UDP drops, ${step.achieved.toFixed(0)}/s achieved, ` +
    `mean ${s.meanResponseMs.toFixed(2)} ms, p99 < ${s.p99BucketMs} ms, ` +
    `server ${(step.serverCpuPerRegUs).toFixed(0)} µs CPU/registration (${(step.serverUtil * 100).toFixed(0)}% of a core), ` +
    `SIPp ${((s.clientCpuS / s.elapsedS) * 100).toFixed(0)}% of a core\n`
  );
}

export async function run(): Promise<Figure[]> {
  if (!hasCommand('sipp', ['-v'])) {
    process.stderr.write('registrar bench skipped: sipp (Debian package sip-tester) is not installed\n');
    return [];
  }
  if (!TASKSET) process.stderr.write('registrar bench: taskset not found, processes run unpinned\n');
  const benchStart = performance.now();
  const work = mkdtempSync(path.join(tmpdir(), 'twinline-bench-registrar-'));
  const dataDir = path.join(work, 'data');
  const running = new Set<BenchProcess>();
  let server: BenchProcess | undefined;
  try {
    // 1. The directory, imported the way an administrator would.
    const yamlFile = path.join(work, 'directory.yaml');
    writeFileSync(yamlFile, bigDirectoryYaml({ count: USERS, qualifyIntervalSeconds: 3600 }));
    const usersCsv = path.join(work, 'users.csv');
    writeFileSync(usersCsv, sippUsersCsv({ count: USERS }));
    const importStart = performance.now();
    const imported = spawnSync(
      process.execPath,
      ['--import', 'tsx', cli, 'config', 'import', yamlFile, '--data', dataDir],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
    );
    if (imported.status !== 0) {
      throw new Error(`config import failed (${imported.status}): ${imported.stderr}${imported.error ?? ''}`);
    }
    const importMs = performance.now() - importStart;

    // 2. The server, pinned to core 0.
    const sipPort = await freePort();
    const httpPort = await freePort();
    const sippPort = await freePort();
    const startAt = performance.now();
    server = startProcess({
      name: 'twinline',
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        cli,
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
      core: 0,
      logFile: path.join(work, 'twinline.log'),
    });
    running.add(server);
    await waitForSip(sipPort, 30_000, server);
    const readyMs = performance.now() - startAt;
    const pid = server.pid;
    await sleep(1000);

    const step = async (label: string, offered: number, calls: number): Promise<Step> => {
      if (performance.now() - benchStart > BENCH_BOUND_MS - 20_000) {
        throw new Error('registrar bench ran out of time');
      }
      const cpuBefore = cpuSeconds(pid);
      const dropsBefore = udpReceiveBufferErrors();
      const sipp = await runSipp({
        scenario,
        remote: `${LOOPBACK}:${sipPort}`,
        localPort: sippPort,
        injection: usersCsv,
        rate: offered,
        calls,
        limit: Math.max(200, offered),
        workDir: work,
        label,
        core: 1,
        timeoutMs: (calls / offered) * 1000 + 20_000,
        onStart: (p) => running.add(p),
      });
      const serverCpuS = cpuSeconds(pid) - cpuBefore;
      const udpDrops = udpReceiveBufferErrors() - dropsBefore;
      if (!server?.isRunning()) throw new Error(`twinline exited during the run:\n${server?.tail()}`);
      const achieved = sipp.successful / sipp.elapsedS;
      return {
        offered,
        sipp,
        achieved,
        serverCpuS,
        serverCpuPerRegUs: (serverCpuS / Math.max(1, sipp.successful)) * 1e6,
        serverUtil: serverCpuS / sipp.elapsedS,
        udpDrops,
      };
    };

    // 3. Every user registers once: new bindings, and the memory they take.
    const rssBefore = rssKiB(pid);
    const first = await step('first-registration', 1000, USERS);
    process.stderr.write(`registrar: first registration of ${USERS} users\n${describe(first)}`);
    if (first.sipp.successful !== USERS || first.sipp.failed !== 0) {
      throw new Error(
        `only ${first.sipp.successful} of ${USERS} users registered (${first.sipp.failed} failed)`,
      );
    }
    const rssRegistered = rssKiB(pid);

    // 4. The ramp: re-registrations of the same users at rising rates.
    const steps: Step[] = [];
    for (const offered of RAMP) {
      const s = await step(`ramp-${offered}`, offered, offered * STEP_SECONDS);
      steps.push(s);
      process.stderr.write(describe(s));
      // Past the server's capacity: failures, or the offered rate no longer reached.
      if (s.sipp.failed > 0 || s.achieved < 0.9 * offered) break;
      await sleep(1000);
    }
    const clean = steps.filter((s) => s.sipp.failed === 0 && s.sipp.successful > 0);
    const best = clean.reduce<Step | undefined>((b, s) => (!b || s.achieved > b.achieved ? s : b), undefined);
    const highestOffered = clean.reduce((m, s) => Math.max(m, s.offered), 0);
    const toKiB = (kib: number) => Math.round((kib / USERS) * 100) / 100;
    return [
      {
        name: 'registrar: registrations/s, no failure (10k users, 1 core)',
        value: Math.round(best?.achieved ?? 0),
        unit: 'reg/s',
        key: 'registersPerSec',
      },
      { name: 'registrar: highest offered rate, no failure', value: highestOffered, unit: 'reg/s' },
      {
        name: 'registrar: server CPU per registration (at best rate)',
        value: Math.round(best?.serverCpuPerRegUs ?? 0),
        unit: 'µs',
      },
      {
        name: 'registrar: server CPU per registration (first, 1000/s)',
        value: Math.round(first.serverCpuPerRegUs),
        unit: 'µs',
      },
      {
        name: 'registrar: mean REGISTER→200 time (at best rate)',
        value: Math.round((best?.sipp.meanResponseMs ?? 0) * 100) / 100,
        unit: 'ms',
      },
      {
        name: 'registrar: UDP receive-buffer drops (= SIPp retransmits), ramp',
        value: steps.reduce((n, s) => n + s.udpDrops, 0),
        unit: 'datagrams',
      },
      {
        name: 'registrar: RSS per registered contact (10k registered)',
        value: toKiB(rssRegistered - rssBefore),
        unit: 'KiB',
        key: 'rssPerContactKiB',
      },
      {
        name: 'registrar: server RSS with 10k users, none registered',
        value: Math.round(rssBefore / 1024),
        unit: 'MiB',
      },
      { name: 'registrar: config import of 10k users (CLI)', value: Math.round(importMs), unit: 'ms' },
      { name: 'registrar: server start to first answer (10k users)', value: Math.round(readyMs), unit: 'ms' },
    ];
  } finally {
    for (const p of running) await p.stop(5000).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The twinline server under benchmark: which build runs it, its start on loopback pinned to
 * a core, and the wait for its first SIP answer; shared by the registrar, calls and soak
 * benches. Build choice: bin/twinline.js (dist, after `npm run build`) when dist/
 * exists, otherwise src through tsx; TWINLINE_BENCH_ENTRY names another compiled cli/run.js.
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchProcess, LOOPBACK, sleep, startProcess } from './proc.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const heapProbe = pathToFileURL(fileURLToPath(new URL('./heap-probe.mjs', import.meta.url))).href;

/** How twinline is started: node arguments up to the subcommand, and a description. */
export function twinlineEntry(): { args: string[]; what: string } {
  const entry = process.env.TWINLINE_BENCH_ENTRY;
  if (entry) return { args: [path.resolve(entry)], what: entry };
  if (existsSync(path.join(repoRoot, 'dist/cli/run.js'))) {
    return { args: [path.join(repoRoot, 'bin/twinline.js')], what: 'bin/twinline.js (dist)' };
  }
  return { args: ['--import', 'tsx', path.join(repoRoot, 'src/cli/run.ts')], what: 'src/cli/run.ts (tsx)' };
}

/** Sends OPTIONS over UDP until the server answers 200 (or exits, or the bound passes). */
export async function waitForSip(port: number, timeoutMs: number, server: BenchProcess): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const answered = new Promise<void>((resolve) => {
    socket.on('message', (msg) => {
      if (msg.toString('latin1').startsWith('SIP/2.0 200')) resolve();
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  const local = socket.address().port;
  const deadline = performance.now() + timeoutMs;
  try {
    for (let n = 1; ; n++) {
      if (!server.isRunning()) throw new Error(`twinline exited while starting:\n${server.tail()}`);
      if (performance.now() > deadline) throw new Error(`twinline did not answer OPTIONS in ${timeoutMs} ms`);
      const options = [
        `OPTIONS sip:${LOOPBACK}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${LOOPBACK}:${local};branch=z9hG4bK-bench-ready-${n};rport`,
        'Max-Forwards: 70',
        `From: <sip:bench@${LOOPBACK}:${local}>;tag=bench${n}`,
        `To: <sip:${LOOPBACK}:${port}>`,
        `Call-ID: bench-ready-${n}-${process.pid}@${LOOPBACK}`,
        `CSeq: ${n} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(options, port, LOOPBACK);
      const ok = await Promise.race([answered.then(() => true), sleep(250).then(() => false)]);
      if (ok) return;
    }
  } finally {
    socket.close();
  }
}

/**
 * `twinline start` on loopback with `dataDir`, pinned to `core`, log level warn, its heap
 * readable on SIGUSR2 (heap-probe.mjs writes it to `heapFile`); resolves once it answers
 * OPTIONS. The caller stops it by PID.
 */
export async function startTwinline(o: {
  sipPort: number;
  httpPort: number;
  dataDir: string;
  core?: number;
  logFile: string;
  heapFile: string;
  onStart?(proc: BenchProcess): void;
  readyTimeoutMs?: number;
}): Promise<BenchProcess> {
  const entry = twinlineEntry();
  const proc = startProcess({
    name: 'twinline',
    command: process.execPath,
    args: [
      '--expose-gc',
      '--import',
      heapProbe,
      ...entry.args,
      'start',
      '--sip-listen',
      `${LOOPBACK}:${o.sipPort}`,
      '--http-listen',
      `${LOOPBACK}:${o.httpPort}`,
      '--data',
      o.dataDir,
      '--log-level',
      'warn',
    ],
    cwd: repoRoot,
    core: o.core,
    logFile: o.logFile,
    env: { TWINLINE_BENCH_HEAP_FILE: o.heapFile },
  });
  o.onStart?.(proc);
  await waitForSip(o.sipPort, o.readyTimeoutMs ?? 60_000, proc);
  return proc;
}

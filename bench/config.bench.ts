/**
 * Configuration benchmark with 10,000 users (bench/support/directory.ts):
 *
 *   - snapshot: `trySnapshot` (validation + the frozen, indexed snapshot) of the directory;
 *   - YAML: parse + validate of the directory as an administrator writes it (defaults left
 *     out), and of the export form (`dumpDirectoryYaml`, every default written out), and
 *     the export dump itself;
 *   - live apply: `LiveConfig.apply` of a one-field change (one user's name) through the
 *     server's own wiring (`startServer`, store in a temp directory, SIP on an ephemeral
 *     loopback port), with the pieces an apply is made of timed one by one.
 *
 * Each figure is the median of 5 runs after a warm-up run, except the export-form YAML
 * figures (about a second or more each: median of 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  type Directory,
  dumpDirectoryYaml,
  parseDirectoryYaml,
  trySnapshot,
  validateChange,
} from '../src/config/index.js';
import { startServer } from '../src/server.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { DirectoryDocument } from '../src/store/types.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/log.js';
import { bigDirectoryInput } from './support/directory.js';
import { collectGarbage, LOOPBACK, median } from './support/proc.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
  key?: string;
}

const USERS = 10_000;

/** Median wall time of `runs` calls of `fn` after `warmups` unmeasured ones, ms. */
function timeMedian(fn: (run: number) => unknown, runs = 5, warmups = 1): number {
  collectGarbage();
  for (let i = 0; i < warmups; i++) fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn(i);
    times.push(performance.now() - start);
  }
  return median(times);
}

const ms = (v: number) => Math.round(v * 10) / 10;

/** A copy of the document with one field of one user changed (a different user each run). */
function renameOne(doc: DirectoryDocument, run: number): DirectoryDocument {
  const index = ((run + 17) * 97) % doc.users.length;
  const users = doc.users.slice();
  users[index] = { ...users[index], name: `Renamed ${run} ${Date.now()}` };
  return { ...doc, users };
}

export async function run(): Promise<Figure[]> {
  const input = bigDirectoryInput({ count: USERS });
  const first = trySnapshot(input, 1);
  if (!first.ok) throw new Error(`benchmark directory rejected: ${first.errors[0]?.message}`);
  const directory: Directory = first.snapshot.directory;

  const snapshotMs = timeMedian(() => {
    const r = trySnapshot(input, 1);
    if (!r.ok) throw new Error('rejected');
  });

  const adminYaml = stringify(input, { lineWidth: 0, version: '1.2' });
  const parseAdminMs = timeMedian(() => {
    if (!parseDirectoryYaml(adminYaml).ok) throw new Error('rejected');
  });
  let exportYaml = '';
  const dumpMs = timeMedian(
    () => {
      exportYaml = dumpDirectoryYaml(directory);
    },
    3,
    0,
  );
  const parseExportMs = timeMedian(
    () => {
      if (!parseDirectoryYaml(exportYaml).ok) throw new Error('rejected');
    },
    3,
    0,
  );

  // Live apply through the composition root, as the admin API and the server use it.
  const work = mkdtempSync(path.join(tmpdir(), 'twinline-bench-config-'));
  const figures: Figure[] = [];
  try {
    const startAt = performance.now();
    const server = await startServer({
      sip: { address: LOOPBACK, port: 0 },
      dataDir: path.join(work, 'server'),
      logger: silentLogger,
      seed: () => directory,
    });
    const startMs = performance.now() - startAt;
    let applyMs: number;
    try {
      applyMs = timeMedian((i) => {
        const r = server.config.apply(renameOne(server.config.document(), i), 'admin');
        if (!r.ok || r.changes.length !== 1)
          throw new Error(`apply failed: ${JSON.stringify(r).slice(0, 300)}`);
      });
    } finally {
      await server.stop();
    }

    // The pieces of one apply, timed alone on the same directory.
    const store = openSqliteStore({ dataDir: path.join(work, 'pieces'), clock: systemClock });
    try {
      const document = structuredClone(directory) as unknown as DirectoryDocument;
      store.config.commit(document, { actor: 'bench' });
      const before = trySnapshot(document, 1);
      if (!before.ok) throw new Error('rejected');
      const changed = renameOne(document, 0);
      const validateBeforeMs = timeMedian(() => trySnapshot(document, 0));
      const validateChangeMs = timeMedian(() =>
        validateChange(before.snapshot.directory, changed, { kind: 'admin' }),
      );
      const validateAfterMs = timeMedian(() => trySnapshot(changed, 2));
      const commitMs = timeMedian((i) => store.config.commit(renameOne(document, i), { actor: 'bench' }));
      const loadMs = timeMedian(() => store.config.load());
      figures.push(
        {
          name: 'config apply 10k: trySnapshot of the directory in force',
          value: ms(validateBeforeMs),
          unit: 'ms',
        },
        { name: 'config apply 10k: validateChange', value: ms(validateChangeMs), unit: 'ms' },
        {
          name: 'config apply 10k: trySnapshot of the new directory',
          value: ms(validateAfterMs),
          unit: 'ms',
        },
        { name: 'config apply 10k: store commit (1 change)', value: ms(commitMs), unit: 'ms' },
        { name: 'config 10k: store load', value: ms(loadMs), unit: 'ms' },
      );
    } finally {
      store.close();
    }
    figures.unshift(
      {
        name: 'config 10k users: trySnapshot (validate + snapshot)',
        value: ms(snapshotMs),
        unit: 'ms',
        key: 'configLoad10kMs',
      },
      {
        name: `config 10k: YAML parse+validate (admin form, ${Math.round(adminYaml.length / 1024)} KiB)`,
        value: ms(parseAdminMs),
        unit: 'ms',
      },
      {
        name: `config 10k: YAML parse+validate (export form, ${Math.round(exportYaml.length / 1024)} KiB)`,
        value: ms(parseExportMs),
        unit: 'ms',
      },
      { name: 'config 10k: YAML export dump', value: ms(dumpMs), unit: 'ms' },
      { name: 'config 10k: server start (seed + snapshot)', value: ms(startMs), unit: 'ms' },
      {
        name: 'config 10k: LiveConfig.apply of a one-field change',
        value: ms(applyMs),
        unit: 'ms',
        key: 'configApply10kMs',
      },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return figures;
}

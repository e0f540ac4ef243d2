/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line),
 * prints one table and writes bench/results/latest.json with the figures, the machine
 * and the date. Each bench module exports `run(): Promise<BenchFigure[]>`.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** Key under which the figure is stored in latest.json, when it has a stable one. */
  key?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const chosen = only.length ? files.filter((f) => only.some((o) => f.startsWith(o))) : files;

const rows: (BenchFigure & { bench: string })[] = [];
for (const file of chosen) {
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { run(): Promise<BenchFigure[]> };
  process.stderr.write(`running ${file}…\n`);
  for (const figure of await mod.run()) rows.push({ ...figure, bench: file.replace('.bench.ts', '') });
}

const width = Math.max(10, ...rows.map((r) => r.name.length));
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(14)}  unit`);
for (const r of rows) {
  const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(2);
  console.log(`${r.name.padEnd(width)}  ${v.padStart(14)}  ${r.unit}`);
}

const resultsDir = path.join(here, 'results');
await mkdir(resultsDir, { recursive: true });
const latestPath = path.join(resultsDir, 'latest.json');
const previous = await readFile(latestPath, 'utf8').then(JSON.parse, () => ({}));
const cpus = os.cpus();
const latest = {
  ...previous,
  ...Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key, r.value])),
  figures: {
    ...(previous.figures ?? {}),
    ...Object.fromEntries(rows.map((r) => [r.name, { value: r.value, unit: r.unit }])),
  },
  machine: {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  date: new Date().toISOString(),
};
await writeFile(latestPath, `${JSON.stringify(latest, null, 2)}\n`);
console.log(`\nwritten ${path.relative(process.cwd(), latestPath)}`);

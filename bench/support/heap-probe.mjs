/**
 * Preloaded into a server under benchmark (`node --expose-gc --import …/heap-probe.mjs …`)
 * so a bench can read its heap without the server knowing: on SIGUSR2 it runs a full
 * garbage collection (when --expose-gc is on) and writes process.memoryUsage() and
 * v8.getHeapStatistics() as JSON to $TWINLINE_BENCH_HEAP_FILE. Nothing runs otherwise.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

const out = process.env.TWINLINE_BENCH_HEAP_FILE;
if (out) {
  process.on('SIGUSR2', () => {
    const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
    const started = performance.now();
    gc?.();
    const gcMs = performance.now() - started;
    const sample = {
      at: Date.now(),
      gc: gc !== undefined,
      gcMs,
      ...process.memoryUsage(),
      v8: getHeapStatistics(),
    };
    writeFileSync(`${out}.tmp`, JSON.stringify(sample));
    renameSync(`${out}.tmp`, out);
  });
}

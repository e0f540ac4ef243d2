import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { systemClock } from '../../../src/util/clock.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'twinline-crash-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('store crash safety', () => {
  it('kill -9 during a burst of writes loses no committed change and leaves none half-applied', async () => {
    const USERS = 25;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/store-writer.ts', dataDir, String(USERS)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let lastPrinted = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const bound = setTimeout(
          () => reject(new Error(`writer made no progress in 30 s: ${stderr}`)),
          30_000,
        );
        let buffered = '';
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const l of lines) lastPrinted = Math.max(lastPrinted, Number(l));
          // Kill it mid-burst, well after it got going.
          if (lastPrinted >= 200) {
            clearTimeout(bound);
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`writer ended early: ${stderr}`)));
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');

    const store = openSqliteStore({ dataDir, clock: systemClock });
    const loaded = store.config.load();
    assert.ok(loaded);
    // Every revision the writer saw committed is there…
    assert.ok(loaded.revision >= lastPrinted, `revision ${loaded.revision} < last committed ${lastPrinted}`);
    // …and the newest one is whole: every user carries that revision's generation.
    const names = new Set(loaded.directory.users.map((u) => u.name));
    assert.deepEqual([...names], [`gen-${loaded.revision}`]);
    assert.equal(loaded.directory.users.length, USERS);
    const lastAudit = store.config.audit({ sinceRevision: loaded.revision - 1 });
    assert.equal(lastAudit.length, loaded.revision === 1 ? USERS + 1 : USERS);
    store.close();
  });
});

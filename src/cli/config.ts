/**
 * `twinline config validate|import|export`: the directory as a YAML file. Validation is
 * the same one the server and the admin API use; an import is all or nothing.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type ConfigIssue, dumpDirectoryYaml, parseDirectoryYaml, trySnapshot } from '../config/index.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { DirectoryDocument } from '../store/types.js';
import { systemClock } from '../util/clock.js';

function printIssues(kind: 'error' | 'warning', issues: readonly ConfigIssue[]): void {
  // Each message names the field path, the value and the allowed range.
  for (const i of issues) process.stderr.write(`${kind}: ${i.message}\n`);
}

async function readText(file: string): Promise<string> {
  return file === '-' ? readFileSync(0, 'utf8') : readFile(file, 'utf8');
}

export async function configCommand(
  sub: string | undefined,
  args: string[],
  dataDir: string,
): Promise<number> {
  switch (sub) {
    case 'validate': {
      const file = args[0];
      if (!file) throw new Error('twinline config validate FILE');
      const result = parseDirectoryYaml(await readText(file));
      printIssues('warning', result.warnings);
      if (!result.ok) {
        printIssues('error', result.errors);
        process.stderr.write(`${result.errors.length} error(s): ${file} is not valid\n`);
        return 2;
      }
      process.stdout.write(`${file} is valid (${result.directory.users.length} users)\n`);
      return 0;
    }
    case 'import': {
      const file = args[0];
      if (!file) throw new Error('twinline config import FILE --data DIR');
      const result = parseDirectoryYaml(await readText(file));
      printIssues('warning', result.warnings);
      if (!result.ok) {
        printIssues('error', result.errors);
        process.stderr.write(`${result.errors.length} error(s): nothing imported\n`);
        return 2;
      }
      const store = openSqliteStore({ dataDir, clock: systemClock });
      try {
        const { revision, changes } = store.config.commit(result.directory as unknown as DirectoryDocument, {
          actor: 'import',
        });
        process.stdout.write(`imported ${file}: revision ${revision}, ${changes.length} change(s)\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    case 'export': {
      const store = openSqliteStore({ dataDir, clock: systemClock });
      try {
        const loaded = store.config.load();
        if (!loaded) {
          process.stderr.write(
            `the store in ${dataDir} holds no directory yet (start twinline or import one)\n`,
          );
          return 2;
        }
        const snap = trySnapshot(loaded.directory, loaded.revision);
        if (!snap.ok) {
          printIssues('error', snap.errors);
          return 2;
        }
        process.stdout.write(dumpDirectoryYaml(snap.snapshot.directory));
      } finally {
        store.close();
      }
      return 0;
    }
    default:
      process.stderr.write(
        'usage: twinline config validate FILE | import FILE --data DIR | export --data DIR\n',
      );
      return 64;
  }
}

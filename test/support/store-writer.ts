/**
 * Child process for the crash-safety test: commits changes to a store as fast as it can,
 * each change renaming every user to "gen-<n>" at once, and prints each committed revision.
 * Usage: node --import tsx test/support/store-writer.ts DATA_DIR USERS
 */
import { openSqliteStore } from '../../src/store/sqlite.js';
import { systemClock } from '../../src/util/clock.js';

const [dataDir, usersText] = process.argv.slice(2);
const count = Number(usersText ?? 20);
const store = openSqliteStore({ dataDir: dataDir!, clock: systemClock });
for (let n = 1; ; n++) {
  const users = Array.from({ length: count }, (_, i) => ({ extension: String(300 + i), name: `gen-${n}` }));
  const { revision } = store.config.commit(
    {
      system: {},
      users,
      huntGroups: [],
      timeProfiles: [],
      userRights: [],
      trunks: [],
      incomingRoutes: [],
      shortCodes: [],
    },
    { actor: 'writer' },
  );
  process.stdout.write(`${revision}\n`);
}

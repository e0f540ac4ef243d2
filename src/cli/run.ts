/** Process entry for the `twinline` command: runs a subcommand and sets the exit code. */
import { main, UsageError } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || String((err as { code?: string })?.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`twinline: ${(err as Error).message}\n`);
      process.exitCode = 64;
      return;
    }
    process.stderr.write(`twinline: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

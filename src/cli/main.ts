/**
 * The `twinline` command. Each subcommand returns its exit code; nothing here calls
 * `process.exit` while work may still be in flight.
 */
import { parseArgs } from 'node:util';
import { configCommand } from './config.js';
import { SIMULATE_USAGE, simulateCommand } from './simulate.js';
import { sipParseCommand } from './sip-parse.js';
import { startCommand } from './start.js';

const USAGE = `twinline — a SIP server with the user-mobility features of a business PBX

Usage:
  twinline start [--sip-listen ADDR:PORT] [--http-listen ADDR:PORT] [--data DIR]
                 [--log-level LEVEL]
      Start the server (defaults: --sip-listen 127.0.0.1:5060
      --http-listen 127.0.0.1:8080 --data ./data).
  twinline sip parse FILE
      Parse one raw SIP message. Prints it as JSON and exits 0, or prints
      {"status":CODE,"reason":"..."} (the response a server would send; 0 means
      "discard silently") and exits 2.
  twinline config validate FILE
      Check a directory YAML file: exit 0 when valid, 2 with every error
      (field path, value, allowed range) on stderr.
  twinline config import FILE [--data DIR]
      Replace the directory in the store with FILE (all or nothing).
  twinline config export [--data DIR]
      Print the stored directory as YAML.
  twinline simulate --config FILE SCENARIO [--svg FILE]
      Print a call's alerting timeline as the mobility engine plans it.
  twinline help [COMMAND]
      Show this help, or a command's help.
`;

const COMMAND_HELP: Record<string, string> = {
  start: `Usage: twinline start [options]

Options:
  --sip-listen ADDR:PORT   SIP on UDP and TCP (default 127.0.0.1:5060; [::1]:5060 for IPv6)
  --http-listen ADDR:PORT  admin web page and API (default 127.0.0.1:8080)
  --data DIR               where the store keeps its files (default ./data)
  --log-level LEVEL        trace, debug, info, warn, error (default info)
`,
  sip: `Usage: twinline sip parse FILE

Reads the raw bytes of one SIP message from FILE ("-" for standard input).
Exit 0: the message is valid; its JSON form is printed:
  {"type":"request","method":…,"uri":…,"version":…,"headers":[[name,value],…],"body":…}
Exit 2: printed {"status":CODE,"reason":TEXT}: the response a server would send
  (400, 420, 483, 505, 513…), or status 0 when the RFC says to discard silently.
`,
  simulate: SIMULATE_USAGE,
  config: `Usage:
  twinline config validate FILE          exit 0 when valid; 2 with every error on stderr
  twinline config import FILE [--data DIR]   replace the stored directory (all or nothing)
  twinline config export [--data DIR]        print the stored directory as YAML

The format is described in docs/config.md; examples/directory.yaml is a complete example.
A running server picks up an import within a second, without a restart.
`,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    const topic = rest[0];
    process.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : USAGE);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMAND_HELP[command] ?? USAGE);
    return 0;
  }
  switch (command) {
    case 'start': {
      const { values } = parseArgs({
        args: rest,
        options: {
          'sip-listen': { type: 'string', default: '127.0.0.1:5060' },
          'http-listen': { type: 'string', default: '127.0.0.1:8080' },
          data: { type: 'string', default: './data' },
          'log-level': { type: 'string', default: 'info' },
        },
        strict: true,
      });
      return startCommand({
        sipListen: values['sip-listen'],
        httpListen: values['http-listen'],
        dataDir: values.data,
        logLevel: values['log-level'],
      });
    }
    case 'sip': {
      const [sub, ...args] = rest;
      if (sub === 'parse') return sipParseCommand(args);
      process.stderr.write(COMMAND_HELP.sip ?? USAGE);
      return 64;
    }
    case 'simulate':
      return simulateCommand(rest);
    case 'config': {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({
        args,
        options: { data: { type: 'string', default: './data' } },
        allowPositionals: true,
        strict: true,
      });
      return configCommand(sub, positionals, values.data);
    }
    default:
      process.stderr.write(`twinline: unknown command "${command}"\n\n${USAGE}`);
      return 64;
  }
}

/** Splits "ADDR:PORT", "[v6]:PORT" or "v6" forms; throws a usage error naming the flag. */
export function parseListen(flag: string, text: string): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} expects ADDRESS:PORT (e.g. 127.0.0.1:5060 or [::1]:5060), got "${text}"`);
  }
  return { address: m[1]!, port };
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

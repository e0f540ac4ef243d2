/**
 * SIPp as a scripted SIP peer on 127.0.0.1, and a reader for what it sent and received.
 *
 *   const bob = await startSipp({ scenario: 'uas-answer', transport: 'u1', timeoutMs: 10_000 });
 *   const alice = await startSipp({
 *     scenario: 'uac-invite-bye', remote: `127.0.0.1:${bob.port}`, transport: 'u1', timeoutMs: 10_000,
 *   });
 *   const { outcome, messages } = await alice.result();
 *   assert.equal(outcome, 'ok');
 *   assert.deepEqual(received(messages).map((m) => m.firstLine), ['SIP/2.0 100 Trying', ...]);
 *
 * Scenario names resolve to test/fixtures/sipp/<name>.xml (each file's header comment says what
 * it plays and which keys it takes); anything else is a path to a scenario file.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort, isListening, LOOPBACK } from './ports.js';
import { artifactStem, artifactsDir, type ManagedProcess, spawnProcess } from './processes.js';
import { waitFor } from './wait.js';

export const sippFixturesDir = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));

/** The scenarios of test/fixtures/sipp/. */
export type SippScenarioName =
  | 'uac-options'
  | 'uac-invite-bye'
  | 'uac-invite-cancel'
  | 'uac-invite-rejected'
  | 'uac-register-digest'
  | 'uac-invite-auth-bye'
  | 'uas-cli-screening'
  | 'uas-answer-press-1'
  | 'uas-answer-mcc'
  | 'uac-invite-keys-wait-bye'
  | 'uas-answer'
  | 'uas-answer-immediately'
  | 'uas-never-answer'
  | 'uas-busy'
  | 'uas-503'
  | 'uas-reject-403-cause21'
  | 'uas-silent'
  | 'uas-options-responder'
  | 'uas-registrar-digest'
  | 'uac-invite-auth-rejected'
  | 'uac-invite-auth-wait-bye'
  | 'uac-invite-auth-hold-resume'
  | 'uac-invite-auth-bye-before-ack'
  | 'uas-answer-then-bye'
  | 'uas-answer-hold-resume'
  | 'uas-teams-two-clients'
  | 'uac-invite-auth-cancel'
  | 'uas-answer-media-key'
  | 'uac-invite-auth-media-key-bye'
  | 'uac-invite-media-key-wait-bye'
  | 'uac-invite-auth-reinvited-bye'
  | 'uac-invite-auth-reinvited-wait-bye'
  | 'uas-answer-reinvited'
  | 'uas-answer-mcc-transfer'
  | 'uas-answer-keys-203'
  | 'uas-answer-mcc-info'
  | 'uas-answer-press-1-info';

/**
 * Keys each scenario reads, with the values used when a test does not set them. SIPp rejects a
 * scenario that names a key it was not given, so every key a scenario uses has a default here.
 */
export const sippScenarioDefaultKeys: Record<SippScenarioName, Record<string, string>> = {
  'uac-options': { from_user: 'sipp' },
  'uac-invite-bye': { from_user: 'sipp', hold_ms: '200' },
  'uac-invite-cancel': { from_user: 'sipp', cancel_after_ms: '0' },
  'uac-invite-rejected': { from_user: 'sipp' },
  'uac-register-digest': { user: 'sipp', password: 'password', expires: '3600' }, // + domain
  'uac-invite-auth-bye': { from_user: 'sipp', domain: 'twinline', hold_ms: '200' },
  'uas-cli-screening': { ring_ms: '200' },
  'uas-answer-press-1': { ring_ms: '200', press_after_ms: '500' },
  'uas-answer-mcc': { ring_ms: '200', press_after_ms: '500' },
  'uac-invite-keys-wait-bye': { from_user: 'sipp', hold_ms: '500' },
  'uas-answer': { ring_ms: '200' },
  'uas-answer-immediately': {},
  'uas-never-answer': {},
  'uas-busy': {},
  'uas-503': {},
  'uas-reject-403-cause21': {},
  'uas-silent': { silent_ms: '4000' },
  'uas-options-responder': {},
  'uas-registrar-digest': { user: 'sipp', password: 'password', realm: 'twinline.test', expires: '3600' },
  'uac-invite-auth-rejected': { from_user: 'sipp', domain: 'twinline' },
  'uac-invite-auth-wait-bye': { from_user: 'sipp', domain: 'twinline' },
  'uac-invite-auth-hold-resume': { from_user: 'sipp', domain: 'twinline', hold_ms: '200' },
  'uac-invite-auth-bye-before-ack': { from_user: 'sipp', domain: 'twinline' },
  'uas-answer-then-bye': { ring_ms: '200', hold_ms: '300' },
  'uas-answer-hold-resume': { ring_ms: '200' },
  'uas-teams-two-clients': { answer_ms: '300' },
  'uac-invite-auth-cancel': { from_user: 'sipp', domain: 'twinline', cancel_after_ms: '1000' },
  // rtp_port: a media port the test owns; the default (9, discard) only keeps SIPp from refusing.
  'uas-answer-media-key': { ring_ms: '200', rtp_port: '9' },
  'uac-invite-auth-media-key-bye': { from_user: 'sipp', domain: 'twinline', hold_ms: '200', rtp_port: '9' },
  'uac-invite-media-key-wait-bye': { from_user: 'sipp', rtp_port: '9' },
  'uac-invite-auth-reinvited-bye': { from_user: 'sipp', domain: 'twinline', hold_ms: '200' },
  'uac-invite-auth-reinvited-wait-bye': { from_user: 'sipp', domain: 'twinline' },
  'uas-answer-reinvited': { ring_ms: '200' },
  'uas-answer-mcc-transfer': { ring_ms: '200', press_after_ms: '500', transfer_after_ms: '1000' },
  'uas-answer-keys-203': { ring_ms: '200', press_after_ms: '500' },
  'uas-answer-mcc-info': { ring_ms: '200', press_after_ms: '500' },
  'uas-answer-press-1-info': { ring_ms: '200', press_after_ms: '500' },
};

/** SIPp's -t: u1 one UDP socket, un one UDP socket per call, t1 one TCP connection, tn one per call. */
export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

export interface SippOptions {
  /** A scenario of test/fixtures/sipp/ by name, or a path to a scenario file. */
  scenario: SippScenarioName | (string & {});
  /** 'host:port' to send to; omit for a scenario that starts by receiving (a UAS). */
  remote?: string;
  /** Port to bind on 127.0.0.1 (-p); default a free one. */
  localPort?: number;
  /** Default 'u1'. */
  transport?: SippTransport;
  /** Calls to process before exiting (-m); default 1; 0 means no limit (ends at the timeout). */
  calls?: number;
  /** New calls per second (-r); SIPp's default is 10. */
  rate?: number;
  /** Scenario keys (-key name value), over the scenario's defaults. */
  keys?: Record<string, string | number>;
  /** Digest credentials (-au/-ap); for the registrar scenario, the credentials it accepts. */
  auth?: { user: string; pass: string };
  /** Request-URI user for UAC scenarios (-s); SIPp's default is "service". */
  service?: string;
  /**
   * SIPp's own global timeout (-timeout, rounded up to whole seconds): it gives up and exits 97
   * after this. A pause in progress is not cut short.
   */
  timeoutMs: number;
  /** Also write per-period statistics (-trace_stat -stf FILE -fd 1). */
  traceStat?: boolean;
  /** Wait for the port to be bound before resolving; default: when there is no remote (a UAS). */
  waitReady?: boolean;
  /** Names the process in logs and errors; default "sipp-<scenario>". */
  name?: string;
  extraArgs?: readonly string[];
}

/** How SIPp's exit code reads (sipp(1) "Exit codes"). */
export type SippOutcome =
  | 'ok' // 0: all calls successful
  | 'failed' // 1: at least one call failed
  | 'timeout' // 97: exit on internal command (the -timeout bound); calls may have been processed
  | 'no-calls' // 99: normal exit without calls processed
  | 'fatal' // 255 (-1): fatal error, e.g. a scenario error
  | 'bind-error' // 254 (-2): could not bind a socket
  | 'killed' // ended by a signal (stopped by the harness)
  | 'unknown';

export function sippOutcome(code: number | null): SippOutcome {
  switch (code) {
    case 0:
      return 'ok';
    case 1:
      return 'failed';
    case 97:
      return 'timeout';
    case 99:
      return 'no-calls';
    case 255:
      return 'fatal';
    case 254:
      return 'bind-error';
    case null:
      return 'killed';
    default:
      return 'unknown';
  }
}

export interface SippStats {
  /** Cumulative counters of SIPp's final statistics screen; -1 when not found. */
  successfulCalls: number;
  failedCalls: number;
  totalCallsCreated: number;
  incomingCallsCreated: number;
  outgoingCallsCreated: number;
  /** Rows of the -trace_stat CSV (column name → value), when traceStat was asked. */
  periodic: Array<Record<string, string>>;
}

export interface SipHeader {
  name: string;
  value: string;
}

/** One SIP message from SIPp's -trace_msg log. */
export interface SippMessage {
  direction: 'sent' | 'received';
  transport: string;
  /** When SIPp logged it (sent, or read from the socket), in epoch milliseconds with µs. */
  timeMs: number;
  firstLine: string;
  kind: 'request' | 'response';
  /** The request method, or for a response the method of its CSeq. */
  method: string;
  requestUri?: string;
  status?: number;
  reason?: string;
  headers: SipHeader[];
  body: string;
  raw: string;
  /** First value of a header, by name, case-insensitive; compact forms (v, f, t, i…) match too. */
  header(name: string): string | undefined;
  /** All values of a header, in order (each header line; comma lists are not split). */
  headerValues(name: string): string[];
}

export interface SippResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outcome: SippOutcome;
  stats: SippStats;
  messages: SippMessage[];
  /** The -trace_err log (unexpected messages, retransmission timeouts…), '' if none. */
  errors: string;
  /** The final statistics screens as SIPp printed them. */
  screen: string;
  files: SippFiles;
}

export interface SippFiles {
  messages: string;
  errors: string;
  screen: string;
  stats?: string;
  log?: string;
}

export interface SippRun {
  readonly name: string;
  /** The local port SIPp is bound to (give it to the other side as the remote). */
  readonly port: number;
  /** 127.0.0.1:port */
  readonly address: string;
  readonly transport: SippTransport;
  readonly scenarioFile: string;
  readonly process: ManagedProcess;
  readonly files: SippFiles;
  /**
   * Waits for SIPp to exit (bounded: timeoutMs plus a grace, since SIPp's -timeout does not cut a
   * pause short), then reads its logs. Rejects, after stopping it, if it does not exit in time.
   */
  result(options?: { timeoutMs?: number }): Promise<SippResult>;
  /** The messages logged so far, while SIPp still runs. */
  messages(): SippMessage[];
  /** Waits until a logged message passes the predicate (the log is a file: polled every 20 ms). */
  waitForMessage(
    predicate: (m: SippMessage) => boolean,
    options: { timeoutMs: number; what: string },
  ): Promise<SippMessage>;
  /** Stops SIPp by PID and returns what it logged (outcome 'killed' unless it had exited). */
  stop(): Promise<SippResult>;
}

const GRACE_MS = 10_000;

export async function startSipp(options: SippOptions): Promise<SippRun> {
  const transport = options.transport ?? 'u1';
  const tcp = transport.startsWith('t');
  const scenarioFile = resolveScenario(options.scenario);
  const scenarioName = scenarioFile.replace(/^.*\//, '').replace(/\.xml$/, '');
  const name = options.name ?? `sipp-${scenarioName}`;
  const port = options.localPort ?? (tcp ? await freeTcpPort() : await freeUdpPort());

  const stem = artifactStem(name);
  const files: SippFiles = {
    messages: `${stem}.messages.log`,
    errors: `${stem}.errors.log`,
    screen: `${stem}.screen.log`,
    log: `${stem}.log`,
  };
  if (options.traceStat) files.stats = `${stem}.stats.csv`;

  const args: string[] = ['-sf', scenarioFile];
  if (options.remote) args.push(options.remote);
  args.push('-nostdin', '-i', LOOPBACK, '-p', String(port), '-t', transport);
  // SIPp keeps -timeout in whole seconds: "300ms" reads as 0, which means no timeout at all.
  args.push('-timeout', `${Math.max(1, Math.ceil(options.timeoutMs / 1000))}s`);
  const calls = options.calls ?? 1;
  if (calls > 0) args.push('-m', String(calls));
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.service !== undefined) args.push('-s', options.service);
  args.push('-trace_msg', '-message_file', files.messages);
  args.push('-trace_err', '-error_file', files.errors);
  args.push('-trace_screen', '-screen_file', files.screen);
  if (files.stats) args.push('-trace_stat', '-stf', files.stats, '-fd', '1');

  const keys = scenarioKeys(scenarioName, options);
  for (const [key, value] of Object.entries(keys)) args.push('-key', key, String(value));
  const auth = options.auth ?? authFromKeys(scenarioName, keys);
  if (auth) args.push('-au', auth.user, '-ap', auth.pass);
  // SIPp computes the digest over sip:<remote ip:port> unless told the Request-URI's host.
  if (scenarioName === 'uac-register-digest' && keys.domain) args.push('-auth_uri', String(keys.domain));
  if (options.extraArgs) args.push(...options.extraArgs);

  // cwd in test-artifacts/: files SIPp writes on its own (scenario_pid_*.log) land there too.
  fs.mkdirSync(artifactsDir, { recursive: true });
  const proc = spawnProcess({
    name,
    command: 'sipp',
    args,
    cwd: artifactsDir,
    log: true,
    stopTimeoutMs: 2000,
  });
  files.log = proc.logFile;

  if (options.waitReady ?? !options.remote) {
    await waitFor(
      () => {
        if (isListening(port, tcp ? 'tcp' : 'udp')) return true;
        if (!proc.running)
          throw new Error(`${name} exited before binding ${LOOPBACK}:${port}\n${proc.describe()}`);
        return undefined;
      },
      {
        timeoutMs: 5000,
        what: `${name} to bind ${tcp ? 'TCP' : 'UDP'} ${LOOPBACK}:${port}`,
        detail: () => proc.describe(),
        intervalMs: 10,
      },
    ).catch(async (err: unknown) => {
      await proc.stop().catch(() => undefined);
      throw err;
    });
  }

  const collect = (): SippResult => {
    const info = proc.exitInfo ?? { code: null, signal: null };
    const screen = readOrEmpty(files.screen) || proc.stdout;
    return {
      exitCode: info.code,
      signal: info.signal,
      outcome: sippOutcome(info.code),
      stats: parseSippStats(screen, files.stats ? readOrEmpty(files.stats) : ''),
      messages: parseSippMessageLog(readOrEmpty(files.messages)),
      errors: readOrEmpty(files.errors),
      screen,
      files,
    };
  };

  let resultPromise: Promise<SippResult> | undefined;
  return {
    name,
    port,
    address: `${LOOPBACK}:${port}`,
    transport,
    scenarioFile,
    process: proc,
    files,
    result(resultOptions) {
      resultPromise ??= (async () => {
        const bound = resultOptions?.timeoutMs ?? options.timeoutMs + GRACE_MS;
        try {
          await proc.waitForExit({ timeoutMs: bound, what: `${name} to finish its scenario` });
        } catch (err) {
          await proc.stop().catch(() => undefined);
          throw err;
        }
        return collect();
      })();
      return resultPromise;
    },
    messages: () => parseSippMessageLog(readOrEmpty(files.messages)),
    waitForMessage(predicate, waitOptions) {
      return waitFor(() => parseSippMessageLog(readOrEmpty(files.messages)).find(predicate), {
        ...waitOptions,
        detail: () => `${proc.describe()}\nmessages so far: ${files.messages}`,
        intervalMs: 20,
      });
    },
    async stop() {
      await proc.stop();
      return collect();
    },
  };
}

/** Messages SIPp received, in order. */
export function received(messages: readonly SippMessage[]): SippMessage[] {
  return messages.filter((m) => m.direction === 'received');
}

/** Messages SIPp sent, in order. */
export function sent(messages: readonly SippMessage[]): SippMessage[] {
  return messages.filter((m) => m.direction === 'sent');
}

/** A compact ladder for assertions: "< INVITE" (received request), "> 180" (sent response). */
export function ladder(messages: readonly SippMessage[]): string[] {
  return messages.map(
    (m) => `${m.direction === 'sent' ? '>' : '<'} ${m.kind === 'request' ? m.method : m.status}`,
  );
}

function resolveScenario(scenario: string): string {
  if (scenario.includes('/') || scenario.endsWith('.xml')) {
    if (!fs.existsSync(scenario)) throw new Error(`SIPp scenario file not found: ${scenario}`);
    return scenario;
  }
  const file = `${sippFixturesDir}${scenario}.xml`;
  if (!fs.existsSync(file)) throw new Error(`no SIPp scenario named '${scenario}' in ${sippFixturesDir}`);
  return file;
}

function isKnownScenario(name: string): name is SippScenarioName {
  return Object.hasOwn(sippScenarioDefaultKeys, name);
}

function scenarioKeys(scenarioName: string, options: SippOptions): Record<string, string | number> {
  const keys: Record<string, string | number> = isKnownScenario(scenarioName)
    ? { ...sippScenarioDefaultKeys[scenarioName] }
    : {};
  if (options.auth && (scenarioName === 'uac-register-digest' || scenarioName === 'uas-registrar-digest')) {
    keys.user = options.auth.user;
    keys.password = options.auth.pass;
  }
  if (scenarioName === 'uac-register-digest' && options.remote) {
    keys.domain = options.remote.replace(/:\d+$/, '');
  }
  return { ...keys, ...options.keys };
}

function authFromKeys(
  scenarioName: string,
  keys: Record<string, string | number>,
): { user: string; pass: string } | undefined {
  if (scenarioName !== 'uac-register-digest') return undefined;
  if (keys.user === undefined || keys.password === undefined) return undefined;
  return { user: String(keys.user), pass: String(keys.password) };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing SIPp's logs. A deliberately small reader for test assertions, independent of
// twinline's own parser (which is one of the things these tests check).

const SEPARATOR = /^-{10,} (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)\s*$/;
const DIRECTION = /^(\w+) message (sent|received)\b/;

/**
 * Parses a -trace_msg file: blocks of
 *   ----------------------------------------------- 2026-11-25 03:40:32.721630
 *   UDP message sent (511 bytes):            |  UDP message received [309] bytes :
 *   <blank>
 *   <the message>
 * SIPp stamps local time with microseconds. A block holding several messages (TCP) is split by
 * Content-Length.
 */
export function parseSippMessageLog(text: string): SippMessage[] {
  const out: SippMessage[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const sep = SEPARATOR.exec(lines[i] ?? '');
    if (!sep) {
      i += 1;
      continue;
    }
    const [, y, mo, d, h, mi, s, frac] = sep;
    const timeMs =
      new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() +
      Number(`0.${frac}`) * 1000;
    const dir = DIRECTION.exec(lines[i + 1] ?? '');
    let j = i + 1;
    while (j < lines.length && !SEPARATOR.test(lines[j] ?? '')) j += 1;
    if (dir) {
      // Skip the direction line and the blank line after it.
      const raw = lines.slice(i + 3, j).join('\n');
      for (const one of splitMessages(raw)) {
        const parsed = parseSipMessage(one, {
          direction: dir[2] === 'sent' ? 'sent' : 'received',
          transport: dir[1] ?? '',
          timeMs,
        });
        if (parsed) out.push(parsed);
      }
    }
    i = j;
  }
  return out;
}

function splitMessages(raw: string): string[] {
  const messages: string[] = [];
  let rest = raw.replace(/^[\r\n]+/, '');
  while (rest.trim().length > 0) {
    const headEnd = rest.search(/\r?\n\r?\n/);
    if (headEnd < 0) {
      messages.push(rest);
      break;
    }
    const sepLen = /^\r?\n\r?\n/.exec(rest.slice(headEnd))?.[0].length ?? 2;
    const head = rest.slice(0, headEnd);
    const length = Number(/^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head)?.[1] ?? '0');
    const end = headEnd + sepLen + length;
    messages.push(rest.slice(0, end));
    rest = rest.slice(end).replace(/^[\r\n]+/, '');
  }
  return messages;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  e: 'content-encoding',
  k: 'supported',
  s: 'subject',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  u: 'allow-events',
};

function canonical(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Parses one SIP message (headers, body); undefined if the first line is not SIP. */
export function parseSipMessage(
  raw: string,
  meta: { direction: SippMessage['direction']; transport: string; timeMs: number },
): SippMessage | undefined {
  const text = raw.replace(/^[\r\n]+/, '');
  const headEnd = text.search(/\r?\n\r?\n/);
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  let body = headEnd < 0 ? '' : text.slice(headEnd).replace(/^\r?\n\r?\n/, '');
  const headLines = head.split(/\r?\n/);
  const firstLine = (headLines.shift() ?? '').trim();
  const headers: SipHeader[] = [];
  for (const line of headLines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
      const last = headers[headers.length - 1]!;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const headerValues = (name: string): string[] => {
    const wanted = canonical(name);
    return headers.filter((h) => canonical(h.name) === wanted).map((h) => h.value);
  };
  const header = (name: string): string | undefined => headerValues(name)[0];
  const length = header('content-length');
  if (length !== undefined && /^\d+$/.test(length)) body = body.slice(0, Number(length));

  const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(firstLine);
  const request = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(firstLine);
  if (!response && !request) return undefined;
  const cseqMethod = /^\s*\d+\s+(\S+)/.exec(header('cseq') ?? '')?.[1] ?? '';
  const common = { ...meta, firstLine, headers, body, raw: text, header, headerValues };
  if (response) {
    return {
      ...common,
      kind: 'response',
      method: cseqMethod,
      status: Number(response[1]),
      reason: response[2] ?? '',
    };
  }
  return { ...common, kind: 'request', method: request?.[1] ?? '', requestUri: request?.[2] ?? '' };
}

/** Reads the cumulative counters of SIPp's statistics screen, and the -trace_stat CSV. */
export function parseSippStats(screen: string, statCsv: string): SippStats {
  const cumulative = (label: string): number => {
    // "  Successful call        |        0                  |        1   " — the last match is the
    // final screen; the last column is the cumulative value.
    const re = new RegExp(`^\\s*${label}\\s*\\|[^|\\n]*\\|\\s*(\\d+)`, 'gm');
    let value = -1;
    for (const m of screen.matchAll(re)) value = Number(m[1]);
    return value;
  };
  return {
    successfulCalls: cumulative('Successful call'),
    failedCalls: cumulative('Failed call'),
    totalCallsCreated: cumulative('Total Calls created'),
    incomingCallsCreated: cumulative('Incoming calls created'),
    outgoingCallsCreated: cumulative('Outgoing calls created'),
    periodic: parseStatCsv(statCsv),
  };
}

function parseStatCsv(csv: string): Array<Record<string, string>> {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines.shift()?.split(';');
  if (!header) return [];
  return lines.map((line) => {
    const cells = line.split(';');
    const row: Record<string, string> = {};
    header.forEach((name, idx) => {
      if (name) row[name] = cells[idx] ?? '';
    });
    return row;
  });
}

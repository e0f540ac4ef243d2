/**
 * baresip as a real, headless softphone on 127.0.0.1, driven over its ctrl_tcp interface
 * (netstrings of JSON: commands with a token get a response with that token; events arrive
 * unprompted).
 *
 *   const alice = await startBaresip({ user: 'alice', password: 's3cret', registrar: `127.0.0.1:${port}` });
 *   await alice.waitForEvent('REGISTER_OK', { timeoutMs: 5000 });
 *   await alice.dial('sip:bob@127.0.0.1');
 *   await alice.waitForEvent('CALL_ESTABLISHED', { timeoutMs: 5000 });
 *   await alice.hangup();
 *   await alice.waitForEvent('CALL_CLOSED', { timeoutMs: 5000 });
 *   await alice.stop();
 *
 * Events are queued: each waitForEvent consumes the first matching event after the previous
 * match, so an event that arrived before the wait began is not missed.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePortPair, freeRtpPortPair, freeTcpPort, LOOPBACK, waitForListening } from './ports.js';
import { type ExitInfo, type ManagedProcess, spawnProcess } from './processes.js';
import { waitFor, waitForEvent, withTimeout } from './wait.js';

export interface BaresipOptions {
  /** SIP user of the account; default "alice". */
  user?: string;
  /** auth_pass of the account (digest password). */
  password?: string;
  /**
   * 'host:port' of the registrar. With it the account registers (regint, default 60 s) and
   * REGISTER_OK / REGISTER_FAIL events follow; without it nothing registers (regint=0).
   */
  registrar?: string;
  /**
   * Domain of the AOR (sip:user@domain); default the registrar's host:port, or
   * 127.0.0.1:<own port> without one. When it differs from the registrar, requests go to the
   * registrar through the account's outbound proxy setting.
   */
  domain?: string;
  /** 'manual' (default): an incoming call rings until accept(); 'auto': answered at once. */
  answerMode?: 'manual' | 'auto';
  /** Re-registration interval in seconds; default 60 with a registrar, 0 without. */
  regint?: number;
  /** Transport towards the registrar/outbound proxy; default udp. */
  transport?: 'udp' | 'tcp';
  /** audio_codecs of the account; default "PCMU". */
  audioCodecs?: string;
  /** Extra ";name=value" account parameters, appended as is. */
  accountParams?: string;
  /** Extra config lines (name → value), appended to the generated config. */
  extraConfig?: Record<string, string>;
  /**
   * SIP port to listen on (UDP+TCP, and TCP on port + 1): give one from freePortPair() when a
   * peer must be reached at a port known in advance (a trunk's host:port). Default a free one.
   */
  sipPort?: number;
  /** Names the process; default "baresip-<user>". */
  name?: string;
  /** Bound for starting and connecting the control channel; default 5000 ms. */
  startTimeoutMs?: number;
}

/** A ctrl_tcp event, e.g. { type: 'CALL_INCOMING', class: 'call', peeruri: 'sip:…', id: '…' }. */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  peerdisplayname?: string;
  id?: string;
  param?: string;
  /** When it was read from the control connection (Date.now()). */
  receivedAt: number;
  [field: string]: unknown;
}

export interface BaresipResponse {
  ok: boolean;
  data: string;
  token?: string;
  [field: string]: unknown;
}

export interface Baresip {
  readonly name: string;
  /** UDP+TCP SIP port; baresip also listens on TCP sipPort + 1. */
  readonly sipPort: number;
  readonly ctrlPort: number;
  /** sip:user@domain */
  readonly aor: string;
  /** Where it can be reached directly: sip:user@127.0.0.1:sipPort */
  readonly contactUri: string;
  readonly configDir: string;
  readonly process: ManagedProcess;
  /** Every event received so far, in order. */
  readonly events: readonly BaresipEvent[];
  /** Sends a control command and waits (bounded) for its response. */
  command(command: string, params?: string, options?: { timeoutMs?: number }): Promise<BaresipResponse>;
  /**
   * Waits for the next event of this type (after the last one a wait consumed) that passes the
   * filter; rejects after the bound, or at once if baresip exits.
   */
  waitForEvent(
    type: string,
    options: { timeoutMs: number; filter?: (e: BaresipEvent) => boolean; fromStart?: boolean },
  ): Promise<BaresipEvent>;
  dial(uri: string): Promise<BaresipResponse>;
  accept(): Promise<BaresipResponse>;
  hangup(): Promise<BaresipResponse>;
  /** Sends DTMF digits (RFC 4733 telephone-events). */
  sndcode(digits: string): Promise<BaresipResponse>;
  /** Closes the control connection and stops baresip by PID (its own quit can take ~30 s). */
  stop(): Promise<ExitInfo>;
}

const MODULES = ['g711.so', 'ausine.so'];
const APP_MODULES = ['account.so', 'menu.so', 'ctrl_tcp.so'];

export async function startBaresip(options: BaresipOptions = {}): Promise<Baresip> {
  const user = options.user ?? 'alice';
  const name = options.name ?? `baresip-${user}`;
  const startTimeoutMs = options.startTimeoutMs ?? 5000;
  const sipPort = options.sipPort ?? (await freePortPair());
  const ctrlPort = await freeTcpPort();
  const rtpBase = await freeRtpPortPair();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), `twinline-${name}-`));

  const domain = options.domain ?? options.registrar ?? `${LOOPBACK}:${sipPort}`;
  const aor = `sip:${user}@${domain}`;
  const transport = options.transport ?? 'udp';
  const params = [
    options.password !== undefined ? `auth_pass=${options.password}` : '',
    `answermode=${options.answerMode ?? 'manual'}`,
    `regint=${options.regint ?? (options.registrar ? 60 : 0)}`,
    `audio_codecs=${options.audioCodecs ?? 'PCMU'}`,
    options.registrar && options.registrar !== domain
      ? `outbound="sip:${options.registrar};transport=${transport}"`
      : '',
  ].filter((p) => p.length > 0);
  const accountLine = `<${aor};transport=${transport}>;${params.join(';')}` + (options.accountParams ?? '');

  const config: Array<[string, string]> = [
    ['poll_method', 'epoll'],
    ['sip_listen', `${LOOPBACK}:${sipPort}`],
    ['net_interface', LOOPBACK],
    ['audio_source', 'ausine,440'],
    ['audio_alert', 'none'],
    ['ausrc_srate', '48000'],
    ['ausrc_channels', '2'],
    // One call's RTP and RTCP ports; libre picks an even RTP port in the range.
    ['rtp_ports', `${rtpBase}-${rtpBase + 1}`],
    ['module_path', '/usr/lib/baresip/modules'],
    ...MODULES.map((m): [string, string] => ['module', m]),
    ...APP_MODULES.map((m): [string, string] => ['module_app', m]),
    ['ctrl_tcp_listen', `${LOOPBACK}:${ctrlPort}`],
    ...Object.entries(options.extraConfig ?? {}),
  ];
  fs.writeFileSync(path.join(configDir, 'config'), config.map(([k, v]) => `${k}\t\t${v}`).join('\n') + '\n');
  // No account at start: a REGISTER would race the control connection and its REGISTER_OK be
  // lost. The account is created over ctrl_tcp (uanew) once the connection is up.
  fs.writeFileSync(path.join(configDir, 'accounts'), '');
  // Present but empty: otherwise baresip writes example files on first start.
  fs.writeFileSync(path.join(configDir, 'contacts'), '');

  const proc = spawnProcess({
    name,
    command: 'baresip',
    args: ['-f', configDir],
    log: true,
    // It would otherwise unregister and wait for transactions for up to ~30 s.
    stopTimeoutMs: 2000,
  });

  const failStart = async (err: unknown): Promise<never> => {
    await proc.stop().catch(() => undefined);
    fs.rmSync(configDir, { recursive: true, force: true });
    throw err;
  };

  // Its stdout is block-buffered into a pipe, so "baresip is ready." is no signal; the control
  // port being bound is.
  await Promise.race([
    waitForListening(ctrlPort, 'tcp', {
      timeoutMs: startTimeoutMs,
      what: `${name} to open its control port ${LOOPBACK}:${ctrlPort}`,
      detail: () => `${proc.describe()}\nconfig in ${configDir}`,
    }),
    proc.exited.then((info) => {
      throw new Error(
        `${name} exited (code=${info.code} signal=${info.signal}) while starting\n${proc.describe()}\nconfig in ${configDir}`,
      );
    }),
  ]).catch(failStart);

  const ctrl = await ControlChannel.connect(ctrlPort, name, startTimeoutMs, () => proc.describe()).catch(
    failStart,
  );
  proc.exited.then(() => ctrl.close());
  const created = await ctrl.command('uanew', accountLine, startTimeoutMs).catch(failStart);
  if (!created.ok) await failStart(new Error(`${name}: uanew ${accountLine} failed: ${created.data}`));

  let cursor = 0;
  const baresip: Baresip = {
    name,
    sipPort,
    ctrlPort,
    aor,
    contactUri: `sip:${user}@${LOOPBACK}:${sipPort}`,
    configDir,
    process: proc,
    get events() {
      return ctrl.events;
    },
    command: (command, params, opts) => ctrl.command(command, params, opts?.timeoutMs ?? 5000),
    async waitForEvent(type, opts) {
      const from = opts.fromStart ? 0 : cursor;
      const index = await waitFor(
        () => {
          const found = ctrl.events.findIndex(
            (e, i) => i >= from && e.type === type && (!opts.filter || opts.filter(e)),
          );
          if (found >= 0) return found + 1; // +1: index 0 must not read as "not yet"
          if (!proc.running) throw new Error(`${name} exited while waiting for ${type}\n${proc.describe()}`);
          if (ctrl.closed) throw new Error(`${name}: control connection closed while waiting for ${type}`);
          return undefined;
        },
        {
          timeoutMs: opts.timeoutMs,
          what: `${name} event ${type}`,
          detail: () =>
            `events so far: ${ctrl.events.map((e) => e.type).join(', ') || '(none)'}\n${proc.describe()}`,
          wakeOn: [
            [ctrl, 'event', 'close'],
            [proc, 'exit'],
          ],
        },
      );
      cursor = index;
      return ctrl.events[index - 1]!;
    },
    dial: (uri) => ctrl.command('dial', uri, 5000),
    accept: () => ctrl.command('accept', undefined, 5000),
    hangup: () => ctrl.command('hangup', undefined, 5000),
    sndcode: (digits) => ctrl.command('sndcode', digits, 5000),
    async stop() {
      ctrl.close();
      // baresip's first SIGTERM starts a graceful stop (un-REGISTER, wait for transactions: up
      // to ~30 s with a registrar gone); a second one makes it exit at once.
      if (proc.running) {
        proc.kill('SIGTERM');
        await proc.waitForExit({ timeoutMs: 300 }).catch(() => proc.kill('SIGTERM'));
      }
      const info = await proc.stop({ timeoutMs: 1500 });
      fs.rmSync(configDir, { recursive: true, force: true });
      return info;
    },
  };
  return baresip;
}

/** ctrl_tcp: netstrings ("<len>:<json>,") in both directions. */
class ControlChannel extends EventEmitter {
  readonly events: BaresipEvent[] = [];
  closed = false;
  #socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #token = 0;
  #pending = new Map<string, (r: BaresipResponse) => void>();
  #name: string;
  #describe: () => string;

  private constructor(socket: net.Socket, name: string, describe: () => string) {
    super();
    this.#socket = socket;
    this.#name = name;
    this.#describe = describe;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.emit('close');
    });
    // A reset at shutdown is reported through 'close'; an error here must not crash the test.
    socket.on('error', () => {});
  }

  static async connect(
    port: number,
    name: string,
    timeoutMs: number,
    describe: () => string,
  ): Promise<ControlChannel> {
    const socket = net.connect({ host: LOOPBACK, port });
    try {
      await waitForEvent(socket, 'connect', {
        timeoutMs,
        what: `${name} control connection to ${LOOPBACK}:${port}`,
        detail: describe,
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return new ControlChannel(socket, name, describe);
  }

  async command(command: string, params: string | undefined, timeoutMs: number): Promise<BaresipResponse> {
    if (this.closed) throw new Error(`${this.#name}: control connection is closed (command '${command}')`);
    this.#token += 1;
    const token = String(this.#token);
    const json = JSON.stringify(params === undefined ? { command, token } : { command, params, token });
    const response = new Promise<BaresipResponse>((resolve) => this.#pending.set(token, resolve));
    this.#socket.write(`${Buffer.byteLength(json)}:${json},`);
    try {
      return await withTimeout(response, {
        timeoutMs,
        what: `${this.#name} response to '${command}${params ? ` ${params}` : ''}'`,
        detail: this.#describe,
      });
    } finally {
      this.#pending.delete(token);
    }
  }

  close(): void {
    if (!this.#socket.destroyed) this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a); // ':'
      if (colon < 0) return;
      const length = Number(this.#buffer.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(length)) {
        // Out of step with the stream: nothing sensible can follow.
        this.close();
        return;
      }
      const end = colon + 1 + length;
      if (this.#buffer.length < end + 1) return;
      const payload = this.#buffer.subarray(colon + 1, end).toString('utf8');
      this.#buffer = this.#buffer.subarray(end + 1); // past the ','
      this.#onMessage(payload);
    }
  }

  #onMessage(payload: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      return;
    }
    if (message.response === true) {
      const token = typeof message.token === 'string' ? message.token : undefined;
      const resolve = token ? this.#pending.get(token) : undefined;
      resolve?.({
        ...message,
        ok: message.ok === true,
        data: typeof message.data === 'string' ? message.data : '',
        token,
      });
      return;
    }
    if (message.event === true && typeof message.type === 'string') {
      const event = { ...message, type: message.type, receivedAt: Date.now() } as BaresipEvent;
      this.events.push(event);
      this.emit('event', event);
    }
  }
}

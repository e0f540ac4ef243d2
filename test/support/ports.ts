/**
 * Free ports on 127.0.0.1 for peers started by tests.
 *
 * A port comes from the kernel (bind port 0, read it back), is checked free for every protocol
 * the peer will bind, and is then reserved twice: in a process-wide set (two peers of one test
 * file never get the same port) and with a lock file under the OS temp directory holding our
 * PID (test files run as separate processes; a lock whose PID is gone is taken over). Locks are
 * removed when this process exits.
 *
 *   const port = await freeUdpPort();          // SIPp over UDP
 *   const sip = await freePortPair();          // baresip: UDP+TCP on sip, TCP on sip + 1
 *   const rtp = await freeRtpPortPair();       // even RTP port, RTCP on rtp + 1
 *   await waitForListening(port, 'udp', { timeoutMs: 2000, what: 'sipp to bind' });
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type WaitOptions, waitFor } from './wait.js';

export const LOOPBACK = '127.0.0.1';

export type Protocol = 'udp' | 'tcp';

const handedOut = new Set<number>();
const lockDir = path.join(os.tmpdir(), 'twinline-test-ports');
const MAX_ATTEMPTS = 64;

/** A port free for UDP on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return findPort(['udp'], 0);
}

/** A port free for TCP on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return findPort(['tcp'], 0);
}

/** A port free for both UDP and TCP on 127.0.0.1. */
export function freeUdpTcpPort(): Promise<number> {
  return findPort(['udp', 'tcp'], 0);
}

/**
 * A port free for UDP and TCP whose successor is free too, both reserved: baresip listens on
 * its SIP port over UDP and TCP and on SIP port + 1 over TCP (TLS).
 */
export function freePortPair(): Promise<number> {
  return findPort(['udp', 'tcp'], 1);
}

/**
 * An even UDP port whose successor is free too, both reserved: an RTP port and its RTCP port
 * (RFC 3550 §11). Media stacks (libre's rtp_listen, used by baresip) round to an even port.
 */
export function freeRtpPortPair(): Promise<number> {
  return findPort(['udp'], 1, true);
}

/** Gives a port back to this process's pool (optional: everything is released at exit). */
export function releasePort(port: number): void {
  if (!handedOut.delete(port)) return;
  try {
    fs.unlinkSync(lockPath(port));
  } catch {
    // Already gone: nothing to release.
  }
}

async function findPort(protocols: readonly Protocol[], extra: number, even = false): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const first = protocols[0] ?? 'tcp';
      const kernel = await kernelPort(first);
      const candidate = even && kernel % 2 === 1 ? kernel + 1 : kernel;
      const ports = Array.from({ length: extra + 1 }, (_, i) => candidate + i);
      if (ports.some((p) => p > 65535 || handedOut.has(p))) continue;
      if (!(await allBindable(ports, protocols))) continue;
      if (!reserveAll(ports)) continue;
      return candidate;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `no free ${even ? 'even ' : ''}${protocols.join('+')} port on ${LOOPBACK}` +
      `${extra ? ` with ${extra} free successor(s)` : ''} ` +
      `after ${MAX_ATTEMPTS} attempts`,
    { cause: lastError },
  );
}

function kernelPort(protocol: Protocol): Promise<number> {
  return protocol === 'udp' ? bindUdp(0) : listenTcp(0);
}

async function allBindable(ports: readonly number[], protocols: readonly Protocol[]): Promise<boolean> {
  for (const port of ports) {
    for (const protocol of protocols) {
      try {
        await (protocol === 'udp' ? bindUdp(port) : listenTcp(port));
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** Binds, reads the port back, closes; rejects if the port is taken. */
function bindUdp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ port, address: LOOPBACK, exclusive: true }, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

function listenTcp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

function lockPath(port: number): string {
  return path.join(lockDir, String(port));
}

function reserveAll(ports: readonly number[]): boolean {
  const taken: number[] = [];
  for (const port of ports) {
    if (!reserve(port)) {
      for (const p of taken) releasePort(p);
      return false;
    }
    taken.push(port);
  }
  return true;
}

function reserve(port: number): boolean {
  fs.mkdirSync(lockDir, { recursive: true });
  const file = lockPath(port);
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number.parseInt(readOrEmpty(file), 10);
    if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) return false;
    // The owner is gone (or is us after a release race): take the lock over.
    fs.writeFileSync(file, String(process.pid));
  }
  handedOut.add(port);
  return true;
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

process.on('exit', () => {
  for (const port of handedOut) {
    try {
      if (readOrEmpty(lockPath(port)) === String(process.pid)) fs.unlinkSync(lockPath(port));
    } catch {
      // Best effort at exit.
    }
  }
});

/**
 * Whether something listens on 127.0.0.1:port (TCP: in LISTEN state; UDP: bound), read from
 * /proc/net so that checking never competes with the peer for the port.
 */
export function isListening(port: number, protocol: Protocol): boolean {
  const file = protocol === 'tcp' ? '/proc/net/tcp' : '/proc/net/udp';
  const wantedPort = port.toString(16).toUpperCase().padStart(4, '0');
  let table: string;
  try {
    table = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    if (!local) continue;
    const [hexAddr, hexPort] = local.split(':');
    if (hexPort !== wantedPort) continue;
    // 0100007F is 127.0.0.1 in /proc's little-endian hex; 00000000 is INADDR_ANY.
    if (hexAddr !== '0100007F' && hexAddr !== '00000000') continue;
    if (protocol === 'tcp' && state !== '0A') continue; // 0A = LISTEN
    return true;
  }
  return false;
}

/**
 * Waits until a peer has bound its port. There is no event for "another process bound a port",
 * so this polls /proc/net every 10 ms, within a bound.
 */
export function waitForListening(
  port: number,
  protocol: Protocol,
  options: Omit<WaitOptions, 'what'> & { what?: string },
): Promise<true> {
  return waitFor(() => isListening(port, protocol) || undefined, {
    ...options,
    what: options.what ?? `${protocol.toUpperCase()} ${LOOPBACK}:${port} to be bound`,
    intervalMs: 10,
  });
}

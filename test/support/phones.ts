/**
 * SIPp peers in the roles a PBX test needs: a desk phone that registers with digest and
 * then plays a callee scenario on the same port (so the registrar's binding points at
 * it), a carrier or Teams SBC on a trunk's port, a voicemail server.
 */
import { freeUdpPort } from './ports.js';
import { type SippRun, type SippScenarioName, startSipp } from './sipp.js';

export interface DeskPhone {
  readonly extension: string;
  readonly port: number;
  /** The callee scenario now listening on the phone's port. */
  readonly sipp: SippRun;
}

/**
 * Each extension keeps its port for the life of the test process, as a real phone does:
 * registering again refreshes the one binding instead of leaving a dead contact behind.
 */
const phonePorts = new Map<string, number>();

/** Registers `extension` (from its own port), then starts `scenario` there as the phone. */
export async function registeredPhone(
  server: { address: string },
  extension: string,
  password: string,
  scenario: SippScenarioName | (string & {}),
  options: { keys?: Record<string, string | number>; calls?: number; timeoutMs?: number } = {},
): Promise<DeskPhone> {
  const key = `${server.address}/${extension}`;
  const port = phonePorts.get(key) ?? (await freeUdpPort());
  phonePorts.set(key, port);
  const reg = await startSipp({
    scenario: 'uac-register-digest',
    remote: server.address,
    localPort: port,
    timeoutMs: 10_000,
    name: `register-${extension}`,
    keys: { user: extension, password, domain: 'twinline', expires: 600 },
  });
  const result = await reg.result();
  if (result.outcome !== 'ok')
    throw new Error(`phone ${extension} did not register: ${result.outcome}\n${result.errors}`);
  const sipp = await startSipp({
    scenario,
    localPort: port,
    timeoutMs: options.timeoutMs ?? 20_000,
    calls: options.calls ?? 1,
    keys: options.keys,
    name: `phone-${extension}-${scenario}`,
  });
  return { extension, port, sipp };
}

/** A SIPp callee on a given port (a trunk peer or the voicemail server). */
export function peerOn(
  port: number,
  scenario: SippScenarioName | (string & {}),
  options: { keys?: Record<string, string | number>; calls?: number; timeoutMs?: number; name?: string } = {},
): Promise<SippRun> {
  return startSipp({
    scenario,
    localPort: port,
    timeoutMs: options.timeoutMs ?? 20_000,
    calls: options.calls ?? 1,
    keys: options.keys,
    name: options.name,
  });
}

/** An extension placing a call through twinline: 407, authenticated INVITE, talk, BYE. */
export function extensionCalls(
  server: { address: string },
  from: { extension: string; password: string },
  to: string,
  options: { holdMs?: number; timeoutMs?: number } = {},
) {
  return startSipp({
    scenario: 'uac-invite-auth-bye',
    remote: server.address,
    service: to,
    auth: { user: from.extension, pass: from.password },
    keys: { from_user: from.extension, hold_ms: options.holdMs ?? 100 },
    timeoutMs: options.timeoutMs ?? 20_000,
    name: `caller-${from.extension}`,
  });
}

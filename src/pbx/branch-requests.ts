/**
 * The INVITEs a B2BUA sends on its outgoing branches: a fresh dialog each (new Call-ID
 * and From tag), the caller's SDP offer passed through (RFC 3264), and the identity the
 * branch presents: the caller as From / P-Asserted-Identity (RFC 3325), and for diverted
 * and twinned calls the user the call was for, as Diversion (RFC 5806) or History-Info
 * (RFC 7044).
 */
import type { Trunk } from '../config/index.js';
import { newCallId, newTag } from '../sip/ids.js';
import { makeRequest, type SipRequest } from '../sip/message.js';
import type { Endpoint } from '../sip/transport/types.js';
import { parseUri } from '../sip/uri.js';

export interface Identity {
  /** The number shown (an extension or an external number); '' = anonymous. */
  number: string;
  name?: string;
}

/** RFC 5806 §3 diversion reasons, as the engine uses them. */
export type DiversionReason =
  | 'unconditional'
  | 'user-busy'
  | 'no-answer'
  | 'do-not-disturb'
  | 'follow-me'
  | 'deflection'
  | 'unavailable';

export interface Diversion {
  /** The extension the call was for. */
  user: string;
  reason: DiversionReason;
}

export interface BranchInvite {
  requestUri: string;
  /** Where the INVITE is sent. */
  peer: Endpoint;
  from: Identity;
  /** Adds P-Asserted-Identity with the same identity (trunks with callerIdPolicy 'pai'). */
  assertIdentity: boolean;
  diversion?: Diversion;
  diversionHeader?: 'diversion' | 'history-info';
  /** The caller's SDP offer. */
  body: Buffer;
  contentType?: string;
  /** Max-Forwards from the caller's INVITE, decremented (RFC 3261 §16.6 step 3, for loop safety). */
  maxForwards: number;
  /** twinline's own host:port, for From/Contact. */
  localHost: string;
  contact: string;
  domain: string;
}

function quote(name: string): string {
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function identityUri(id: Identity, host: string): string {
  return id.number ? `sip:${id.number}@${host}` : `sip:anonymous@anonymous.invalid`;
}

export function buildBranchInvite(b: BranchInvite): SipRequest {
  const fromUri = identityUri(b.from, b.domain);
  const display = b.from.name ? `${quote(b.from.name)} ` : '';
  const fields: [string, string][] = [
    ['Max-Forwards', String(b.maxForwards)],
    ['From', `${display}<${fromUri}>;tag=${newTag()}`],
    ['To', `<${b.requestUri}>`],
    ['Call-ID', newCallId(b.localHost)],
    ['CSeq', '1 INVITE'],
    ['Contact', b.contact],
    ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO'],
  ];
  // RFC 3325 §9.1: the network-asserted identity of the caller.
  if (b.assertIdentity && b.from.number) fields.push(['P-Asserted-Identity', `${display}<${fromUri}>`]);
  if (b.diversion) {
    const target = `sip:${b.diversion.user}@${b.domain}`;
    if (b.diversionHeader === 'history-info') {
      // RFC 7044 §4.3: the target the call was for, then where it went.
      fields.push(['History-Info', `<${target}>;index=1, <${b.requestUri}>;index=1.1;mp=1`]);
    } else {
      // RFC 5806 §3: who diverted the call, and why.
      fields.push(['Diversion', `<${target}>;reason=${b.diversion.reason};counter=1`]);
    }
  }
  if (b.body.length > 0 && b.contentType) fields.push(['Content-Type', b.contentType]);
  return makeRequest('INVITE', b.requestUri, fields, b.body);
}

/** The request URI and peer for a number on a trunk; Teams gets `+E.164` (pbx.md, TEAMS-2). */
export function trunkTarget(trunk: Trunk, number: string): { requestUri: string; peer: Endpoint } {
  const host = trunk.host.includes(':') ? `[${trunk.host}]` : trunk.host;
  const user = trunk.kind === 'msTeams' && !number.startsWith('+') ? `+${number}` : number;
  const transport = trunk.transport === 'tcp' ? ';transport=tcp' : '';
  return {
    requestUri: `sip:${user}@${host}:${trunk.port}${transport}`,
    peer: { protocol: trunk.transport === 'tcp' ? 'TCP' : 'UDP', address: trunk.host, port: trunk.port },
  };
}

/** Where a plain SIP URI (the voicemail server) is reached: its host, port and transport. */
export function uriTarget(uri: string): Endpoint | undefined {
  const parsed = parseUri(uri);
  if (!parsed || (parsed.scheme !== 'sip' && parsed.scheme !== 'sips')) return undefined;
  const sip = parsed as { host: string; port?: number; params: Map<string, string | null> };
  const tcp = (sip.params.get('transport') ?? '').toLowerCase() === 'tcp';
  const host = sip.host.startsWith('[') ? sip.host.slice(1, -1) : sip.host;
  return { protocol: tcp ? 'TCP' : 'UDP', address: host, port: sip.port ?? 5060 };
}

/** The user part of a Request-URI or To URI (the dialled string), unescaped once. */
export function dialledOf(uri: string): string | undefined {
  const parsed = parseUri(uri);
  if (!parsed) return undefined;
  if (parsed.scheme === 'tel') return (parsed as { number: string }).number;
  const user = (parsed as { user?: string }).user;
  if (user === undefined) return undefined;
  try {
    return decodeURIComponent(user.split(';')[0] ?? '');
  } catch {
    return undefined;
  }
}

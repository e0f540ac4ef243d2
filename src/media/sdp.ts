/**
 * SDP anchoring: the offer/answer a leg receives is rewritten so its media points at the relay
 * side that faces the other leg, and the facts the relay needs (where the peer sends from, which
 * payload types mean PCMU, PCMA and telephone-event) are read out of an SDP.
 *
 * The codec list, fmtp, ptime and direction attributes pass through untouched: twinline relays
 * media, it does not transcode, and a hold (`sendonly`, `inactive`, `c=0.0.0.0`) stays a hold.
 */
import type { SessionDescription } from 'sdp-transform';
import sdpTransform from 'sdp-transform';
import { SdpError } from './errors.js';
import type { LocalMedia, RemoteMedia } from './relay.js';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The audio stream of an SDP, as the relay and the call engine need it. */
export interface SdpAudio extends RemoteMedia {
  rtcpPort: number;
  /** RFC 5761 `a=rtcp-mux`: RTCP shares the RTP port. */
  rtcpMux: boolean;
  /** The m= line's payload types in order of preference. */
  payloadTypes: number[];
  /** Payload type of PCMU / PCMA when offered (0 / 8 by static assignment, RFC 3551 §6). */
  pcmu?: number;
  pcma?: number;
  /** RFC 4733 §7.1.1 telephone-event: payload type, clock rate and the `events` fmtp if any. */
  telephoneEvent?: { payloadType: number; clockRate: number; events?: string };
  direction: MediaDirection;
  /** Held: direction sendonly/inactive, or the RFC 2543 `c=0.0.0.0` form. */
  onHold: boolean;
  ptime?: number;
}

export interface AnchorOptions {
  /**
   * Streams other than the first audio stream cannot go through the relay: `disable` (default)
   * sets their port to 0 (RFC 3264 §5.1 / §6), `keep` leaves them pointing at the peer.
   */
  otherStreams?: 'disable' | 'keep';
  /** Replaces the o= session version (a B2BUA numbers each leg's SDP versions itself). */
  sessionVersion?: number;
  /** Replaces the o= session id. */
  sessionId?: string | number;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

const ipVersion = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

/**
 * Rewrites `sdp` so the audio stream points at `target` (the relay's ports for the side that
 * sends this SDP's receiver media): c= at session and media level, the audio m= port, a=rtcp,
 * and the o= address. ICE attributes are removed, since their candidates would lead around the
 * relay. Throws {@link SdpError} when there is no audio stream.
 */
export function anchorSdp(sdp: string, target: LocalMedia, options: AnchorOptions = {}): string {
  const session = sdpTransform.parse(sdp);
  if (!Array.isArray(session.media) || session.media.length === 0)
    throw new SdpError('SDP has no media stream');
  const audioIndex = session.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  const anyAudio = session.media.some((m) => m.type === 'audio');
  if (!anyAudio) throw new SdpError('SDP has no audio stream');
  const ipVer = ipVersion(target.address);

  if (session.origin) {
    session.origin.address = target.address;
    session.origin.ipVer = ipVer;
    if (options.sessionVersion !== undefined) session.origin.sessionVersion = options.sessionVersion;
    if (options.sessionId !== undefined) session.origin.sessionId = options.sessionId;
  }
  // RFC 3264 §8.4: c=0.0.0.0 is the old way to put a stream on hold; keep it so the hold survives.
  const setConnection = (c: { version: number; ip: string } | undefined) => {
    if (c && !UNSPECIFIED.has(c.ip)) {
      c.ip = target.address;
      c.version = ipVer;
    }
  };
  setConnection(session.connection);
  stripIce(session as unknown as Record<string, unknown>);

  session.media.forEach((m, i) => {
    if (i !== audioIndex) {
      if (options.otherStreams !== 'keep' && m.port !== 0) m.port = 0;
      return;
    }
    m.port = target.rtpPort;
    setConnection(m.connection);
    // With no c= at media level, the session-level one (already rewritten) applies.
    if (!m.connection && !session.connection) m.connection = { version: ipVer, ip: target.address };
    if (m.rtcp) {
      // RFC 3605 §2.1: the RTCP port (and address, when given) move with the stream.
      m.rtcp.port = target.rtcpPort;
      if (m.rtcp.address !== undefined) {
        m.rtcp.address = target.address;
        m.rtcp.ipVer = ipVer;
        m.rtcp.netType = 'IN';
      }
    } else if (!m.rtcpMux && target.rtcpPort !== target.rtpPort + 1) {
      // RFC 3605 §2.1: say so when RTCP is not on the next port up.
      m.rtcp = { port: target.rtcpPort };
    }
    stripIce(m as unknown as Record<string, unknown>);
  });
  return sdpTransform.write(session);
}

function stripIce(level: Record<string, unknown>): void {
  for (const key of [
    'candidates',
    'iceUfrag',
    'icePwd',
    'iceOptions',
    'endOfCandidates',
    'remoteCandidates',
    'icelite',
  ])
    delete level[key];
}

/** Reads the first active audio stream of an SDP; undefined when there is none or it does not parse. */
export function describeSdp(sdp: string): SdpAudio | undefined {
  let session: SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch {
    return undefined;
  }
  const m = session.media?.find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) return undefined;
  const address = m.connection?.ip ?? session.connection?.ip;
  if (!address) return undefined;
  const payloadTypes = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
  const rtpmap = new Map((m.rtp ?? []).map((r) => [r.payload, r]));
  const findCodec = (name: string, staticPt: number): number | undefined =>
    payloadTypes.find((pt) => {
      const r = rtpmap.get(pt);
      return r ? r.codec.toUpperCase() === name && (r.rate ?? 8000) === 8000 : pt === staticPt;
    });
  const direction: MediaDirection = m.direction ?? session.direction ?? 'sendrecv';
  const out: SdpAudio = {
    address,
    port: m.port,
    rtcpPort: m.rtcpMux ? m.port : (m.rtcp?.port ?? m.port + 1),
    rtcpMux: m.rtcpMux !== undefined,
    payloadTypes,
    direction,
    onHold: direction === 'sendonly' || direction === 'inactive' || UNSPECIFIED.has(address),
  };
  const pcmu = findCodec('PCMU', 0);
  if (pcmu !== undefined) out.pcmu = pcmu;
  const pcma = findCodec('PCMA', 8);
  if (pcma !== undefined) out.pcma = pcma;
  // Prefer the 8 kHz telephone-event when several rates are offered (the G.711 rate).
  const te = payloadTypes
    .map((pt) => rtpmap.get(pt))
    .filter((r) => r?.codec.toLowerCase() === 'telephone-event')
    .sort((x, y) => Number((x?.rate ?? 8000) !== 8000) - Number((y?.rate ?? 8000) !== 8000))[0];
  if (te) {
    const events = m.fmtp?.find((f) => f.payload === te.payload)?.config;
    out.telephoneEvent = { payloadType: te.payload, clockRate: te.rate ?? 8000 };
    if (events) out.telephoneEvent.events = events;
  }
  if (m.ptime !== undefined) out.ptime = Number(m.ptime);
  return out;
}

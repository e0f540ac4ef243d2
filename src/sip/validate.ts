/**
 * What a server checks in a syntactically parsed request before acting on it, in the
 * order of RFC 3261 §8.2 (and §16.3 for Max-Forwards), returning the response to send:
 *
 *   505 version → 400 structure (mandatory fields, Via, CSeq, name-addrs, scalars)
 *   → 483 Max-Forwards 0 → 416 Request-URI scheme → 420 Require → 415 body type
 *
 * Max-Forwards 0 on OPTIONS is not rejected: twinline answers the OPTIONS itself, as a
 * UAS (RFC 3261 §16.3 step 3 lets the element respond to an OPTIONS with Max-Forwards 0,
 * and RFC 4475 §3.3.11 expects an endpoint to process it normally).
 *
 * `responseDefect` is the counterpart for responses; a defective response is dropped.
 */
import { MAGIC_COOKIE, parseCSeq, parseVia } from './fields.js';
import type { SipRequest, SipResponse } from './message.js';
import { parseGenericParams, parseNameAddr, splitList, trimWs } from './name-addr.js';
import { isSipUri, parseUri } from './uri.js';

export interface ServerPolicy {
  /** Option tags this server implements (RFC 3261 §19.2), e.g. [] or ['replaces']. */
  supportedExtensions: readonly string[];
  /**
   * Body media types the server can process (RFC 3261 §8.2.3); when set, a request whose
   * body has another type is answered 415 with an Accept header. Unset: not checked here.
   */
  acceptedContentTypes?: readonly string[];
}

export interface Rejection {
  status: number;
  reason: string;
  headers?: [string, string][];
}

const SINGLE_VALUED = ['To', 'From', 'Call-ID', 'CSeq'] as const;
const CALL_ID_RE = /^[\x21-\x7e]+$/;
// RFC 3261 §25.1 rfc1123-date, which always says GMT
const DATE_RE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const bad = (reason: string): Rejection => ({ status: 400, reason });

/** Undefined when the request may proceed; otherwise the response a server would send. */
export function checkRequest(req: SipRequest, policy: ServerPolicy): Rejection | undefined {
  // RFC 3261 §21.5.6: only SIP/2.0 is spoken (RFC 4475 §3.1.2.16)
  if (req.version.toUpperCase() !== 'SIP/2.0') return { status: 505, reason: 'Version Not Supported' };

  const structural = structureDefect(req);
  if (structural) return bad(structural);

  const uri = parseUri(req.uri);
  if (!uri) return bad('Malformed Request-URI');
  // RFC 3261 §19.1.1 (table): header components are not allowed in a Request-URI (RFC 4475 §3.1.2.11)
  if (isSipUri(uri) && uri.headers.size > 0) return bad('Headers not allowed in Request-URI');

  const mfText = req.headers.get('max-forwards');
  // RFC 3261 §16.3 step 3: Max-Forwards 0 ends the journey here, except OPTIONS (see above)
  if (mfText !== undefined && Number(trimWs(mfText)) === 0 && req.method !== 'OPTIONS') {
    return { status: 483, reason: 'Too Many Hops' };
  }

  // RFC 3261 §8.2.2.1: a Request-URI scheme we cannot handle gets 416 (RFC 4475 §3.3.2, §3.3.3)
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips' && uri.scheme !== 'tel') {
    return { status: 416, reason: 'Unsupported URI Scheme' };
  }

  // RFC 3261 §8.2.2.3: unknown Require option tags get 420 listing them; never for ACK/CANCEL
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    const unsupported: string[] = [];
    for (const value of req.headers.getAll('require')) {
      for (const tag of value.split(',').map(trimWs)) {
        if (tag !== '' && !policy.supportedExtensions.includes(tag) && !unsupported.includes(tag)) {
          unsupported.push(tag);
        }
      }
    }
    if (unsupported.length > 0) {
      return { status: 420, reason: 'Bad Extension', headers: [['Unsupported', unsupported.join(', ')]] };
    }
  }

  // RFC 3261 §8.2.3: a body of a type the server cannot process gets 415 with Accept
  const accepted = policy.acceptedContentTypes;
  if (accepted && req.body.length > 0 && req.method !== 'ACK' && req.method !== 'CANCEL') {
    const type = trimWs((req.headers.get('content-type') ?? '').split(';')[0] ?? '').toLowerCase();
    if (!accepted.some((a) => a.toLowerCase() === type)) {
      return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', accepted.join(', ')]] };
    }
  }
  return undefined;
}

/** The first structural defect of a request (a 400 reason), or undefined. */
function structureDefect(req: SipRequest): string | undefined {
  // RFC 3261 §8.1.1: To, From, CSeq, Call-ID and Via are mandatory; the first four are
  // single-valued (RFC 4475 §3.3.1 insuf, §3.3.8 multi01)
  for (const name of SINGLE_VALUED) {
    const count = req.headers.getAll(name).length;
    if (count === 0) return `Missing ${name}`;
    if (count > 1) return `Multiple ${name} header fields`;
  }
  const viaDefect = viasDefect(req.headers.getAll('via'), true);
  if (viaDefect) return viaDefect;

  // RFC 3261 §8.1.1.5: CSeq is a 32-bit number and the request's own method (RFC 4475 §3.1.2.17/18)
  const cseq = parseCSeq(req.headers.get('cseq'));
  if (!cseq) return 'Malformed CSeq';
  if (cseq.method !== req.method) return 'CSeq method does not match the request method';

  if (!CALL_ID_RE.test(trimWs(req.headers.get('call-id') ?? ''))) return 'Malformed Call-ID';

  // RFC 3261 §20.20, §20.39: From and To are one name-addr or addr-spec each
  if (!parseNameAddr(req.headers.get('from') ?? '')) return 'Malformed From';
  if (!parseNameAddr(req.headers.get('to') ?? '')) return 'Malformed To';

  for (const name of ['Contact', 'Route', 'Record-Route']) {
    const values = req.headers.getAll(name);
    for (const value of values) {
      const items = splitList(value);
      if (!items) return `Malformed ${name}`;
      for (const item of items) {
        // RFC 3261 §10.2.2: the wildcard Contact `*` only in a REGISTER, alone
        if (
          name === 'Contact' &&
          item === '*' &&
          req.method === 'REGISTER' &&
          values.length === 1 &&
          items.length === 1
        ) {
          continue;
        }
        if (!parseNameAddr(item)) return `Malformed ${name}`;
      }
    }
  }

  const mf = req.headers.getAll('max-forwards');
  if (mf.length > 1) return 'Multiple Max-Forwards header fields';
  // RFC 3261 §20.22: Max-Forwards is 0–255 (RFC 4475 §3.1.2.4 scalar02 has 300)
  if (mf.length === 1 && !(/^\d+$/.test(trimWs(mf[0]!)) && Number(trimWs(mf[0]!)) <= 255)) {
    return 'Malformed Max-Forwards';
  }

  // RFC 3261 §20.17: Date is an RFC 1123 date in GMT (RFC 4475 §3.1.2.12 baddate)
  const date = req.headers.get('date');
  if (date !== undefined && !DATE_RE.test(trimWs(date))) return 'Malformed Date';
  return undefined;
}

function viasDefect(values: string[], isRequest: boolean): string | undefined {
  if (values.length === 0) return 'Missing Via';
  let top = true;
  for (const value of values) {
    const items = splitList(value);
    if (!items) return 'Malformed Via';
    for (const item of items) {
      const via = parseVia(item);
      const semi = item.indexOf(';');
      // RFC 3261 §20.42 via-parm: every parameter is a well-formed generic-param (RFC 4475 §3.1.2.1)
      if (!via || (semi >= 0 && !parseGenericParams(item, semi))) return 'Malformed Via';
      // RFC 4475 §3.2.1: the magic cookie alone is no transaction identifier; reject
      // (statelessly, by the caller) rather than guess an RFC 2543 match
      if (top && isRequest && via.branch === MAGIC_COOKIE) return 'Via branch has no transaction identifier';
      top = false;
    }
  }
  return undefined;
}

/** A reason to drop a response (RFC 3261 §18.1.2, RFC 4475 §3.1.2.5), or undefined. */
export function responseDefect(res: SipResponse): string | undefined {
  if (res.version.toUpperCase() !== 'SIP/2.0') return 'Unsupported SIP version';
  for (const name of SINGLE_VALUED) {
    const count = res.headers.getAll(name).length;
    if (count !== 1) return count === 0 ? `Missing ${name}` : `Multiple ${name} header fields`;
  }
  if (!parseCSeq(res.headers.get('cseq'))) return 'Malformed CSeq';
  return viasDefect(res.headers.getAll('via'), false);
}

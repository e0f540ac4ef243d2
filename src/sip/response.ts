/**
 * Building a response from the request it answers (RFC 3261 §8.2.6), shared by the
 * transaction layer (100 Trying, 487, 481, 200 to CANCEL), dialogs and every UAS.
 */
import { toTagOf } from './fields.js';
import { newTag } from './ids.js';
import { makeResponse, type SipRequest, type SipResponse } from './message.js';

/** Standard reason phrases (RFC 3261 §21 and the RFCs that added codes since). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  433: 'Anonymity Disallowed',
  436: 'Bad Identity-Info',
  437: 'Unsupported Certificate',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded',
  469: 'Bad Info Package',
  470: 'Consent Needed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

/** The standard phrase for `status`, or a generic one for its class (RFC 3261 §21). */
export function reasonPhrase(status: number): string {
  const known = REASON_PHRASES[status];
  if (known) return known;
  if (status < 200) return 'Provisional';
  if (status < 300) return 'Success';
  if (status < 400) return 'Redirection';
  if (status < 500) return 'Client Error';
  if (status < 600) return 'Server Error';
  return 'Global Failure';
}

/** Appends `;tag=…` to a From/To header value. */
export function withTag(value: string, tag: string): string {
  return `${value};tag=${tag}`;
}

/**
 * RFC 3261 §8.2.6.2: a response to `request`. Via fields (all of them, in order), From,
 * Call-ID and CSeq are copied; To is copied and, for any status above 100 whose request
 * had no To tag, gets `toTag` (a fresh random tag when none is given — a UAS that sends
 * several responses to one request must pass the same tag each time).
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  toTag?: string,
): SipResponse {
  const response = makeResponse(status, reason ?? reasonPhrase(status));
  const h = response.headers;
  for (const field of request.headers.fields) {
    const name = field.name.toLowerCase();
    // RFC 3261 §8.2.6.2: the Via header field values MUST equal the request's, in order.
    if (name === 'via' || name === 'v') h.append('Via', field.value);
  }
  const from = request.headers.get('from');
  if (from !== undefined) h.append('From', from);
  const to = request.headers.get('to');
  if (to !== undefined) {
    // RFC 3261 §8.2.6.2: a UAS adds a To tag unless the request had one; 100 never carries one.
    const tagged = status > 100 && toTagOf(request) === undefined ? withTag(to, toTag ?? newTag()) : to;
    h.append('To', tagged);
  }
  const callId = request.headers.get('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = request.headers.get('cseq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  // RFC 3261 §8.2.6.1: a 100 Trying copies the request's Timestamp.
  const timestamp = request.headers.get('timestamp');
  if (status === 100 && timestamp !== undefined) h.append('Timestamp', timestamp);
  return response;
}

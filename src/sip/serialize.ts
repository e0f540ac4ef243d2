/**
 * Renders the message model to wire bytes: start line, header fields, CRLF, body.
 *
 * A field (or start line) that came from parse.ts and was not edited is written back with
 * its original bytes (folding, spacing and compact names kept), so parse ∘ serialize is
 * byte-exact for the header section. The one deliberate change: Content-Length always
 * states the body's real length (RFC 3261 §20.14); it is added when missing and extra
 * Content-Length fields are dropped.
 */
import { type HeaderField, headerKey, type SipMessage } from './message.js';
import { type RawMessage, rawMessages, renderStartLine, startPartsOf } from './raw.js';

/** Index of `field` among the parsed fields of `raw`, looked for from `from` first. */
function parsedIndex(raw: RawMessage, field: HeaderField, from: number): number {
  if (raw.fields[from] === field) return from;
  return raw.fields.indexOf(field);
}

function sameStartLine(raw: RawMessage, msg: SipMessage): boolean {
  const now = startPartsOf(msg);
  return now[0] === raw.startParts[0] && now[1] === raw.startParts[1] && now[2] === raw.startParts[2];
}

export function serializeMessage(msg: SipMessage): Buffer {
  const raw = rawMessages.get(msg);
  const length = msg.body.length;
  let sawLength = false;
  // Text runs and original byte ranges, in order; most messages (those twinline builds)
  // are a single text run.
  const chunks: (string | RawMessage['source'])[] = [];
  let text = '';
  if (raw && sameStartLine(raw, msg)) {
    chunks.push(raw.source.subarray(raw.startLineStart, raw.startLineEnd));
    text = '\r\n';
  } else {
    text = `${renderStartLine(msg)}\r\n`;
  }
  let cursor = 0;
  for (const field of msg.headers.fields) {
    if (headerKey(field.name) === 'content-length') {
      if (sawLength) continue;
      sawLength = true;
      if (field.value.trim() !== String(length)) {
        text += `${field.name}: ${length}\r\n`;
        continue;
      }
    }
    const i = raw ? parsedIndex(raw, field, cursor) : -1;
    if (raw && i >= 0 && raw.values[i] === field.value) {
      cursor = i + 1;
      if (text !== '') chunks.push(text);
      chunks.push(raw.source.subarray(raw.ranges[2 * i], raw.ranges[2 * i + 1]));
      text = '\r\n';
    } else {
      text += `${field.name}: ${field.value}\r\n`;
    }
  }
  // RFC 3261 §18.3 / §20.14: always state the body length (mandatory on streams)
  if (!sawLength) text += `Content-Length: ${length}\r\n`;
  text += '\r\n';
  chunks.push(text);

  let size = length;
  for (const c of chunks) size += typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : c.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const c of chunks) at += typeof c === 'string' ? out.write(c, at, 'utf8') : c.copy(out, at);
  if (length > 0) msg.body.copy(out, at);
  return out;
}

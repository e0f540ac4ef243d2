/**
 * Renders the message model to wire bytes: start line, header fields, CRLF, body.
 *
 * A field (or start line) that came from parse.ts and was not edited is written back with
 * its original bytes (folding, spacing and compact names kept), so parse ∘ serialize is
 * byte-exact for the header section. The one deliberate change: Content-Length always
 * states the body's real length (RFC 3261 §20.14); it is added when missing and extra
 * Content-Length fields are dropped.
 */
import { headerKey, type SipMessage } from './message.js';
import { rawFields, rawStartLines, renderStartLine } from './raw.js';

const CRLF = Buffer.from('\r\n');

export function serializeMessage(msg: SipMessage): Buffer {
  const parts: Buffer[] = [];
  const rendered = renderStartLine(msg);
  const rawStart = rawStartLines.get(msg);
  parts.push(
    rawStart && rawStart.rendered === rendered ? rawStart.bytes : Buffer.from(rendered, 'utf8'),
    CRLF,
  );

  const length = msg.body.length;
  let sawLength = false;
  let text = '';
  const flushText = () => {
    if (text !== '') parts.push(Buffer.from(text, 'utf8'));
    text = '';
  };
  for (const field of msg.headers.fields) {
    if (headerKey(field.name) === 'content-length') {
      if (sawLength) continue;
      sawLength = true;
      if (field.value.trim() !== String(length)) {
        text += `${field.name}: ${length}\r\n`;
        continue;
      }
    }
    const raw = rawFields.get(field);
    if (raw && raw.value === field.value && raw.name === field.name) {
      flushText();
      parts.push(raw.bytes, CRLF);
    } else {
      text += `${field.name}: ${field.value}\r\n`;
    }
  }
  // RFC 3261 §18.3 / §20.14: always state the body length (mandatory on streams)
  if (!sawLength) text += `Content-Length: ${length}\r\n`;
  text += '\r\n';
  flushText();
  if (length > 0) parts.push(msg.body);
  return Buffer.concat(parts);
}

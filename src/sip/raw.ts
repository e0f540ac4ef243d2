/**
 * The wire bytes a parsed message came from, remembered beside the message model so the
 * serialiser can reproduce them exactly (folding, spacing, compact names, non-UTF-8 bytes)
 * as long as the field or start line has not been changed. The model in message.ts stays
 * plain data; this side table is private to the parse/serialise pair.
 */
import type { HeaderField, SipMessage } from './message.js';

export interface RawField {
  /** The field's bytes, from its name to the end of its last folded line (no final CRLF). */
  bytes: Buffer;
  name: string;
  value: string;
}

export interface RawStartLine {
  bytes: Buffer;
  /** The start line as the model rendered it when parsed; any edit makes it differ. */
  rendered: string;
}

export const rawFields = new WeakMap<HeaderField, RawField>();
export const rawStartLines = new WeakMap<SipMessage, RawStartLine>();

/** The start line of a message as the model describes it (used to detect edits). */
export function renderStartLine(msg: SipMessage): string {
  return msg.type === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}`
    : `${msg.version} ${msg.status} ${msg.reason}`;
}

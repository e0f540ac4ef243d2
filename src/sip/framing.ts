/**
 * Cuts a TCP byte stream into SIP messages (RFC 3261 §18.3): the header section ends at
 * the first empty line, and Content-Length — mandatory on a stream — says how many body
 * octets follow. The framer holds at most `maxMessageBytes` of one unfinished message;
 * beyond that, or when Content-Length is missing or invalid, it reports an error and
 * stops: the stream can no longer be resynchronised and the caller closes the connection
 * (answering 513 or 400 first if it wishes).
 */
import { type ParseLimits, resolveLimits } from './limits.js';

const CR = 0x0d;
const LF = 0x0a;

export interface FramingError {
  status: number;
  reason: string;
}

export class StreamFramer {
  private readonly limits: ParseLimits;
  private pending: Buffer = Buffer.alloc(0);
  /** How far the search for the end of the header section has already looked. */
  private scanned = 0;
  private failure: FramingError | undefined;

  constructor(limits?: Partial<ParseLimits>) {
    this.limits = resolveLimits(limits);
  }

  /** Adds bytes from the stream and returns every message they complete. */
  push(chunk: Buffer): { messages: Buffer[]; error?: FramingError } {
    const messages: Buffer[] = [];
    if (this.failure) return { messages, error: this.failure };
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      // RFC 5626 §4.4.1: CRLF keep-alives (and RFC 3261 §7.5 stray CRLFs) between messages
      let skip = 0;
      while (skip < this.pending.length && (this.pending[skip] === CR || this.pending[skip] === LF)) skip++;
      if (skip > 0) {
        this.pending = this.pending.subarray(skip);
        this.scanned = 0;
      }
      if (this.pending.length === 0) break;
      const headerEnd = this.findHeaderEnd();
      if (headerEnd < 0) {
        if (this.pending.length > this.limits.maxMessageBytes)
          return this.fail(messages, 513, 'Message Too Large');
        break;
      }
      const length = contentLength(this.pending.subarray(0, headerEnd));
      // RFC 3261 §18.3: on a stream, Content-Length MUST be present
      if (length === undefined) return this.fail(messages, 400, 'Missing Content-Length on a stream');
      if (length === null) return this.fail(messages, 400, 'Invalid Content-Length');
      const total = headerEnd + length;
      if (total > this.limits.maxMessageBytes) return this.fail(messages, 513, 'Message Too Large');
      if (this.pending.length < total) break;
      messages.push(Buffer.from(this.pending.subarray(0, total)));
      this.pending = this.pending.subarray(total);
      this.scanned = 0;
    }
    if (this.pending.length === 0) this.pending = Buffer.alloc(0);
    return { messages };
  }

  private fail(
    messages: Buffer[],
    status: number,
    reason: string,
  ): { messages: Buffer[]; error: FramingError } {
    this.failure = { status, reason };
    this.pending = Buffer.alloc(0);
    return { messages, error: this.failure };
  }

  /** Offset just past the empty line ending the header section, or -1 if not yet received. */
  private findHeaderEnd(): number {
    const buf = this.pending;
    let i = Math.max(0, this.scanned - 3);
    for (;;) {
      const lf = buf.indexOf(LF, i);
      if (lf < 0) break;
      // An empty line: LF followed by CRLF or by LF
      if (buf[lf + 1] === LF) return lf + 2;
      if (buf[lf + 1] === CR && buf[lf + 2] === LF) return lf + 3;
      if (lf + 2 >= buf.length) break;
      i = lf + 1;
    }
    this.scanned = buf.length;
    return -1;
  }
}

/** Content-Length from a header section: undefined when absent, null when invalid or repeated. */
function contentLength(head: Buffer): number | null | undefined {
  const text = head.toString('latin1');
  let found: number | null | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^(content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i.exec(line);
    if (!m) continue;
    if (found !== undefined || !/^\d{1,10}$/.test(m[2]!)) return null;
    found = Number(m[2]);
  }
  return found;
}

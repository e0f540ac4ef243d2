import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../../src/sip/parse.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));
const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 INVITE',
];

function ok(bytes: Buffer) {
  const r = parseMessage(bytes);
  if (!r.ok) assert.fail(`rejected: ${r.status} ${r.reason}`);
  return r.message;
}

describe('parseMessage', () => {
  it('parses a request line and header fields in order', () => {
    const msg = ok(crlf([...INVITE, 'Content-Length: 0', '', '']));
    assert.equal(msg.type, 'request');
    assert.equal(msg.type === 'request' && msg.method, 'INVITE');
    assert.equal(msg.type === 'request' && msg.uri, 'sip:bob@example.com');
    assert.deepEqual(
      msg.headers.fields.map((f) => f.name),
      ['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq', 'Content-Length'],
    );
  });

  it('unfolds continuation lines into one SP (RFC 3261 §7.3.1)', () => {
    const msg = ok(crlf([...INVITE, "Subject: I know you're", '   there,', '\tpick up!', 'l: 0', '', '']));
    assert.equal(msg.headers.get('subject'), "I know you're there, pick up!");
  });

  it('finds compact forms through the long name', () => {
    const msg = ok(crlf([...INVITE, 'l: 0', 'i: compact', '', '']));
    assert.equal(msg.headers.getAll('call-id').length, 2);
    assert.equal(msg.headers.get('content-length'), '0');
  });

  it('skips CRLFs before the start line (RFC 3261 §7.5)', () => {
    const msg = ok(Buffer.concat([Buffer.from('\r\n\r\n'), crlf([...INVITE, 'l: 0', '', ''])]));
    assert.equal(msg.type, 'request');
  });

  it('cuts the body at Content-Length and drops extra datagram bytes (RFC 3261 §18.3)', () => {
    const msg = ok(crlf([...INVITE, 'Content-Length: 4', '', 'abcdEXTRA']));
    assert.equal(msg.body.toString(), 'abcd');
  });

  it('takes the rest of the datagram as body when Content-Length is missing', () => {
    const msg = ok(crlf([...INVITE, '', 'rest\0of it']));
    assert.equal(msg.body.toString('latin1'), 'rest\0of it');
  });

  it('keeps NUL bytes in the body', () => {
    const body = Buffer.from([0, 1, 0, 13, 10, 0]);
    const msg = ok(Buffer.concat([crlf([...INVITE, `Content-Length: ${body.length}`, '', '']), body]));
    assert.deepEqual(msg.body, body);
  });

  it('answers 400 when the datagram is shorter than Content-Length', () => {
    assert.deepEqual(parseMessage(crlf([...INVITE, 'Content-Length: 10', '', 'abc'])), {
      ok: false,
      status: 400,
      reason: 'Content-Length larger than message',
    });
  });

  it('answers 400 for a negative Content-Length', () => {
    const r = parseMessage(crlf([...INVITE, 'Content-Length: -1', '', '']));
    assert.equal(r.ok ? 0 : r.status, 400);
  });

  it('reads a UTF-8 reason phrase and an empty one', () => {
    const res = ok(
      crlf([
        'SIP/2.0 486 Занято',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'To: <sip:a@b>;tag=1',
        'From: <sip:c@d>;tag=2',
        'Call-ID: x',
        'CSeq: 1 INVITE',
        'l: 0',
        '',
        '',
      ]),
    );
    assert.equal(res.type === 'response' && res.reason, 'Занято');
    const empty = ok(
      crlf([
        'SIP/2.0 100 ',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'To: <sip:a@b>',
        'From: <sip:c@d>;tag=2',
        'Call-ID: x',
        'CSeq: 1 INVITE',
        'l: 0',
        '',
        '',
      ]),
    );
    assert.equal(empty.type === 'response' && empty.reason, '');
  });

  it('keeps a BOM at the start of a header value (no String.trim)', () => {
    const msg = ok(crlf([...INVITE, 'X-Odd:\uFEFFvalue', 'l: 0', '', '']));
    assert.equal(msg.headers.get('x-odd'), '\uFEFFvalue');
  });

  it('rejects a header line without a colon with 400', () => {
    const r = parseMessage(crlf([...INVITE, 'NoColonHere', 'l: 0', '', '']));
    assert.equal(r.ok ? 0 : r.status, 400);
  });

  it('silently discards a malformed response (status 0)', () => {
    const r = parseMessage(crlf(['SIP/2.0 2000 OK', 'l: 0', '', '']));
    assert.equal(r.ok ? -1 : r.status, 0);
  });

  it('answers 513 for a request over the size limit, 0 for a response', () => {
    const big = crlf([...INVITE, `X-Pad: ${'a'.repeat(2000)}`, 'l: 0', '', '']);
    assert.equal((parseMessage(big, { maxMessageBytes: 1000 }) as { status: number }).status, 513);
    const res = crlf(['SIP/2.0 200 OK', `X-Pad: ${'a'.repeat(2000)}`, '', '']);
    assert.equal((parseMessage(res, { maxMessageBytes: 1000 }) as { status: number }).status, 0);
  });

  it('answers 513 when the header count limit is exceeded', () => {
    const many = Array.from({ length: 20 }, (_, i) => `X-H${i}: v`);
    const r = parseMessage(crlf([...INVITE, ...many, 'l: 0', '', '']), { maxHeaders: 10 });
    assert.equal(r.ok ? 0 : r.status, 513);
  });

  it('answers 513 for a header field over the line limit, folded lines included', () => {
    const r = parseMessage(crlf([...INVITE, 'X-Long: a', ` ${'b'.repeat(300)}`, 'l: 0', '', '']), {
      maxHeaderLineBytes: 200,
    });
    assert.equal(r.ok ? 0 : r.status, 513);
  });

  it('accepts a bracketed IPv6 Request-URI and rejects a bare one (RFC 5118 §4.2)', () => {
    const lines = (uri: string) =>
      crlf([`OPTIONS ${uri} SIP/2.0`, ...INVITE.slice(1, 6), 'CSeq: 1 OPTIONS', 'l: 0', '', '']);
    assert.ok(parseMessage(lines('sip:[2001:db8::10]:5070')).ok);
    assert.equal((parseMessage(lines('sip:2001:db8::10')) as { status: number }).status, 400);
  });

  it('never throws on empty or garbage input', () => {
    for (const s of ['', '\r\n', 'x', 'SIP/', 'INVITE', 'A B C\r\n', ':\r\n\r\n', '\0\0\0']) {
      const r = parseMessage(Buffer.from(s));
      assert.equal(r.ok, false);
    }
  });
});

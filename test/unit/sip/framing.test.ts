import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamFramer } from '../../../src/sip/framing.js';

const msg = (body: string, cl = String(Buffer.byteLength(body))) =>
  `OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: ${cl}\r\n\r\n${body}`;

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('cuts back-to-back messages by Content-Length', () => {
    const f = new StreamFramer();
    const r = f.push(Buffer.from(msg('hello') + msg('')));
    assert.deepEqual(r.messages.map(String), [msg('hello'), msg('')]);
    assert.equal(r.error, undefined);
  });

  it('reassembles a message split at every byte', () => {
    const f = new StreamFramer();
    const whole = Buffer.from(msg('body\r\n\r\nwith blank lines') + msg('x'));
    const out: string[] = [];
    for (const b of whole) out.push(...f.push(Buffer.from([b])).messages.map(String));
    assert.deepEqual(out, [msg('body\r\n\r\nwith blank lines'), msg('x')]);
  });

  it('skips CRLF keep-alives between messages (RFC 5626 §4.4.1)', () => {
    const f = new StreamFramer();
    assert.deepEqual(f.push(Buffer.from('\r\n\r\n')).messages, []);
    const r = f.push(Buffer.from(`\r\n\r\n${msg('a')}\r\n\r\n`));
    assert.deepEqual(r.messages.map(String), [msg('a')]);
  });

  it('reports 400 when Content-Length is missing on a stream and stays failed', () => {
    const f = new StreamFramer();
    const r = f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'));
    assert.equal(r.error?.status, 400);
    assert.equal(f.push(Buffer.from(msg(''))).error?.status, 400);
  });

  it('reports 400 for an invalid Content-Length', () => {
    assert.equal(new StreamFramer().push(Buffer.from(msg('', '-5'))).error?.status, 400);
  });

  it('reports 513 when a declared body would exceed the limit', () => {
    const f = new StreamFramer({ maxMessageBytes: 1000 });
    assert.equal(f.push(Buffer.from(msg('', '5000'))).error?.status, 513);
  });

  it('reports 513 rather than buffering an endless header section', () => {
    const f = new StreamFramer({ maxMessageBytes: 1000 });
    let error: number | undefined;
    for (let i = 0; i < 100 && error === undefined; i++)
      error = f.push(Buffer.from('X-Junk: aaaaaaaaaa\r\n')).error?.status;
    assert.equal(error, 513);
  });

  it('reads the compact form l: and returns messages completed before an error', () => {
    const f = new StreamFramer();
    const ok = 'BYE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhi';
    const r = f.push(Buffer.from(`${ok}OPTIONS sip:a@b SIP/2.0\r\n\r\n`));
    assert.deepEqual(r.messages.map(String), [ok]);
    assert.equal(r.error?.status, 400);
  });
});

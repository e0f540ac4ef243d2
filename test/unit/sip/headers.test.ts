import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Headers } from '../../../src/sip/message.js';

const headers = (...fields: [string, string][]) =>
  new Headers(fields.map(([name, value]) => ({ name, value })));

describe('Headers lookups (RFC 3261 §7.3.1, §7.3.3)', () => {
  it('§7.3.1: names compare case-insensitively', () => {
    const h = headers(['CALL-ID', 'a@b'], ['cseq', '1 INVITE'], ['fRoM', '<sip:a@b>;tag=1']);
    assert.equal(h.get('Call-ID'), 'a@b');
    assert.equal(h.get('CSeq'), '1 INVITE');
    assert.equal(h.get('from'), '<sip:a@b>;tag=1');
  });

  it('§7.3.3: a compact name is found through its long form, and a long name through its compact form, in either case', () => {
    const h = headers(['i', 'a@b'], ['V', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['To', '<sip:b@c>']);
    assert.equal(h.get('call-id'), 'a@b');
    assert.equal(h.get('I'), 'a@b');
    assert.equal(h.get('via'), 'SIP/2.0/UDP h;branch=z9hG4bK1');
    assert.equal(h.get('t'), '<sip:b@c>');
    assert.equal(h.has('m'), false);
  });

  it('getAll keeps wire order across compact and long names', () => {
    const h = headers(['Via', 'v1'], ['Max-Forwards', '70'], ['v', 'v2'], ['VIA', 'v3']);
    assert.deepEqual(h.getAll('via'), ['v1', 'v2', 'v3']);
    assert.deepEqual(h.getAll('v'), ['v1', 'v2', 'v3']);
    assert.deepEqual(h.getAll('route'), []);
  });

  it('a one-letter name that is no compact form is only itself', () => {
    const h = headers(['z', 'zed'], ['Z', 'big zed']);
    assert.equal(h.get('Z'), 'zed');
    assert.equal(h.get('via'), undefined);
  });

  it('a name that is not ASCII is still compared by its lower-case form', () => {
    const h = headers(['X-Ümlaut', 'one'], ['X-İd', 'two']);
    assert.equal(h.get('x-ümlaut'), 'one');
    assert.equal(h.get('X-İD'), 'two');
  });

  it('sees fields changed through the public array', () => {
    const h = headers(['Via', 'v1']);
    h.fields.unshift({ name: 'v', value: 'v0' });
    assert.equal(h.get('via'), 'v0');
    h.fields.splice(0, 2);
    assert.equal(h.get('via'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNameAddr, parseNameAddr } from '../../../src/sip/name-addr.js';
import { formatUri, parseUri, type SipUri, uriEquals } from '../../../src/sip/uri.js';

const sip = (text: string) => {
  const u = parseUri(text);
  assert.ok(u && (u.scheme === 'sip' || u.scheme === 'sips'), text);
  return u as SipUri;
};

describe('parseUri', () => {
  it('splits user, password, host, port, params and headers, keeping escapes raw', () => {
    const u = sip('sips:al%69ce:secret@Example.COM:5061;transport=tcp;lr?Subject=hi%20there&Priority=urgent');
    assert.equal(u.scheme, 'sips');
    assert.equal(u.user, 'al%69ce');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'Example.COM');
    assert.equal(u.port, 5061);
    assert.deepEqual(
      [...u.params],
      [
        ['transport', 'tcp'],
        ['lr', null],
      ],
    );
    assert.deepEqual(
      [...u.headers],
      [
        ['Subject', 'hi%20there'],
        ['Priority', 'urgent'],
      ],
    );
  });

  it('allows ; and ? in the user part (RFC 4475 §3.1.1.9, §3.1.1.2)', () => {
    assert.equal(sip('sip:user;par=u%40example.net@example.com').user, 'user;par=u%40example.net');
    const odd = sip(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    assert.equal(odd.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  });

  it('reads IPv6 references and their ports (RFC 5118 §4.3)', () => {
    assert.deepEqual(
      [sip('sip:[2001:db8::10:5070]').host, sip('sip:[2001:db8::10:5070]').port],
      ['[2001:db8::10:5070]', undefined],
    );
    assert.equal(sip('sip:[2001:db8::10]:5070').port, 5070);
    assert.equal(parseUri('sip:[2001:db8:::192.0.2.1]'), undefined);
    assert.equal(parseUri('sip:2001:db8::10'), undefined);
  });

  it('parses tel URIs and keeps other schemes opaque', () => {
    assert.deepEqual(parseUri('tel:+1-201-555-0123;phone-context=example.com'), {
      scheme: 'tel',
      number: '+1-201-555-0123',
      params: new Map([['phone-context', 'example.com']]),
    });
    assert.deepEqual(parseUri('isbn:2983792873'), { scheme: 'isbn', opaque: '2983792873' });
  });

  it('rejects malformed URIs', () => {
    for (const t of [
      'sip:',
      'sip:@host',
      'sip:host:99999',
      'sip:host;',
      'sip:a b@host',
      'nocolon',
      '<sip:a@b>',
      'sip:host?x',
    ]) {
      assert.equal(parseUri(t), undefined, t);
    }
  });

  it('formats back to the same text', () => {
    for (const t of [
      'sip:alice@atlanta.com;transport=tcp',
      'sips:[2001:db8::1]:5061;lr',
      'sip:a%20b@h?X=1&Y=2',
      'tel:+4930123;ext=5',
    ]) {
      assert.equal(formatUri(parseUri(t)!), t);
    }
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  it('unescapes once: %61 equals a, but v%61lue%25%34%31 is value%41, not valueA (RFC 4475 §3.1.1.3)', () => {
    assert.ok(uriEquals('sip:%61lice@atlanta.com', 'sip:alice@atlanta.com'));
    assert.ok(uriEquals('sip:h;name=v%61lue%25%34%31', 'sip:h;name=value%2541'));
    assert.ok(!uriEquals('sip:h;name=v%61lue%25%34%31', 'sip:h;name=valueA'));
  });

  it('keeps escaped NULs distinct (RFC 4475 §3.1.1.4)', () => {
    assert.ok(!uriEquals('sip:%00@h', 'sip:%00%00@h'));
    assert.ok(uriEquals('sip:null-%00-null@h', 'sip:null-%00-null@H'));
  });

  it('compares userinfo case-sensitively and host case-insensitively', () => {
    assert.ok(uriEquals('sip:alice@AtLanTa.CoM;Transport=UDP', 'sip:alice@atlanta.com;transport=udp'));
    assert.ok(!uriEquals('sip:ALICE@atlanta.com', 'sip:alice@atlanta.com'));
  });

  it('treats an explicit default port as different from none', () => {
    assert.ok(!uriEquals('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'));
  });

  it('ignores unknown params in one side only, but not transport/user/method/maddr/ttl', () => {
    assert.ok(uriEquals('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
    assert.ok(!uriEquals('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'));
    assert.ok(!uriEquals('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
  });

  it('requires headers on both sides', () => {
    assert.ok(!uriEquals('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
    assert.ok(uriEquals('sip:c@h?Subject=a%20b', 'sip:c@h?subject=a b'.replace(' ', '%20')));
  });

  it('compares IPv6 hosts by address and sip with sips never', () => {
    assert.ok(uriEquals('sip:[2001:db8::1]', 'sip:[2001:0db8:0:0:0:0:0:1]'));
    assert.ok(!uriEquals('sip:a@h', 'sips:a@h'));
  });
});

describe('parseNameAddr', () => {
  it('reads a quoted display name with quoted-pairs', () => {
    const na = parseNameAddr('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com> ; tag = 98asjd8');
    assert.deepEqual(na, {
      displayName: 'J Rosenberg \\"',
      uri: 'sip:jdrosen@example.com',
      params: new Map([['tag', '98asjd8']]),
    });
  });

  it('treats ;params after an addr-spec as header params (RFC 4475 §3.3.12)', () => {
    const na = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam');
    assert.equal(na?.uri, 'sip:+19725552222@gw1.example.net');
    assert.deepEqual([...na!.params.keys()], ['unknownparam']);
  });

  it('accepts a token display name glued to < (RFC 4475 §3.1.1.6)', () => {
    assert.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323')?.displayName, 'caller');
  });

  it('rejects unbalanced quotes, spaces inside <>, commas in a token name, empty params, ? in addr-spec', () => {
    for (const t of [
      '"Mr. J. User <sip:j.user@example.com>',
      '"Watson, Thomas" < sip:t.watson@example.org >',
      'Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
      '"Joe" <sip:joe@example.org>;;;;',
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    ]) {
      assert.equal(parseNameAddr(t), undefined, t);
    }
  });

  it('formats with quotes only when needed', () => {
    assert.equal(
      formatNameAddr({ displayName: 'Alice', uri: 'sip:a@b', params: new Map([['tag', '1']]) }),
      'Alice <sip:a@b>;tag=1',
    );
    assert.equal(
      formatNameAddr({ displayName: 'A "B"', uri: 'sip:a@b', params: new Map() }),
      '"A \\"B\\"" <sip:a@b>',
    );
  });
});

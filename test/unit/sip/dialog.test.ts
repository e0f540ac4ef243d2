import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createUacDialog,
  createUasDialog,
  DialogStore,
  Invite2xxRetransmitter,
  isLooseRoute,
  uriOf,
} from '../../../src/sip/dialog.js';
import { cseqOf } from '../../../src/sip/fields.js';
import { createResponse } from '../../../src/sip/response.js';
import { DEFAULT_TIMER_CONFIG } from '../../../src/sip/transaction/index.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { request } from './transaction/helpers.js';

const RR = ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>, <sip:p3.example.com;lr>'];

function inviteAndAnswer(status: number, toTag = 'b1') {
  const invite = request('INVITE', { branch: 'z9hG4bKd1', cseq: 10 });
  const res = createResponse(invite, status, undefined, toTag);
  for (const rr of RR) res.headers.append('Record-Route', rr);
  res.headers.append('Contact', '<sip:bob@10.0.0.2:5070;transport=udp>');
  return { invite, res };
}

describe('dialog creation (RFC 3261 §12.1)', () => {
  it('§12.1.2: a 180 with a To tag creates an early UAC dialog: id, reversed Record-Route, Contact as remote target, local CSeq', () => {
    const { invite, res } = inviteAndAnswer(180);
    const d = createUacDialog(invite, res)!;
    assert.equal(d.state, 'Early');
    assert.deepEqual(d.id, { callId: 'call-1@10.0.0.1', localTag: 'a1', remoteTag: 'b1' });
    assert.deepEqual(d.routeSet, [
      '<sip:p3.example.com;lr>',
      '<sip:p2.example.com;lr>',
      '<sip:p1.example.com;lr>',
    ]);
    assert.equal(d.remoteTarget, 'sip:bob@10.0.0.2:5070;transport=udp');
    assert.equal(d.localSeq, 10);
    assert.equal(d.remoteSeq, undefined);
    assert.equal(d.remoteParty, '<sip:bob@example.com>;tag=b1');
  });

  it('§12.1.2: a provisional response without a To tag creates no dialog; neither does a 100 or a failure', () => {
    const invite = request('INVITE', { branch: 'z9hG4bKd1' });
    const untagged = createResponse(invite, 180);
    untagged.headers.set('To', '<sip:bob@example.com>');
    assert.equal(createUacDialog(invite, untagged), undefined);
    assert.equal(createUacDialog(invite, createResponse(invite, 100)), undefined);
    assert.equal(createUacDialog(invite, createResponse(invite, 486, undefined, 'x')), undefined);
  });

  it('§13.2.2.4: a 2xx confirms the early dialog and its route set is recomputed from the 2xx', () => {
    const { invite, res } = inviteAndAnswer(180);
    const d = createUacDialog(invite, res)!;
    const ok = createResponse(invite, 200, undefined, 'b1');
    ok.headers.append('Record-Route', '<sip:only.example.com;lr>');
    ok.headers.append('Contact', '<sip:bob@10.0.0.9>');
    d.receiveResponse(ok);
    assert.equal(d.state, 'Confirmed');
    assert.deepEqual(d.routeSet, ['<sip:only.example.com;lr>']);
    assert.equal(d.remoteTarget, 'sip:bob@10.0.0.9');
  });

  it('§12.3: a non-2xx final response ends an early dialog', () => {
    const { invite, res } = inviteAndAnswer(183);
    const d = createUacDialog(invite, res)!;
    d.receiveResponse(createResponse(invite, 486, undefined, 'b1'));
    assert.equal(d.state, 'Terminated');
  });

  it('§12.1.1: the UAS dialog takes Record-Route in order, the request Contact as target and its CSeq as remote CSeq', () => {
    const invite = request('INVITE', { branch: 'z9hG4bKd1', cseq: 77 });
    for (const rr of RR) invite.headers.append('Record-Route', rr);
    const ok = createResponse(invite, 200, undefined, 'b1');
    const d = createUasDialog(invite, ok, '<sip:bob@10.0.0.2>')!;
    assert.equal(d.state, 'Confirmed');
    assert.deepEqual(d.id, { callId: 'call-1@10.0.0.1', localTag: 'b1', remoteTag: 'a1' });
    assert.deepEqual(d.routeSet, [
      '<sip:p1.example.com;lr>',
      '<sip:p2.example.com;lr>',
      '<sip:p3.example.com;lr>',
    ]);
    assert.equal(d.remoteTarget, 'sip:alice@10.0.0.1:5060');
    assert.equal(d.remoteSeq, 77);
    assert.equal(d.localSeq, undefined);
  });
});

describe('requests within a dialog (RFC 3261 §12.2.1)', () => {
  it('§12.2.1.1 loose routing: Request-URI is the remote target, Route is the route set; CSeq increases by one', () => {
    const { invite, res } = inviteAndAnswer(200);
    const d = createUacDialog(invite, res)!;
    const bye = d.createRequest('BYE');
    assert.equal(bye.uri, 'sip:bob@10.0.0.2:5070;transport=udp');
    assert.deepEqual(bye.headers.getAll('route'), [
      '<sip:p3.example.com;lr>',
      '<sip:p2.example.com;lr>',
      '<sip:p1.example.com;lr>',
    ]);
    assert.equal(bye.headers.get('cseq'), '11 BYE');
    assert.equal(bye.headers.get('from'), invite.headers.get('from'));
    assert.equal(bye.headers.get('to'), '<sip:bob@example.com>;tag=b1');
    assert.equal(bye.headers.get('call-id'), 'call-1@10.0.0.1');
    assert.equal(bye.headers.get('via'), undefined);
    assert.equal(d.createRequest('INFO').headers.get('cseq'), '12 INFO');
  });

  it('§12.2.1.1 strict routing: the first route (no lr) becomes the Request-URI; the rest plus the remote target become Route', () => {
    const invite = request('INVITE', { branch: 'z9hG4bKd1' });
    const ok = createResponse(invite, 200, undefined, 'b1');
    ok.headers.append('Record-Route', '<sip:p2.example.com;lr>');
    ok.headers.append('Record-Route', '<sip:strict.example.com;maddr=10.9.9.9>');
    ok.headers.append('Contact', '<sip:bob@10.0.0.2>');
    const d = createUacDialog(invite, ok)!;
    const bye = d.createRequest('BYE');
    assert.equal(bye.uri, 'sip:strict.example.com;maddr=10.9.9.9');
    assert.deepEqual(bye.headers.getAll('route'), ['<sip:p2.example.com;lr>', '<sip:bob@10.0.0.2>']);
  });

  it('§12.2.1.1: an empty route set sends straight to the remote target with no Route', () => {
    const invite = request('INVITE', { branch: 'z9hG4bKd1' });
    const ok = createResponse(invite, 200, undefined, 'b1');
    ok.headers.append('Contact', 'sip:bob@10.0.0.2');
    const bye = createUacDialog(invite, ok)!.createRequest('BYE');
    assert.equal(bye.uri, 'sip:bob@10.0.0.2');
    assert.deepEqual(bye.headers.getAll('route'), []);
  });

  it('§12.2.1.1: a UAS dialog with an empty local CSeq starts below 2^31 and counts up', () => {
    const invite = request('INVITE', { branch: 'z9hG4bKd1' });
    const d = createUasDialog(invite, createResponse(invite, 200, undefined, 'b1'))!;
    const first = cseqOf(d.createRequest('BYE'))!;
    assert.ok(first.seq >= 1 && first.seq < 2 ** 31);
    assert.equal(d.createRequest('INFO').headers.get('cseq'), `${first.seq + 1} INFO`);
    // UAS side: From is our To (with our tag), To is their From.
    const info = d.createRequest('INFO');
    assert.equal(info.headers.get('from'), '<sip:bob@example.com>;tag=b1');
    assert.equal(info.headers.get('to'), invite.headers.get('from'));
  });

  it('§12.2.1.1: target refresh requests carry the local Contact; others do not', () => {
    const { invite, res } = inviteAndAnswer(200);
    const d = createUacDialog(invite, res, '<sip:alice@10.0.0.1:5060>')!;
    assert.equal(d.createRequest('INVITE').headers.get('contact'), '<sip:alice@10.0.0.1:5060>');
    assert.equal(d.createRequest('BYE').headers.get('contact'), undefined);
  });

  it('§13.2.2.4: the ACK for a 2xx has the INVITE CSeq number with method ACK, the dialog route, and is the same message when built again', () => {
    const { invite, res } = inviteAndAnswer(200);
    const d = createUacDialog(invite, res)!;
    const ack = d.createAck(10);
    assert.equal(ack.method, 'ACK');
    assert.equal(ack.headers.get('cseq'), '10 ACK');
    assert.equal(ack.uri, 'sip:bob@10.0.0.2:5070;transport=udp');
    assert.equal(ack.headers.getAll('route').length, 3);
    assert.equal(d.createAck(10), ack);
    assert.equal(d.localSeq, 10);
  });

  it('§12.2.1.2: a 2xx to a re-INVITE replaces the remote target', () => {
    const { invite, res } = inviteAndAnswer(200);
    const d = createUacDialog(invite, res)!;
    const reinvite = d.createRequest('INVITE');
    const ok = createResponse(reinvite, 200);
    ok.headers.append('Contact', '<sip:bob@10.0.0.50>');
    d.receiveResponse(ok);
    assert.equal(d.remoteTarget, 'sip:bob@10.0.0.50');
  });
});

describe('requests received within a dialog (RFC 3261 §12.2.2)', () => {
  function uas() {
    const invite = request('INVITE', { branch: 'z9hG4bKd1', cseq: 5 });
    const store = new DialogStore();
    const d = store.uasResponse(invite, createResponse(invite, 200, undefined, 'b1'))!;
    return { store, d };
  }
  const inDialog = (method: string, cseq: number, extra: [string, string][] = []) =>
    request(method, { branch: `z9hG4bK${method}${cseq}`, toTag: 'b1', cseq, extra });

  it('§12.2.2: a request without a To tag is out of dialog', () => {
    const { store } = uas();
    assert.deepEqual(store.route(request('INVITE', { branch: 'z9hG4bKx' })), { kind: 'out-of-dialog' });
  });

  it('§12.2.2: a To tag matching no dialog gets 481; an ACK like that is dropped', () => {
    const { store } = uas();
    assert.deepEqual(store.route(request('BYE', { branch: 'z9hG4bKx', toTag: 'nope', cseq: 6 })), {
      kind: 'reject',
      status: 481,
    });
    assert.deepEqual(store.route(request('ACK', { branch: 'z9hG4bKx', toTag: 'nope' })), { kind: 'drop' });
  });

  it('§12.2.2: higher CSeq numbers are accepted (gaps allowed) and recorded', () => {
    const { store, d } = uas();
    assert.equal(store.route(inDialog('INFO', 6)).kind, 'in-dialog');
    assert.equal(store.route(inDialog('INFO', 9)).kind, 'in-dialog');
    assert.equal(d.remoteSeq, 9);
  });

  it('§12.2.2: a CSeq lower than the remote CSeq is out of order: 500', () => {
    const { store, d } = uas();
    store.route(inDialog('INFO', 8));
    assert.deepEqual(store.route(inDialog('INFO', 7)), { kind: 'reject', status: 500 });
    assert.equal(d.remoteSeq, 8);
  });

  it('§12.2.2: the ACK for the 2xx reuses the INVITE CSeq and is not treated as out of order', () => {
    const { store } = uas();
    store.route(inDialog('INFO', 6));
    assert.equal(store.route(inDialog('ACK', 5)).kind, 'in-dialog');
  });

  it('§12.2.2: a re-INVITE replaces the remote target with its Contact', () => {
    const { store, d } = uas();
    const reinvite = inDialog('INVITE', 6);
    reinvite.headers.set('Contact', '<sip:alice@192.0.2.1:5062>');
    store.route(reinvite);
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.1:5062');
  });

  it('§15.1.2: a BYE ends the dialog and the store forgets it; a second BYE gets 481', () => {
    const { store, d } = uas();
    assert.equal(store.route(inDialog('BYE', 6)).kind, 'in-dialog');
    assert.equal(d.state, 'Terminated');
    assert.equal(store.size, 0);
    assert.deepEqual(store.route(inDialog('BYE', 7)), { kind: 'reject', status: 481 });
  });

  it('forked 180s with different To tags make distinct early dialogs', () => {
    const store = new DialogStore();
    const invite = request('INVITE', { branch: 'z9hG4bKd1' });
    const a = store.uacResponse(invite, createResponse(invite, 180, undefined, 'x1'));
    const b = store.uacResponse(invite, createResponse(invite, 180, undefined, 'x2'));
    assert.notEqual(a, b);
    assert.equal(store.size, 2);
    assert.equal(store.uacResponse(invite, createResponse(invite, 200, undefined, 'x2')), b);
    assert.equal(b!.state, 'Confirmed');
    assert.equal(a!.state, 'Early');
  });
});

describe('UAS 2xx retransmission (RFC 3261 §13.3.1.4)', () => {
  it('§13.3.1.4: retransmits at T1 doubling up to T2 (0, 500, 1500, 3500, 7500, 11500 … 31500) and gives up at 64·T1 = 32000 ms', () => {
    const clock = new VirtualClock();
    const sends: number[] = [];
    const timeouts: number[] = [];
    const r = new Invite2xxRetransmitter(() => sends.push(clock.now()), {
      clock,
      timers: DEFAULT_TIMER_CONFIG,
      onTimeout: () => timeouts.push(clock.now()),
    });
    r.start();
    clock.runAll();
    assert.deepEqual(sends, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(timeouts, [32000]);
    assert.equal(r.state, 'GaveUp');
  });

  it('§13.3.1.4: the ACK stops the retransmissions', () => {
    const clock = new VirtualClock();
    const sends: number[] = [];
    const r = new Invite2xxRetransmitter(() => sends.push(clock.now()), {
      clock,
      timers: DEFAULT_TIMER_CONFIG,
      onTimeout: () => assert.fail('no timeout after ACK'),
    });
    r.start();
    clock.advance(2000);
    r.acknowledge();
    clock.runAll();
    assert.deepEqual(sends, [0, 500, 1500]);
    assert.equal(r.state, 'Acknowledged');
    assert.equal(clock.pendingCount, 0);
  });
});

describe('URI helpers', () => {
  it('uriOf takes the URI out of name-addr or addr-spec forms', () => {
    assert.equal(
      uriOf('"Bob" <sip:bob@b.example;transport=tcp>;expires=60'),
      'sip:bob@b.example;transport=tcp',
    );
    assert.equal(uriOf('sip:bob@b.example;expires=60'), 'sip:bob@b.example');
    assert.equal(uriOf('<sip:a@x>, <sip:b@y>'), 'sip:a@x');
  });

  it('§19.1.1: isLooseRoute finds lr among the URI parameters, not elsewhere', () => {
    assert.equal(isLooseRoute('<sip:p.example.com;lr>'), true);
    assert.equal(isLooseRoute('<sip:p.example.com;lr=on;transport=tcp>'), true);
    assert.equal(isLooseRoute('<sip:p.example.com;transport=tcp>'), false);
    assert.equal(isLooseRoute('<sip:lr.example.com>'), false);
  });
});

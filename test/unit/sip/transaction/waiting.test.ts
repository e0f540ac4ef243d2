/**
 * The waiting states (RFC 3261 §17: Completed and Confirmed; RFC 6026 §7.1: Accepted) keep
 * only what they may still send again or match: the parsed messages and the TU are let go.
 * Each claim is checked with a WeakRef and a full garbage collection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { SipRequest } from '../../../../src/sip/message.js';
import { createResponse } from '../../../../src/sip/response.js';
import { type ClientTransactionUser, RequestReleasedError } from '../../../../src/sip/transaction/index.js';
import { BOB, lonelyUas, request, rig } from './helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Lets the job that created the WeakRefs end (they hold their target until then), then collects. */
async function collect(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

const QUIET: ClientTransactionUser = { onResponse() {}, onTimeout() {}, onTransportError() {} };

describe('transactions in a waiting state keep bytes, not messages (RFC 3261 §17, RFC 6026 §7.1)', () => {
  it('§17.2.1: a server INVITE in Completed lets go of the INVITE and its 486, and still resends the 486 byte for byte on Timer G', async () => {
    const u = lonelyUas();
    const refs: WeakRef<object>[] = [];
    u.onRequest((tx) => {
      const res = createResponse(tx.request, 486, undefined, 'b1');
      refs.push(new WeakRef(tx.request), new WeakRef(res));
      tx.respond(res);
    });
    u.inject(request('INVITE', { branch: 'z9hG4bKw1' }));
    const tx = u.requests[0]!;
    assert.equal(tx.state, 'Completed');
    assert.throws(() => tx.request, RequestReleasedError);
    await collect();
    assert.deepEqual(
      refs.map((r) => r.deref()),
      [undefined, undefined],
    );
    u.clock.advance(500);
    const [first, again] = u.net.sent('486 INVITE');
    assert.ok(first && again);
    assert.deepEqual(again.message, first.message);
  });

  it('RFC 6026 §8.5: a server INVITE in Accepted lets go of the INVITE, the 2xx and the TU', async () => {
    const u = lonelyUas();
    const refs: WeakRef<object>[] = [];
    u.onRequest((tx) => {
      const ok = createResponse(tx.request, 200, undefined, 'b1');
      refs.push(new WeakRef(tx.request), new WeakRef(ok), new WeakRef(tx.user));
      tx.respond(ok);
    });
    u.inject(request('INVITE', { branch: 'z9hG4bKw2' }));
    assert.equal(u.requests[0]!.state, 'Accepted');
    await collect();
    assert.deepEqual(
      refs.map((r) => r.deref()),
      [undefined, undefined, undefined],
    );
  });

  it('§17.2.2: a server non-INVITE in Completed lets go of the request, its response and the TU, and resends the response to a retransmission', async () => {
    const u = lonelyUas();
    const refs: WeakRef<object>[] = [];
    u.onRequest((tx) => {
      const ok = createResponse(tx.request, 200, undefined, 'b1');
      refs.push(new WeakRef(tx.request), new WeakRef(ok), new WeakRef(tx.user));
      tx.respond(ok);
    });
    u.inject(request('BYE', { branch: 'z9hG4bKw3', toTag: 'b1' }));
    assert.equal(u.requests[0]!.state, 'Completed');
    assert.throws(() => u.requests[0]!.request, { code: 'REQUEST_RELEASED' });
    await collect();
    assert.deepEqual(
      refs.map((r) => r.deref()),
      [undefined, undefined, undefined],
    );
    u.inject(request('BYE', { branch: 'z9hG4bKw3', toTag: 'b1' }));
    assert.deepEqual(u.net.times('200 BYE'), [0, 0]);
  });

  it('§17.1.1.2: a client INVITE in Completed lets go of the INVITE, the 487 and the TU, and ACKs a retransmitted 487 again', async () => {
    const r = rig();
    r.net.drop((rec) => rec.message.type === 'request' && rec.message.method === 'ACK', 1);
    r.answer = (tx) => tx.respond(createResponse(tx.request, 487, undefined, 'b1'));
    const refs: WeakRef<object>[] = [];
    const tx = (() => {
      const invite: SipRequest = request('INVITE');
      const user: ClientTransactionUser = {
        ...QUIET,
        onResponse: (res) => {
          if (res.status >= 200) refs.push(new WeakRef(res));
        },
      };
      refs.push(new WeakRef(invite), new WeakRef(user));
      return r.uac.sendRequest(invite, BOB, r.a, user);
    })();
    r.clock.advance(0);
    assert.equal(tx.state, 'Completed');
    assert.throws(() => tx.request, RequestReleasedError);
    await collect();
    assert.deepEqual(
      refs.map((ref) => ref.deref()),
      [undefined, undefined, undefined],
    );
    r.clock.advance(1000);
    assert.deepEqual(r.net.times('ACK'), [0, 500]);
  });

  it('§17.1.2.2: a client non-INVITE in Completed lets go of the request and the TU', async () => {
    const r = rig();
    r.answer = (tx) => tx.respond(createResponse(tx.request, 200, undefined, 'b1'));
    const refs: WeakRef<object>[] = [];
    const tx = (() => {
      const options = request('OPTIONS');
      const user: ClientTransactionUser = { ...QUIET };
      refs.push(new WeakRef(options), new WeakRef(user));
      return r.uac.sendRequest(options, BOB, r.a, user);
    })();
    r.clock.advance(0);
    assert.equal(tx.state, 'Completed');
    await collect();
    assert.deepEqual(
      refs.map((ref) => ref.deref()),
      [undefined, undefined],
    );
  });
});

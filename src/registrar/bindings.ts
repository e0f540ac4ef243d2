/**
 * Registration bindings (RFC 3261 §10): which contacts an address-of-record (a user's
 * extension) is reachable at, until when. The registrar owns the rules; a BindingStore
 * only keeps rows, so a shared store (Redis) can replace the embedded one unchanged.
 */
import type { Endpoint } from '../sip/transport/types.js';

export interface Binding {
  /** The address-of-record: the user's extension number. */
  aor: string;
  /** The contact URI as the device gave it (without angle brackets). */
  contact: string;
  /** Epoch milliseconds after which the binding is gone. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from: where requests to this contact are sent (NAT-safe). */
  source: Endpoint;
  userAgent?: string;
  /** Epoch milliseconds of the last registration refresh. */
  updatedAt: number;
}

export interface BindingStore {
  list(aor: string): Binding[];
  all(): Binding[];
  put(binding: Binding): void;
  remove(aor: string, contact: string): void;
  removeAll(aor: string): void;
}

/** Bindings kept in memory only (tests, and the cache in front of a persistent store). */
export function createMemoryBindingStore(): BindingStore {
  const byAor = new Map<string, Map<string, Binding>>();
  return {
    list: (aor) => [...(byAor.get(aor)?.values() ?? [])],
    all: () => [...byAor.values()].flatMap((m) => [...m.values()]),
    put(binding) {
      let m = byAor.get(binding.aor);
      if (!m) {
        m = new Map();
        byAor.set(binding.aor, m);
      }
      m.set(binding.contact, binding);
    },
    remove(aor, contact) {
      const m = byAor.get(aor);
      m?.delete(contact);
      if (m && m.size === 0) byAor.delete(aor);
    },
    removeAll(aor) {
      byAor.delete(aor);
    },
  };
}

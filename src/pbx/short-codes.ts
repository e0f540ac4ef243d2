/**
 * Short codes a user dials (pbx.md dial plan, spec §9 BTN-1): what each feature changes
 * in the user's own settings. The change is stored as the user's own (actor `user:<ext>`),
 * so user-rights locks hold (UR-1, BTN-2) and it applies from the next call (CFG-4).
 *
 * Twinned call pickup and twinning handover act on the user's calls in progress: the
 * outcome names the action and the engine carries it out. Voicemail access by short code
 * is not offered (501).
 */
import type { ConfigSnapshot, ShortCode } from '../config/index.js';
import { type ControlContext, twinningControl } from '../mobility/index.js';

export type ShortCodeOutcome =
  /** Store these changes to the user's settings (dotted paths), then confirm with a tone. */
  | { kind: 'change'; changes: { path: string; value: unknown }[] }
  /** BTN-1: act on a call in progress (pick it up from the mobile, hand it over, cancel that). */
  | { kind: 'pickup' | 'handover' | 'cancelHandover' }
  /** Refuse: `status` for the caller, `detail` for the log. */
  | { kind: 'refuse'; status: number; detail: string };

/** The dialling user's calls, as BTN-1 needs them. */
export type CallsOfUser = Omit<ControlContext, 'now'>;

const NO_CALLS: CallsOfUser = {
  mobileCallConnected: false,
  deskCallConnected: false,
  handoverInProgress: false,
};

const FORWARD_PATHS = {
  unconditional: ['forwardUnconditional'],
  busy: ['forwardOnBusy'],
  noAnswer: ['forwardOnNoAnswer'],
  all: ['forwardUnconditional', 'forwardOnBusy', 'forwardOnNoAnswer'],
} as const;

export function shortCodeOutcome(
  snapshot: ConfigSnapshot,
  user: string,
  shortCode: ShortCode,
  digits: string,
  now: number,
  calls: CallsOfUser = NO_CALLS,
): ShortCodeOutcome {
  const change = (...changes: { path: string; value: unknown }[]): ShortCodeOutcome => ({
    kind: 'change',
    changes,
  });
  const control = (c: Parameters<typeof twinningControl>[2]): ShortCodeOutcome => {
    const r = twinningControl(snapshot, user, c, { now, ...calls });
    if (r.kind === 'change') return change({ path: r.path, value: r.value });
    if (r.kind === 'refuse')
      return { kind: 'refuse', status: r.reason === 'locked' ? 403 : 488, detail: r.detail };
    return { kind: r.kind };
  };
  switch (shortCode.feature) {
    case 'dndOn':
      return change({ path: 'dnd', value: true });
    case 'dndOff':
      return change({ path: 'dnd', value: false });
    case 'forwardSet': {
      if (!/^[0-9*#+]{1,32}$/.test(digits))
        return { kind: 'refuse', status: 484, detail: 'forward needs a number' };
      const paths = FORWARD_PATHS[shortCode.forwardType ?? 'unconditional'];
      return change(...paths.map((p) => ({ path: p, value: { enabled: true, destination: digits } })));
    }
    case 'forwardClear': {
      const paths = FORWARD_PATHS[shortCode.forwardType ?? 'all'];
      return change(...paths.map((p) => ({ path: `${p}.enabled`, value: false })));
    }
    case 'login':
      // Hot-desking as another extension is not offered: N must be the user's own number.
      if (digits !== '' && digits !== user)
        return { kind: 'refuse', status: 403, detail: 'log in as yourself only' };
      return change({ path: 'loggedOut', value: false });
    case 'logout':
      return change({ path: 'loggedOut', value: true });
    case 'setMobileTwinningNumber':
      return control({ kind: 'setMobileTwinningNumber', digits });
    case 'mobileTwinningOn':
      return control({ kind: 'setMobileTwinningStatus', to: 'on' });
    case 'mobileTwinningOff':
      return control({ kind: 'setMobileTwinningStatus', to: 'off' });
    case 'mobileTwinningToggle':
      return control({ kind: 'setMobileTwinningStatus', to: 'toggle' });
    case 'twinningModeInternal':
      return change({ path: 'twinningMode', value: 'internal' });
    case 'twinningModeMobile':
      return change({ path: 'twinningMode', value: 'mobile' });
    case 'twinningModeToggle': {
      const current = snapshot.usersByExtension.get(user)?.twinningMode;
      return change({ path: 'twinningMode', value: current === 'mobile' ? 'internal' : 'mobile' });
    }
    case 'twinnedCallPickup':
      return control({ kind: 'twinnedCallPickup' });
    case 'twinningHandover':
      return control({ kind: 'twinningHandover' });
    case 'voicemail':
      return { kind: 'refuse', status: 501, detail: `${shortCode.feature} is not available yet` };
  }
}

/** Applies dotted-path changes to a copy of one user entry. */
export function withChanges<T extends Record<string, unknown>>(
  entry: T,
  changes: readonly { path: string; value: unknown }[],
): T {
  const copy = structuredClone(entry) as Record<string, unknown>;
  for (const { path, value } of changes) {
    const parts = path.split('.');
    let node = copy;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      node[p] = next && typeof next === 'object' ? { ...(next as Record<string, unknown>) } : {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  return copy as T;
}

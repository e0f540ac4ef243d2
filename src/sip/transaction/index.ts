/** The transaction layer's public face (RFC 3261 §17). */
export { type CancelOptions, type ClientInviteState, ClientInviteTransaction } from './client-invite.js';
export { type ClientNonInviteState, ClientNonInviteTransaction } from './client-non-invite.js';
export {
  createTransactionLayer,
  ensureBranch,
  type TransactionLayer,
  type TransactionLayerOptions,
} from './layer.js';
export { clientKey, type LegacyKey, legacyKeyOf, legacyMatches, serverKey } from './matching.js';
export { buildCancel, buildNon2xxAck } from './requests.js';
export { type ServerInviteState, ServerInviteTransaction } from './server-invite.js';
export { type ServerNonInviteState, ServerNonInviteTransaction } from './server-non-invite.js';
export {
  DEFAULT_TIMER_CONFIG,
  resolveTimerConfig,
  type TimerConfig,
  type TimerName,
  timerDuration,
} from './timers.js';
export {
  type ClientTransaction,
  type ClientTransactionUser,
  IllegalTransitionError,
  NO_CLIENT_USER,
  NO_SERVER_USER,
  RequestReleasedError,
  type ServerTransaction,
  type ServerTransactionUser,
} from './types.js';

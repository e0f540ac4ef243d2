/** The admin API's public face. */
export { buildAdminApp, DEFAULT_ADMIN_OPTIONS } from './app.js';
export { type EnsureAdminResult, ensureAdminAccount } from './auth.js';
export { ApiError, ApiErrorCode, type ErrorBody, type FieldError } from './errors.js';
export { type AdminListen, type AdminServer, startAdminServer } from './server.js';
export type {
  AdminContext,
  AdminOptions,
  CallEvent,
  CallLegView,
  CallsView,
  CallView,
  Cdr,
  CdrFilter,
  CdrLeg,
  CdrView,
  RegistrationView,
} from './types.js';

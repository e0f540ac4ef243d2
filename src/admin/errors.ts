/**
 * The admin API's one error table (STYLE 8). Every failure answers
 * `{ error: { code, message, fields? } }` with a stable `code` and the status this table
 * gives it; clients branch on the code, never on the message. `fields` lists every
 * failing field of a rejected change, in the configuration model's own terms
 * (path, value, allowed, message, code — see docs/config.md).
 */
import type { ValidationError } from '../store/live-config.js';

export const ApiErrorCode = {
  /** The body is not JSON, or a parameter is not in its format. */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  /** No such route. */
  UNKNOWN_ROUTE: 'UNKNOWN_ROUTE',
  /** No such entity (user, trunk, token, …). */
  NOT_FOUND: 'NOT_FOUND',
  /** A create named a key (extension, name) that is already taken. */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The last administrator account cannot be deleted. */
  LAST_ACCOUNT: 'LAST_ACCOUNT',
  /** If-Match named a configuration revision that is no longer current. */
  REVISION_MISMATCH: 'REVISION_MISMATCH',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The change was rejected; `fields` lists every reason. Nothing was stored. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** No session and no bearer token, or one that expired. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Wrong account name, extension or password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** An unsafe request from a cookie session without its CSRF token. */
  CSRF_TOKEN_INVALID: 'CSRF_TOKEN_INVALID',
  /** Signed in, but not allowed here (a user session on an administrator route). */
  FORBIDDEN: 'FORBIDDEN',
  /** Too many failed sign-ins; Retry-After says when to try again. */
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  /** The server is not ready (store unreadable, SIP not listening). */
  NOT_READY: 'NOT_READY',
  /** A fault in twinline; logged with the request id. */
  INTERNAL: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** The HTTP status of each code. */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  MALFORMED_REQUEST: 400,
  UNKNOWN_ROUTE: 404,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  LAST_ACCOUNT: 409,
  REVISION_MISMATCH: 412,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_FAILED: 422,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  CSRF_TOKEN_INVALID: 403,
  FORBIDDEN: 403,
  TOO_MANY_ATTEMPTS: 429,
  NOT_READY: 503,
  INTERNAL: 500,
};

/** One failing field of a rejected change (the configuration model's issue, unchanged). */
export type FieldError = ValidationError;

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; fields?: FieldError[] };
}

/** Thrown by route handlers; the app's error handler turns it into the response. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly fields?: FieldError[],
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERROR_STATUS[code];
  }

  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
      },
    };
  }
}

/** A rejected change: 422 listing every failing field. */
export function validationFailed(fields: FieldError[]): ApiError {
  const n = fields.length;
  return new ApiError(
    'VALIDATION_FAILED',
    `the change was rejected (${n} error${n === 1 ? '' : 's'}); nothing was stored`,
    fields,
  );
}

export const notFound = (what: string): ApiError => new ApiError('NOT_FOUND', `${what} does not exist`);

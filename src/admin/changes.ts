/**
 * The one way the API changes configuration: build the whole new directory from the
 * document in force, hand it to `config.apply` (all-or-nothing validation, the change
 * rules of the actor, one store transaction), and answer 422 with every failing field
 * when it is refused — nothing is stored then.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COLLECTION_KEYS } from '../store/sqlite.js';
import type { CollectionName, DirectoryDocument } from '../store/types.js';
import { ApiError, validationFailed } from './errors.js';
import { getAt, isPlainObject, type Principal, revisionTag, setAt, setRevision } from './http.js';
import { ENTITY_SCHEMAS, SECRET_FIELDS } from './schemas.js';
import type { AdminContext } from './types.js';

/** The actor name the audit log records for a principal (see store/directory-config.ts). */
export function actorOf(p: Principal | undefined): string {
  if (!p) return 'admin';
  return p.kind === 'user' ? `user:${p.extension}` : `admin:${p.account}`;
}

/** 412 unless an If-Match header names the revision in force (or is absent / `*`). */
function checkIfMatch(ctx: AdminContext, request: FastifyRequest): void {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return;
  const current = revisionTag(ctx.config.revision());
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes(current)) {
    throw new ApiError(
      'REVISION_MISMATCH',
      `the configuration changed since you read it (now revision ${ctx.config.revision()}); read it again`,
    );
  }
}

/**
 * Applies `build(document)` as one change by the request's principal. Returns the new
 * revision; throws 422 listing every failing field when the change is refused.
 */
export function commitChange(
  ctx: AdminContext,
  request: FastifyRequest,
  reply: FastifyReply,
  build: (doc: DirectoryDocument) => DirectoryDocument,
): number {
  checkIfMatch(ctx, request);
  const next = build(ctx.config.document());
  const actor = actorOf(request.principal);
  const result = ctx.config.apply(next, actor);
  if (!result.ok) {
    request.log.debug({ actor, errors: result.errors.length }, 'configuration change refused');
    throw validationFailed(result.errors);
  }
  if (result.changes.length > 0) {
    ctx.logger.info(
      {
        actor,
        revision: result.revision,
        changes: result.changes.map((c) => `${c.action} ${c.collection} ${c.key}`),
      },
      'configuration changed through the admin API',
    );
  }
  setRevision(reply, result.revision);
  return result.revision;
}

/** The key of an entity within its collection (extension, name, `trunk|ddi|callerId`, code). */
export function keyOf(section: CollectionName, entity: Record<string, unknown>): string {
  return COLLECTION_KEYS[section](entity);
}

/** The entity normalised by its schema (defaults filled in) when it parses alone; else as sent. */
export function normalise(section: CollectionName, entity: Record<string, unknown>): Record<string, unknown> {
  const r = ENTITY_SCHEMAS[section].safeParse(entity);
  return r.success && isPlainObject(r.data) ? (r.data as Record<string, unknown>) : entity;
}

const secretsOf = (section: string): readonly string[] =>
  (SECRET_FIELDS as Partial<Record<string, readonly string[]>>)[section] ?? [];

/** The entity without its secrets (passwords, PINs): what responses carry. */
export function redact<T>(section: string, entity: T): T {
  let out = entity;
  for (const p of secretsOf(section)) if (getAt(out, p) !== undefined) out = setAt(out, p, undefined);
  return out;
}

/**
 * A replacement that leaves a secret out keeps the stored one, so a client can PUT back
 * what it read (responses never carry secrets). A nested secret is carried only into an
 * object the replacement still has (`auth` of a trunk), except the user's PIN, which
 * lives in the always-present Mobility block.
 */
export function keepSecrets(
  section: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  let out = after;
  for (const p of secretsOf(section)) {
    const stored = getAt(before, p);
    if (stored === undefined || getAt(after, p) !== undefined) continue;
    const parent = p.split('.').slice(0, -1).join('.');
    if (parent !== '' && parent !== 'mobility' && !isPlainObject(getAt(after, parent))) continue;
    out = setAt(out, p, stored);
  }
  return out;
}

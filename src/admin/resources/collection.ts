/**
 * A directory collection as a REST resource: list, read, create, replace, merge-patch and
 * delete, each change a whole new directory through `config.apply`. Reads come from the
 * snapshot in force (every default filled in); secrets never leave.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectionName, DirectoryDocument } from '../../store/types.js';
import { commitChange, keepSecrets, keyOf, normalise, redact } from '../changes.js';
import { ApiError, notFound } from '../errors.js';
import {
  isPlainObject,
  type JsonSchema,
  mergePatch,
  objectBody,
  type PluginOptions,
  setRevision,
} from '../http.js';
import { arrayOf, ENTITY_SCHEMAS, jsonSchemaOf, SECRET_FIELDS, withoutFields } from '../schemas.js';
import type { AdminContext } from '../types.js';

export interface CollectionSpec {
  section: CollectionName;
  /** URL segment under /api (kebab-case). */
  segment: string;
  /** Route parameter naming the key (extension, name, id, code). */
  param: string;
  /** One entity, for messages ("user", "hunt group"). */
  noun: string;
  /** How the key is formed, for the docs. */
  keyDoc: string;
  tag: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';

/** The schemas each collection publishes: what a request may send, what a response carries. */
export function entitySchemas(section: CollectionName): { input: JsonSchema; output: JsonSchema } {
  const secrets = (SECRET_FIELDS as Partial<Record<string, readonly string[]>>)[section] ?? [];
  const schema = ENTITY_SCHEMAS[section];
  return {
    input: jsonSchemaOf(schema, 'input'),
    output: withoutFields(jsonSchemaOf(schema, 'output'), secrets),
  };
}

function findIn(list: readonly Record<string, unknown>[], section: CollectionName, key: string): number {
  return list.findIndex((e) => keyOf(section, e) === key);
}

/** The entity with `key` in the snapshot in force, without secrets, or 404. */
export function readEntity(ctx: AdminContext, spec: CollectionSpec, key: string): Record<string, unknown> {
  const list = ctx.config.current().directory[spec.section] as unknown as Record<string, unknown>[];
  const i = findIn(list, spec.section, key);
  if (i < 0) throw notFound(`${spec.noun} ${key}`);
  return redact(spec.section, list[i]!);
}

function paramOf(request: FastifyRequest, name: string): string {
  return String((request.params as Record<string, string>)[name] ?? '');
}

/**
 * Replaces the entity at `key` with `next(stored)` in one change, and answers with the
 * stored result (which may carry a new key when the change renamed it).
 */
function replaceEntity(
  ctx: AdminContext,
  spec: CollectionSpec,
  request: FastifyRequest,
  reply: FastifyReply,
  next: (stored: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const key = paramOf(request, spec.param);
  const doc = ctx.config.document();
  const i = findIn(doc[spec.section], spec.section, key);
  if (i < 0) throw notFound(`${spec.noun} ${key}`);
  const entity = normalise(spec.section, next(doc[spec.section][i]!));
  commitChange(ctx, request, reply, (d) => withEntity(d, spec.section, i, entity));
  return readEntity(ctx, spec, keyOf(spec.section, entity));
}

function withEntity(
  d: DirectoryDocument,
  section: CollectionName,
  i: number,
  entity: Record<string, unknown> | undefined,
): DirectoryDocument {
  const list = [...d[section]];
  if (entity === undefined) list.splice(i, 1);
  else if (i >= list.length) list.push(entity);
  else list[i] = entity;
  return { ...d, [section]: list };
}

export function collectionPlugin(spec: CollectionSpec): FastifyPluginAsync<PluginOptions> {
  return async (app: FastifyInstance, { ctx }: PluginOptions) => {
    const base = `/api/${spec.segment}`;
    const one = `${base}/:${spec.param}`;
    const schemas = entitySchemas(spec.section);
    const tags = [spec.tag];
    const param = `${spec.param}: ${spec.keyDoc}`;

    app.get(base, {
      config: {
        doc: { summary: `List ${spec.noun}s`, tags, response: { schema: arrayOf(schemas.output) } },
      },
      handler: async (_request, reply) => {
        setRevision(reply, ctx.config.revision());
        const list = ctx.config.current().directory[spec.section] as unknown as Record<string, unknown>[];
        return list.map((e) => redact(spec.section, e));
      },
    });

    app.get(one, {
      config: {
        doc: {
          summary: `Read one ${spec.noun}`,
          description: param,
          tags,
          response: { schema: schemas.output },
        },
      },
      handler: async (request, reply) => {
        setRevision(reply, ctx.config.revision());
        return readEntity(ctx, spec, paramOf(request, spec.param));
      },
    });

    app.post(base, {
      config: {
        doc: {
          summary: `Create a ${spec.noun}`,
          tags,
          body: { schema: schemas.input },
          response: { status: 201, schema: schemas.output },
        },
      },
      handler: async (request, reply) => {
        const body = normalise(spec.section, objectBody(request));
        const key = keyOf(spec.section, body);
        const doc = ctx.config.document();
        if (findIn(doc[spec.section], spec.section, key) >= 0) {
          throw new ApiError('ALREADY_EXISTS', `${spec.noun} ${key} already exists; PUT or PATCH it instead`);
        }
        commitChange(ctx, request, reply, (d) => withEntity(d, spec.section, d[spec.section].length, body));
        reply.code(201).header('location', `${base}/${encodeURIComponent(key)}`);
        return readEntity(ctx, spec, key);
      },
    });

    app.put(one, {
      config: {
        doc: {
          summary: `Replace a ${spec.noun}`,
          description: `${param}. Secret fields left out keep their stored values.`,
          tags,
          body: { schema: schemas.input },
          response: { schema: schemas.output },
        },
      },
      handler: async (request, reply) => {
        const body = objectBody(request);
        return replaceEntity(ctx, spec, request, reply, (stored) => keepSecrets(spec.section, stored, body));
      },
    });

    app.patch(one, {
      config: {
        doc: {
          summary: `Change some fields of a ${spec.noun}`,
          description: `${param}. JSON Merge Patch (RFC 7396): objects merge, null removes a field.`,
          tags,
          body: { schema: { type: 'object' }, contentTypes: [MERGE_PATCH, 'application/json'] },
          response: { schema: schemas.output },
        },
      },
      handler: async (request, reply) => {
        const patch = objectBody(request);
        return replaceEntity(ctx, spec, request, reply, (stored) => {
          const merged = mergePatch(stored, patch);
          return isPlainObject(merged) ? merged : stored;
        });
      },
    });

    app.delete(one, {
      config: {
        doc: {
          summary: `Delete a ${spec.noun}`,
          description: `${param}. Refused (422) while other entries refer to it.`,
          tags,
          response: { status: 204, description: 'Deleted' },
        },
      },
      handler: async (request, reply) => {
        const key = paramOf(request, spec.param);
        const i = findIn(ctx.config.document()[spec.section], spec.section, key);
        if (i < 0) throw notFound(`${spec.noun} ${key}`);
        commitChange(ctx, request, reply, (d) => withEntity(d, spec.section, i, undefined));
        return reply.code(204).send();
      },
    });
  };
}

export const COLLECTIONS: readonly CollectionSpec[] = [
  {
    section: 'users',
    segment: 'users',
    param: 'extension',
    noun: 'user',
    keyDoc: 'the extension number',
    tag: 'users',
  },
  {
    section: 'huntGroups',
    segment: 'hunt-groups',
    param: 'name',
    noun: 'hunt group',
    keyDoc: 'the group name',
    tag: 'hunt groups',
  },
  {
    section: 'timeProfiles',
    segment: 'time-profiles',
    param: 'name',
    noun: 'time profile',
    keyDoc: 'the profile name',
    tag: 'time profiles',
  },
  {
    section: 'userRights',
    segment: 'user-rights',
    param: 'name',
    noun: 'user rights template',
    keyDoc: 'the template name',
    tag: 'user rights',
  },
  {
    section: 'trunks',
    segment: 'trunks',
    param: 'name',
    noun: 'trunk',
    keyDoc: 'the trunk name',
    tag: 'trunks',
  },
  {
    section: 'incomingRoutes',
    segment: 'incoming-routes',
    param: 'id',
    noun: 'incoming route',
    keyDoc: 'trunk|ddi|callerId, URL-encoded (e.g. carrier%7C%7C for the catch-all route of trunk carrier)',
    tag: 'incoming routes',
  },
  {
    section: 'shortCodes',
    segment: 'short-codes',
    param: 'code',
    noun: 'short code',
    keyDoc: 'the code, URL-encoded (*9N# is %2A9N%23)',
    tag: 'short codes',
  },
];

export const collectionSpec = (section: CollectionName): CollectionSpec =>
  COLLECTIONS.find((c) => c.section === section)!;

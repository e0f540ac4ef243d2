/**
 * JSON Schemas for the API, generated from the configuration model's zod definitions so
 * the API, the import, the store and the docs can never disagree on a range or default.
 * Request bodies are validated by the configuration model itself (every error at once,
 * in its own shape); these schemas describe them in the OpenAPI document.
 */
import { z } from 'zod';
import {
  HuntGroupSchema,
  IncomingRouteSchema,
  ShortCodeSchema,
  SystemSchema,
  TimeProfileSchema,
  TrunkSchema,
  UserRightsSchema,
  UserSchema,
} from '../config/index.js';
import type { JsonSchema } from './http.js';

/**
 * The zod definition as JSON Schema 2020-12. `io: 'input'` describes what a request may
 * send (extensions as numbers or strings, defaults optional); `output` what responses
 * carry. The model's `allowed` text becomes the `x-allowed` extension keyword.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete raw.$schema;
  return renameAllowed(raw) as JsonSchema;
}

function renameAllowed(node: unknown, inProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => renameAllowed(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (inProperties) out[k] = renameAllowed(v);
    else if (k === 'allowed' && typeof v === 'string') out['x-allowed'] = v;
    else out[k] = renameAllowed(v, k === 'properties' || k === '$defs');
  }
  return out;
}

/** Drops secret fields (dotted paths) from an object schema: responses never carry them. */
export function withoutFields(schema: JsonSchema, paths: readonly string[]): JsonSchema {
  let out = structuredClone(schema);
  for (const p of paths) out = dropPath(out, p.split('.'));
  return out;
}

function dropPath(schema: JsonSchema, segs: string[]): JsonSchema {
  const [head, ...rest] = segs;
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (head === undefined || !props || !(head in props)) return schema;
  if (rest.length === 0) {
    delete props[head];
    if (Array.isArray(schema.required))
      schema.required = (schema.required as string[]).filter((r) => r !== head);
    return schema;
  }
  const child = props[head]!;
  // Optional objects may be wrapped in anyOf; walk every branch that is an object.
  if (Array.isArray(child.anyOf)) child.anyOf = (child.anyOf as JsonSchema[]).map((b) => dropPath(b, rest));
  else props[head] = dropPath(child, rest);
  return schema;
}

/** Secret fields per collection: never in a response; kept when a replacement leaves them out. */
export const SECRET_FIELDS = {
  users: ['password', 'mobility.mobileFeaturePin'],
  trunks: ['auth.password'],
} as const satisfies Partial<Record<string, readonly string[]>>;

export const ENTITY_SCHEMAS = {
  users: UserSchema,
  huntGroups: HuntGroupSchema,
  timeProfiles: TimeProfileSchema,
  userRights: UserRightsSchema,
  trunks: TrunkSchema,
  incomingRoutes: IncomingRouteSchema,
  shortCodes: ShortCodeSchema,
} as const;

export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable code from the error table (docs/api.md)' },
        message: { type: 'string' },
        fields: {
          type: 'array',
          description: 'Every failing field of a rejected change',
          items: {
            type: 'object',
            required: ['path', 'allowed', 'message', 'code'],
            properties: {
              path: { type: 'string', description: 'e.g. users[3].mobility.mobileDialDelay' },
              value: { description: 'The value that was refused' },
              allowed: { type: 'string', description: 'What would have been accepted, e.g. 0–99 seconds' },
              message: { type: 'string' },
              code: { type: 'string', description: 'A configuration error code (docs/config.md)' },
            },
          },
        },
      },
    },
  },
};

export const systemSchemas = {
  input: () => jsonSchemaOf(SystemSchema, 'input'),
  output: () => jsonSchemaOf(SystemSchema, 'output'),
};

export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

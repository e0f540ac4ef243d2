/**
 * Reading the schema itself: which field sits at a path, what it allows (for error
 * messages), and which user settings a user-rights template may lock (UR-1). Derived from
 * the zod definitions so a new field needs no second list.
 */
import { z } from 'zod';
import { type FieldMeta, userSettingFields } from './schema.js';

type AnySchema = z.ZodType;

/** The parts of a zod definition this module walks through. */
interface LooseDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
}

function defOf(s: AnySchema): LooseDef {
  return (s as unknown as { _zod: { def: LooseDef } })._zod.def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** The schema and each wrapper/pipe stage inside it, outermost first. */
function layers(s: AnySchema): AnySchema[] {
  const out: AnySchema[] = [s];
  let cur = s;
  for (let i = 0; i < 16; i++) {
    const def = defOf(cur);
    let next: AnySchema | undefined;
    if (WRAPPERS.has(def.type)) next = def.innerType;
    else if (def.type === 'pipe') next = def.in;
    if (!next) break;
    out.push(next);
    cur = next;
  }
  return out;
}

function child(s: AnySchema, seg: PropertyKey): AnySchema | undefined {
  for (const layer of layers(s)) {
    const def = defOf(layer);
    if (def.type === 'object' && typeof seg === 'string') return def.shape?.[seg];
    if (def.type === 'array') return def.element;
    if (def.type === 'record') return def.valueType;
    if (def.type === 'union' && def.options) {
      for (const o of def.options) {
        const c = child(o, seg);
        if (c) return c;
      }
    }
  }
  return undefined;
}

/** The schema at `path` below `root`, or undefined when the path leaves the schema. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let cur: AnySchema | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    cur = child(cur, seg);
  }
  return cur;
}

/** The `allowed` text of the field at `path`, if the schema carries one. */
export function allowedAt(root: AnySchema, path: readonly PropertyKey[]): string | undefined {
  const s = schemaAt(root, path);
  if (!s) return undefined;
  for (const layer of layers(s)) {
    const m = z.globalRegistry.get(layer) as Partial<FieldMeta> | undefined;
    if (m?.allowed) return m.allowed;
  }
  return undefined;
}

/** The field names of the object at `path` (for "unknown field" messages). */
export function objectKeysAt(root: AnySchema, path: readonly PropertyKey[]): string[] | undefined {
  const s = schemaAt(root, path);
  if (!s) return undefined;
  for (const layer of layers(s)) {
    const def = defOf(layer);
    if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  }
  return undefined;
}

function isObjectSchema(s: AnySchema): Record<string, AnySchema> | undefined {
  for (const layer of layers(s)) {
    const def = defOf(layer);
    if (def.type === 'object') return def.shape;
  }
  return undefined;
}

/** Settings a template may not lock: secrets, and a handset pairing (one-to-one, IT-1). */
const NOT_LOCKABLE = new Set(['mobility.mobileFeaturePin']);
/** Lockable only to "none" (null): locking a handset for many users would break IT-1. */
export const LOCK_ONLY_TO_NONE: ReadonlySet<string> = new Set(['mobility.twinnedHandset']);

function collectLeaves(shape: Record<string, AnySchema>, prefix: string, out: Map<string, AnySchema>): void {
  for (const [key, s] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const sub = isObjectSchema(s);
    if (sub) collectLeaves(sub, path, out);
    else if (!NOT_LOCKABLE.has(path)) out.set(path, s);
  }
}

/**
 * UR-1: every user setting path a user-rights template may lock, with the schema its
 * locked value must satisfy. Covers every Mobility field and the core settings (DND,
 * forwards, Follow Me, call waiting, voicemail, timers, twinning mode).
 */
export const LOCKABLE_SETTINGS: ReadonlyMap<string, AnySchema> = (() => {
  const out = new Map<string, AnySchema>();
  collectLeaves(userSettingFields as unknown as Record<string, AnySchema>, '', out);
  return out;
})();

/** The user settings a user (actor `user`) may change about themselves (= the lockable ones + the PIN). */
export const SELF_SERVICE_SETTINGS: ReadonlySet<string> = new Set([
  ...LOCKABLE_SETTINGS.keys(),
  'mobility.mobileFeaturePin',
  'loggedOut',
]);

/** Whether a field may be left unset (then a locked `null` means "unset"). */
export function isOptionalField(s: AnySchema): boolean {
  const r = s.safeParse(undefined);
  return r.success && r.data === undefined;
}

/** Reads a dotted path (`mobility.mobileTwinning`) from a plain object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * Returns a copy of `obj` with the dotted `path` set to `value`; only the objects on the
 * path are copied. `undefined` removes the key.
 */
export function withPath<T extends object>(obj: T, path: string, value: unknown): T {
  const segs = path.split('.');
  const rec = (cur: Record<string, unknown>, i: number): Record<string, unknown> => {
    const key = segs[i]!;
    const copy = { ...cur };
    if (i === segs.length - 1) {
      if (value === undefined) delete copy[key];
      else copy[key] = value;
    } else {
      const next = cur[key];
      copy[key] = rec(
        next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {},
        i + 1,
      );
    }
    return copy;
  };
  return rec(obj as Record<string, unknown>, 0) as T;
}

/** Deep equality for plain config values (JSON-like). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

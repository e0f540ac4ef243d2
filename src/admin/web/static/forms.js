/**
 * Form fields built from the API's JSON Schemas (the same definitions as the
 * configuration model): ranges and lengths become input attributes, values are checked
 * as they are typed, and the API's 422 errors are placed beside the field they name.
 */
import { h } from './dom.js';

/** The "allowed" text the configuration model gives each field. */
export const allowedText = (schema) => schema?.['x-allowed'] ?? '';

export function isInteger(schema) {
  return schema?.type === 'integer' || (schema?.type === 'number' && !schema.enum);
}

/** What is wrong with the value now in `input`, by `schema`; '' when nothing is. */
export function checkInput(input, schema, { required = false } = {}) {
  if (!schema || input.disabled || input.readOnly) return '';
  const allowed = allowedText(schema);
  if (input.type === 'checkbox') return '';
  const raw = input.value;
  if (input.type === 'number') {
    if (input.validity.badInput) return `not a number; allowed ${allowed}`;
    if (raw === '') return required ? `required; allowed ${allowed}` : '';
    const n = Number(raw);
    if (schema.type === 'integer' && !Number.isInteger(n))
      return `${raw} is not a whole number; allowed ${allowed}`;
    if (
      (schema.minimum !== undefined && n < schema.minimum) ||
      (schema.maximum !== undefined && n > schema.maximum)
    )
      return `${raw} is out of range; allowed ${allowed}`;
    return '';
  }
  if (raw === '') return required && !('default' in schema) ? `required; allowed ${allowed}` : '';
  if (schema.maxLength !== undefined && raw.length > schema.maxLength)
    return `${raw.length} characters is too long; allowed ${allowed}`;
  if (schema.minLength !== undefined && raw.length < schema.minLength) return `too short; allowed ${allowed}`;
  if (schema.pattern && !new RegExp(schema.pattern, 'u').test(raw)) return `not allowed; ${allowed}`;
  return '';
}

/**
 * One labelled field: `div.field[data-path]` with the control, a hint, the as-you-type
 * message (`.msg`) and the API's error (`.api-error`).
 */
export function fieldRow({ path, label, control, hint, schema, required, extra }) {
  const id = `f-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
  control.id = id;
  control.dataset.path = path;
  const msg = h('span', { class: 'msg', 'aria-live': 'polite' });
  const apiErr = h('span', { class: 'api-error', 'aria-live': 'polite' });
  const isCheck = control.type === 'checkbox';
  const row = h(
    'div',
    { class: `field${isCheck ? ' check' : ''}`, dataset: { path } },
    h('label', { for: id }, label),
    h('span', { class: 'control' }, control, extra),
    hint ? h('span', { class: 'hint' }, hint) : null,
    msg,
    apiErr,
  );
  if (schema && !isCheck) {
    const check = () => {
      const m = checkInput(control, schema, { required });
      msg.textContent = m;
      row.classList.toggle('invalid', m !== '');
      // A new value answers the API's complaint about the old one.
      apiErr.textContent = '';
      row.classList.remove('refused');
    };
    control.addEventListener('input', check);
    control.addEventListener('change', check);
  }
  return row;
}

/** Attributes of an input for a schema (min, max, maxlength, pattern). */
export function inputFor(schema, value, attrs = {}, optional = false) {
  if (isInteger(schema) && !schema.enum) {
    return h('input', {
      type: 'number',
      step: 1,
      min: schema.minimum,
      max: schema.maximum,
      inputmode: 'numeric',
      value: value === undefined || value === null ? '' : String(value),
      ...attrs,
    });
  }
  if (schema?.type === 'boolean') return h('input', { type: 'checkbox', checked: value === true, ...attrs });
  if (schema?.enum) {
    return h(
      'select',
      attrs,
      optional ? h('option', { value: '' }, '— (unset)') : null,
      schema.enum.map((v) =>
        h('option', { value: String(v), selected: String(v) === String(value) }, String(v)),
      ),
    );
  }
  return h('input', {
    type: 'text',
    maxlength: schema?.maxLength,
    value: value === undefined || value === null ? '' : String(value),
    autocomplete: 'off',
    spellcheck: 'false',
    ...attrs,
  });
}

/** `hint` text: the default and the allowed values. */
export function hintFor(schema) {
  const parts = [];
  if (schema && 'default' in schema && schema.type !== 'boolean' && typeof schema.default !== 'object')
    parts.push(`default ${schema.default === '' ? '(empty)' : schema.default}`);
  if (schema?.['x-allowed'] && schema.type !== 'boolean') parts.push(schema['x-allowed']);
  return parts.join(' · ');
}

/** The value of a control, typed by its schema; undefined for an empty optional field. */
export function readControl(control, schema) {
  if (control.type === 'checkbox') return control.checked;
  const raw = control.value;
  if (raw === '') return undefined;
  if (schema?.enum && typeof schema.enum[0] === 'number') return Number(raw);
  if (control.type === 'number') return control.validity.badInput ? raw : Number(raw);
  return raw;
}

/** Removes every API error shown in `root`. */
export function clearApiErrors(root) {
  for (const e of root.querySelectorAll('.api-error')) e.textContent = '';
  for (const r of root.querySelectorAll('.field.refused')) r.classList.remove('refused');
}

/** The message without the leading path: "16 is out of range; allowed 0–15 seconds". */
function shortMessage(f) {
  const m = String(f.message ?? '');
  const i = m.indexOf('): ');
  if (i >= 0) return m.slice(i + 3);
  const j = m.indexOf(': ');
  return j >= 0 && m.slice(0, j) === f.path ? m.slice(j + 2) : m;
}

/**
 * Puts each of the API's field errors beside its field. `prefix` is the entry's place in
 * the directory (`users[3].`, `system.`); paths under it map to `[data-path]` rows.
 * Returns the errors that name no field on this form.
 */
export function showApiErrors(root, fields, prefix) {
  clearApiErrors(root);
  const rest = [];
  for (const f of fields) {
    const path = String(f.path ?? '');
    const rel = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const row = rel === undefined ? null : findRow(root, rel);
    if (!row) {
      rest.push(f);
      continue;
    }
    const slot = row.querySelector('.api-error');
    slot.textContent = `${slot.textContent ? `${slot.textContent} · ` : ''}${shortMessage(f)} (${f.code})`;
    row.classList.add('refused');
  }
  const first = root.querySelector('.field.refused input, .field.refused select, .field.refused textarea');
  first?.focus();
  return rest;
}

function findRow(root, rel) {
  // The closest field: `mobility.x` itself, else its nearest parent on the form.
  let p = rel;
  while (p) {
    const row = root.querySelector(`.field[data-path="${CSS.escape(p)}"]`);
    if (row) return row;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return null;
}

/** A list of errors that belong to no field on the form. */
export function errorList(fields) {
  return h(
    'ul',
    { class: 'error-list' },
    fields.map((f) =>
      h('li', {}, h('code', {}, f.path || '(entry)'), ' ', f.message, f.code ? ` (${f.code})` : ''),
    ),
  );
}

// ───────────────────────────── generic forms from a schema ─────────────────────────────

const isSimpleArray = (schema) =>
  schema?.type === 'array' && (schema.items?.type === 'string' || schema.items?.enum) && !schema.items?.oneOf;

/**
 * A form for an object schema. `value` fills it in; `options.exclude` leaves top-level
 * fields out; `options.keyFields` are read-only when editing. Returns the element and
 * `read(mode)`: the object the fields describe — `put` leaves empty optional fields out,
 * `patch` sends them as null (JSON Merge Patch: unset).
 */
export function schemaForm(schema, value, options = {}) {
  const controls = [];
  const root = h('div', { class: 'schema-form' });
  build(root, schema, value ?? {}, '', options, controls, true);
  return {
    element: root,
    read(mode = 'put') {
      const out = {};
      for (const c of controls) {
        let v;
        if (c.kind === 'json') {
          const raw = c.control.value.trim();
          if (raw === '') v = undefined;
          else {
            try {
              v = JSON.parse(raw);
            } catch {
              throw new FormError(c.path, 'not valid JSON');
            }
          }
        } else if (c.kind === 'list') {
          v = c.control.value
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '');
        } else v = readControl(c.control, c.schema);
        if (v === undefined) {
          if (mode === 'patch') v = null;
          else continue;
        }
        setPath(out, c.path, v);
      }
      return out;
    },
  };
}

export class FormError extends Error {
  constructor(path, message) {
    super(message);
    this.path = path;
  }
}

function setPath(obj, path, v) {
  const segs = path.split('.');
  let o = obj;
  for (const s of segs.slice(0, -1)) {
    o[s] ??= {};
    o = o[s];
  }
  o[segs.at(-1)] = v;
}

const ACRONYMS = { ms: 'MS', uri: 'URI', ddi: 'DDI', id: 'ID', sip: 'SIP', pin: 'PIN', dnd: 'DND' };

function labelOf(key) {
  const words = key
    .replace(/([A-Z])/g, ' $1')
    .toLowerCase()
    .split(' ')
    .map((w) => ACRONYMS[w] ?? w)
    .join(' ')
    .replace('MS teams', 'MS Teams');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Lists one item a line, so a long list reads and edits well. */
function jsonText(v) {
  if (Array.isArray(v))
    return v.length ? `[\n${v.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n]` : '[]';
  return JSON.stringify(v, null, 2);
}

function build(parent, schema, value, prefix, options, controls, top) {
  const required = new Set(schema.required ?? []);
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (top && options.exclude?.includes(key)) continue;
    const path = prefix + key;
    const v = value?.[key];
    const label = options.labels?.[path] ?? labelOf(key);
    if (sub.type === 'object' && sub.properties) {
      const fs = h('fieldset', { class: 'sub' }, h('legend', {}, label));
      build(fs, sub, v ?? {}, `${path}.`, options, controls, false);
      parent.append(fs);
      continue;
    }
    let control;
    let kind = 'value';
    const attrs = {};
    if (top && options.keyFields?.includes(key) && options.editing) attrs.readOnly = true;
    if (isSimpleArray(sub)) {
      kind = 'list';
      control = h('input', {
        type: 'text',
        class: 'wide',
        value: (v ?? []).join(', '),
        autocomplete: 'off',
        ...attrs,
      });
    } else if (
      sub.type === 'array' ||
      (sub.type === 'object' && !sub.properties) ||
      sub.oneOf ||
      sub.anyOf ||
      sub.type === undefined
    ) {
      kind = 'json';
      control = h('textarea', {
        rows: Math.min(10, Math.max(3, (Array.isArray(v) ? v.length : 1) + 2)),
        spellcheck: 'false',
        ...attrs,
      });
      control.value = v === undefined ? '' : jsonText(v);
    } else {
      control = inputFor(sub, v, attrs, !required.has(key));
    }
    const hint =
      kind === 'list' ? `comma-separated · ${allowedText(sub.items) || allowedText(sub)}` : hintFor(sub);
    parent.append(
      fieldRow({
        path,
        label,
        control,
        hint: kind === 'json' ? ['JSON', allowedText(sub)].filter(Boolean).join(' · ') : hint,
        schema: kind === 'value' ? sub : undefined,
        required: required.has(key) && !('default' in sub),
      }),
    );
    controls.push({ path, control, schema: sub, kind });
  }
}

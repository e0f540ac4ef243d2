/**
 * Plain editors for the rest of the directory: a list and a form per collection, the
 * form built from the API's schema and validated by the API on save (all or nothing).
 */
import { api, entryPath, get, responseSchema } from './api.js';
import { h, notice } from './dom.js';
import { errorList, FormError, schemaForm, showApiErrors } from './forms.js';
import { savedNotice } from './mobility.js';

/** segment → how its list looks and how an entry's key is formed (docs/api.md). */
export const COLLECTIONS = {
  'hunt-groups': {
    title: 'Hunt groups',
    section: 'huntGroups',
    param: 'name',
    key: (e) => e.name,
    columns: ['name', 'extension', 'ringMode', 'members'],
  },
  'time-profiles': {
    title: 'Time profiles',
    section: 'timeProfiles',
    param: 'name',
    key: (e) => e.name,
    columns: ['name', 'entries', 'override'],
    blank: {
      entries: [{ kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' }],
    },
  },
  'user-rights': {
    title: 'User rights',
    section: 'userRights',
    param: 'name',
    key: (e) => e.name,
    columns: ['name', 'locked'],
  },
  trunks: {
    title: 'Trunks',
    section: 'trunks',
    param: 'name',
    key: (e) => e.name,
    columns: ['name', 'kind', 'host', 'port', 'transport'],
    secret: 'auth.password',
  },
  'incoming-routes': {
    title: 'Incoming routes',
    section: 'incomingRoutes',
    param: 'id',
    key: (e) => `${e.trunk}|${e.ddi}|${e.callerId ?? ''}`,
    columns: ['trunk', 'ddi', 'callerId', 'destination'],
  },
  'short-codes': {
    title: 'Short codes',
    section: 'shortCodes',
    param: 'code',
    key: (e) => e.code,
    columns: ['code', 'feature', 'forwardType'],
  },
};

function cell(v) {
  if (v === undefined || v === null || v === '') return '—';
  if (Array.isArray(v)) return v.length && typeof v[0] !== 'object' ? v.join(', ') : `${v.length}`;
  if (typeof v === 'object') return `${Object.keys(v).length} set`;
  return String(v);
}

/** Set before a save moves to the entry's new address, so the page there says it was saved. */
let justSaved = false;

/** `#/segment` (list), `#/segment/<key>` (edit), `#/segment/+new` (create). */
export async function collectionPage(root, segment, key, saved = justSaved) {
  justSaved = false;
  const spec = COLLECTIONS[segment];
  const [list, schema] = await Promise.all([
    get(`/api/${segment}`),
    responseSchema(`/api/${segment}/{${spec.param}}`),
  ]);
  const editing = key !== undefined && key !== '+new';
  const index = editing ? list.findIndex((e) => spec.key(e) === key) : list.length;
  const entry = editing ? list[index] : (spec.blank ?? {});
  const table = h(
    'table',
    { class: 'list' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        spec.columns.map((c) => h('th', {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((e) =>
        h(
          'tr',
          { class: editing && spec.key(e) === key ? 'selected' : '' },
          spec.columns.map((c, i) =>
            h(
              'td',
              {},
              i === 0
                ? h('a', { href: `#/${segment}/${encodeURIComponent(spec.key(e))}` }, cell(e[c]))
                : cell(e[c]),
            ),
          ),
        ),
      ),
    ),
  );
  const parts = [
    h('h1', {}, spec.title),
    list.length ? table : h('p', { class: 'muted' }, 'None yet.'),
    h(
      'p',
      {},
      h(
        'a',
        { href: `#/${segment}/+new`, class: 'button' },
        `New ${spec.title.toLowerCase().replace(/s$/, '')}`,
      ),
    ),
  ];
  if (key !== undefined) {
    if (editing && index < 0) parts.push(notice('error', `No such entry: ${key}`));
    else parts.push(entryForm(root, segment, spec, schema, entry, editing ? key : undefined, index, saved));
  }
  root.replaceChildren(...parts);
}

function entryForm(root, segment, spec, schema, entry, key, index, saved) {
  const form = schemaForm(schema, entry, { editing: key !== undefined });
  const status = h('div', { class: 'status-slot' }, saved ? savedNotice() : null);
  const secret = spec.secret
    ? h('input', { type: 'password', autocomplete: 'new-password', placeholder: key ? 'unchanged' : '' })
    : null;
  const el = h(
    'form',
    { class: 'entity', novalidate: true },
    h('h2', {}, key ? `Edit ${key}` : 'New'),
    form.element,
    secret
      ? h('div', { class: 'field' }, h('label', {}, spec.secret), h('span', { class: 'control' }, secret))
      : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, key ? 'Save' : 'Create'),
      key
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: async () => {
                if (!confirm(`Delete ${key}?`)) return;
                try {
                  await api('DELETE', entryPath(segment, key));
                  location.hash = `#/${segment}`;
                } catch (e) {
                  status.replaceChildren(
                    notice('error', `Not deleted: ${e.message}`, errorList(e.fields ?? [])),
                  );
                }
              },
            },
            'Delete',
          )
        : null,
    ),
    status,
  );
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      const body = form.read('put');
      if (secret?.value) {
        body.auth ??= {};
        body.auth.password = secret.value;
      }
      const out = key
        ? await api('PUT', entryPath(segment, key), body)
        : await api('POST', `/api/${segment}`, body);
      const newKey = spec.key(out);
      if (newKey !== key) {
        justSaved = true;
        location.hash = `#/${segment}/${encodeURIComponent(newKey)}`;
      } else await collectionPage(root, segment, key, true);
    } catch (e) {
      if (e instanceof FormError) return status.append(notice('error', `${e.path}: ${e.message}`));
      const rest = e.fields?.length ? showApiErrors(el, e.fields, `${spec.section}[${index}].`) : [];
      status.append(notice('error', `Not saved: ${e.message}`, rest.length ? errorList(rest) : null));
    }
  });
  return el;
}

export async function systemPage(root, saved = false) {
  const [system, schema] = await Promise.all([get('/api/system'), responseSchema('/api/system')]);
  const form = schemaForm(schema, system);
  const status = h('div', { class: 'status-slot' });
  if (saved) status.append(savedNotice());
  const el = h(
    'form',
    { class: 'entity', novalidate: true },
    form.element,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')),
    status,
  );
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      await api('PUT', '/api/system', form.read('put'));
      await systemPage(root, true);
    } catch (e) {
      if (e instanceof FormError) return status.append(notice('error', `${e.path}: ${e.message}`));
      const rest = e.fields?.length ? showApiErrors(el, e.fields, 'system.') : [];
      status.append(notice('error', `Not saved: ${e.message}`, rest.length ? errorList(rest) : null));
    }
  });
  root.replaceChildren(h('h1', {}, 'System settings'), el);
}

/** Users: the list, a new-user form, and each user's page with its tabs. */
import { api, entryPath, get, openApiDoc, responseSchema } from './api.js';
import { h, notice } from './dom.js';
import { errorList, FormError, schemaForm, showApiErrors } from './forms.js';
import { mobilityTab, savedNotice } from './mobility.js';

const TABS = [
  ['user', 'User'],
  ['mobility', 'Mobility'],
  ['effective', 'Effective values'],
];

function mobilitySummary(u) {
  const m = u.mobility ?? {};
  const parts = [];
  if (m.internalTwinning) parts.push(`internal twin ${m.twinnedHandset ?? '—'}`);
  if (m.mobilityFeatures && m.mobileTwinning) parts.push(`mobile ${m.twinnedMobileNumber || '—'}`);
  if (m.msTeamsUri) parts.push('MS Teams');
  if (m.mobilityFeatures && m.fallbackTwinning) parts.push('fallback');
  return parts.join(', ') || '—';
}

export async function usersPage(root) {
  const users = await get('/api/users');
  const status = h('div', { class: 'status-slot' });
  const ext = h('input', { name: 'extension', required: true, pattern: '[0-9]{1,15}', inputmode: 'numeric' });
  const name = h('input', { name: 'name', required: true, maxlength: 64 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password' });
  const licence = h(
    'select',
    { name: 'licence' },
    ['basic', 'mobile-worker', 'power-user', 'uc-user', 'unlicensed'].map((l) =>
      h('option', { value: l }, l),
    ),
  );
  const create = h(
    'form',
    { class: 'inline-form', novalidate: true },
    h('strong', {}, 'New user: '),
    h('label', {}, 'Extension ', ext),
    h('label', {}, 'Name ', name),
    h('label', {}, 'SIP password ', password),
    h('label', {}, 'Licence ', licence),
    h('button', { type: 'submit' }, 'Create'),
  );
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      await api('POST', '/api/users', {
        extension: ext.value,
        name: name.value,
        password: password.value,
        licence: licence.value,
      });
      location.hash = `#/users/${encodeURIComponent(ext.value)}/user`;
    } catch (e) {
      status.append(
        notice('error', `Not created: ${e.message}`, e.fields?.length ? errorList(e.fields) : null),
      );
    }
  });
  root.replaceChildren(
    h('h1', {}, 'Users'),
    h(
      'table',
      { class: 'list' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Extension', 'Name', 'Licence', 'Twinning'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        users.map((u) =>
          h(
            'tr',
            { dataset: { extension: u.extension } },
            h('td', {}, h('a', { href: `#/users/${encodeURIComponent(u.extension)}/mobility` }, u.extension)),
            h('td', {}, h('a', { href: `#/users/${encodeURIComponent(u.extension)}/mobility` }, u.name)),
            h('td', {}, u.licence),
            h('td', {}, mobilitySummary(u)),
          ),
        ),
      ),
    ),
    create,
    status,
  );
}

export async function userPage(root, extension, tab = 'mobility') {
  async function load() {
    const [users, user, effective, profiles, rights, system, inputSchema] = await Promise.all([
      get('/api/users'),
      get(entryPath('users', extension)),
      get(`${entryPath('users', extension)}/effective`),
      get('/api/time-profiles'),
      get('/api/user-rights'),
      get('/api/system'),
      openApiDoc().then((doc) => doc.paths['/api/users'].post.requestBody.content['application/json'].schema),
    ]);
    const index = users.findIndex((u) => u.extension === user.extension);
    return { users, user, effective, profiles, rights, system, inputSchema, index };
  }

  const body = h('div', { class: 'tab-body' });
  async function render(saved = false) {
    const data = await load();
    const { user } = data;
    root.replaceChildren(
      h(
        'p',
        { class: 'crumbs' },
        h('a', { href: '#/users' }, 'Users'),
        ' › ',
        `${user.extension} ${user.name}`,
      ),
      h('h1', {}, `${user.name} `, h('span', { class: 'muted' }, `(${user.extension}, ${user.licence})`)),
      h(
        'div',
        { class: 'tabs', role: 'tablist' },
        TABS.map(([id, label]) =>
          h(
            'a',
            {
              role: 'tab',
              href: `#/users/${encodeURIComponent(extension)}/${id}`,
              class: id === tab ? 'active' : '',
              'aria-selected': id === tab ? 'true' : 'false',
            },
            label,
          ),
        ),
      ),
      body,
    );
    if (tab === 'mobility')
      mobilityTab(
        body,
        {
          ...data,
          schema: data.inputSchema.properties.mobility,
        },
        (s) => render(s === true),
        saved,
      );
    else if (tab === 'effective') effectiveTab(body, data.effective);
    else await userTab(body, data, (s) => render(s === true), saved);
  }
  await render();
}

async function userTab(root, data, reload, saved) {
  const { user, index } = data;
  const schema = await responseSchema('/api/users/{extension}');
  const form = schemaForm(schema, user, {
    exclude: ['mobility', 'extension'],
    labels: { licence: 'Licence', twinningMode: 'Twinning mode (internal ⇄ mobile, CFG-3)' },
  });
  const status = h('div', { class: 'status-slot' });
  if (saved) status.append(savedNotice());
  const password = h('input', { type: 'password', autocomplete: 'new-password', placeholder: 'unchanged' });
  const el = h(
    'form',
    { class: 'entity', novalidate: true },
    form.element,
    h('div', { class: 'field' }, h('label', {}, 'SIP password'), h('span', { class: 'control' }, password)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')),
    status,
  );
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      const patch = form.read('patch');
      if (password.value) patch.password = password.value;
      await api('PATCH', entryPath('users', user.extension), patch);
      await reload(true);
    } catch (e) {
      if (e instanceof FormError) return status.append(notice('error', `${e.path}: ${e.message}`));
      const rest = e.fields?.length ? showApiErrors(el, e.fields, `users[${index}].`) : [];
      status.append(notice('error', `Not saved: ${e.message}`, rest.length ? errorList(rest) : null));
    }
  });
  root.replaceChildren(el);
}

function effectiveTab(root, eff) {
  const rows = [];
  const mob = eff.effective?.mobility ?? {};
  const own = eff.own?.mobility ?? {};
  for (const k of Object.keys({ ...own, ...mob })) {
    const path = `mobility.${k}`;
    const lock = eff.locked?.[path];
    const ro = eff.readOnly?.[path];
    rows.push(
      h(
        'tr',
        { class: JSON.stringify(own[k]) !== JSON.stringify(mob[k]) ? 'differs' : '' },
        h('td', {}, h('code', {}, path)),
        h('td', {}, JSON.stringify(own[k] ?? null)),
        h('td', {}, JSON.stringify(mob[k] ?? null)),
        h('td', {}, lock ? `🔒 ${lock.userRights}` : '', ro ? ` ${ro.code}` : ''),
      ),
    );
  }
  root.replaceChildren(
    h(
      'p',
      {},
      `At ${eff.at}: licence ${eff.licence} (${eff.licensed ? 'licensed' : 'unlicensed'}, ${eff.mobilityEntitled ? 'mobility entitled' : 'no mobility entitlement'}); `,
      `${eff.workingHours ? 'working hours' : 'out of hours'}; user rights ${eff.userRights ?? 'none'}; twinning mode ${eff.twinningMode}`,
      eff.twinOf ? `; twinned handset of ${eff.twinOf}` : '',
      '.',
    ),
    h(
      'table',
      { class: 'list' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Setting', 'Own value', 'In force', 'Why'].map((t) => h('th', {}, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

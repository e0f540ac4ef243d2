/**
 * The twinline admin page: sign-in, then a hash router over the pages. Every page reads
 * and writes through the admin API; nothing is kept in the browser but the CSRF token.
 */
import { api, setCsrfToken, whenSignedOut } from './api.js';
import { historyPage, liveCallsPage, registrationsPage } from './calls.js';
import { h, notice } from './dom.js';
import { COLLECTIONS, collectionPage, systemPage } from './editors.js';
import { userPage, usersPage } from './users.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let cleanup = () => {};
let signedIn = false;

function signInPage(message) {
  signedIn = false;
  nav.hidden = true;
  who.replaceChildren();
  const account = h('input', { name: 'account', value: 'admin', autocomplete: 'username', required: true });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { class: 'status-slot' }, message ? notice('error', message) : null);
  const form = h(
    'form',
    { class: 'signin', 'aria-label': 'Sign in' },
    h('h1', {}, 'Sign in'),
    h('label', {}, 'Account', account),
    h('label', {}, 'Password', password),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      const s = await api('POST', '/api/session', { account: account.value, password: password.value });
      signedInAs(s);
      route();
    } catch (e) {
      const wait = e.code === 'TOO_MANY_ATTEMPTS' ? ' Wait a moment and try again.' : '';
      status.append(notice('error', `${e.message}${wait}`));
    }
  });
  cleanup();
  cleanup = () => {};
  main.replaceChildren(form);
  (password.value ? account : password).focus();
}

function signedInAs(s) {
  signedIn = true;
  setCsrfToken(s.csrfToken);
  nav.hidden = false;
  who.replaceChildren(
    `signed in as ${s.account ?? s.extension} `,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: async () => {
          try {
            await api('DELETE', '/api/session');
          } finally {
            setCsrfToken('');
            signInPage();
          }
        },
      },
      'Sign out',
    ),
  );
}

whenSignedOut(() => signInPage('Your session has ended; sign in again.'));

async function route() {
  if (!signedIn) return;
  cleanup();
  cleanup = () => {};
  const [pathPart, query] = (location.hash.replace(/^#/, '') || '/users').split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query ?? '');
  for (const a of nav.querySelectorAll('a'))
    a.classList.toggle('active', a.getAttribute('href') === `#/${parts[0]}`);
  const page = h('div', { class: 'page' });
  main.replaceChildren(page);
  try {
    const [section, key, tab] = parts;
    let end;
    if (section === 'users' && key) await userPage(page, key, tab);
    else if (section === 'users' || !section) await usersPage(page);
    else if (section in COLLECTIONS) await collectionPage(page, section, key);
    else if (section === 'system') await systemPage(page);
    else if (section === 'calls') end = liveCallsPage(page);
    else if (section === 'history') await historyPage(page, params);
    else if (section === 'registrations') end = await registrationsPage(page);
    else page.replaceChildren(notice('error', `No page ${pathPart}`));
    if (end) cleanup = end;
  } catch (e) {
    if (e.status === 401) return;
    page.replaceChildren(notice('error', `Could not load this page: ${e.message}`));
  }
}

window.addEventListener('hashchange', route);

async function start() {
  try {
    const s = await api('GET', '/api/session');
    if (s.kind !== 'admin') return signInPage('Signed in as a user; sign in as an administrator.');
    signedInAs(s);
    route();
  } catch {
    signInPage();
  }
}
start();

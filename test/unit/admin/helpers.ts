/**
 * An admin app over an in-memory store and the real live configuration, with a virtual
 * clock and a known administrator; helpers to sign in and send requests.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { buildAdminApp } from '../../../src/admin/app.js';
import { hashPassword } from '../../../src/admin/passwords.js';
import type { AdminContext, AdminOptions, RegistrationView } from '../../../src/admin/types.js';
import { type Directory, type DirectoryInput, validateDirectory } from '../../../src/config/index.js';
import { openDirectoryConfig } from '../../../src/store/directory-config.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';

export const ADMIN = { account: 'root', password: 'correct horse battery staple' };
/** Monday 2026-01-05 10:00 UTC: inside the working-hours profile of the seed. */
export const MONDAY_10 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** A small directory covering every rule the API tests touch. */
export function seedInput(): DirectoryInput {
  return {
    system: { timeZone: 'Europe/London', outsideLinePrefix: '9' },
    users: [
      {
        extension: '201',
        name: 'Alice',
        password: 'alice-secret',
        licence: 'mobile-worker',
        workingHoursTimeProfile: 'Office',
        workingHoursUserRights: 'Day',
        outOfHoursUserRights: 'Night',
        mobility: { mobilityFeatures: true, mobileTwinning: true, twinnedMobileNumber: '907700900123' },
      },
      {
        extension: '202',
        name: 'Bob',
        password: 'bob-secret',
        licence: 'power-user',
        mobility: { internalTwinning: true, twinnedHandset: '203' },
      },
      { extension: '203', name: 'Bob DECT', password: 'dect-secret', licence: 'basic' },
      { extension: '204', name: 'Carol', password: 'carol-secret', licence: 'unlicensed' },
    ],
    huntGroups: [{ name: 'Sales', extension: '300', members: ['201', '202'] }],
    timeProfiles: [
      {
        name: 'Office',
        entries: [
          { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
        ],
      },
    ],
    userRights: [
      { name: 'Day', locked: { 'mobility.mobileDialDelay': 5 } },
      { name: 'Night', locked: { dnd: true } },
    ],
    trunks: [
      {
        name: 'carrier',
        kind: 'carrier',
        host: '127.0.0.1',
        port: 5080,
        auth: { username: 'u', password: 'trunk-secret' },
      },
    ],
    incomingRoutes: [{ trunk: 'carrier', ddi: '', destination: '300' }],
    shortCodes: [{ code: '*9N#', feature: 'setMobileTwinningNumber' }],
  };
}

export function seedDirectory(input: DirectoryInput = seedInput()): Directory {
  const r = validateDirectory(input);
  if (!r.ok) throw new Error(`seed invalid: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return r.directory;
}

export interface Harness {
  app: FastifyInstance;
  ctx: AdminContext;
  clock: VirtualClock;
  registrations: RegistrationView[];
  close(): Promise<void>;
}

export async function harness(
  extra: Partial<AdminContext> = {},
  options: AdminOptions = {},
  input?: DirectoryInput,
): Promise<Harness> {
  const clock = new VirtualClock(MONDAY_10);
  const store = openSqliteStore({ dataDir: ':memory:', clock });
  const config = openDirectoryConfig(store, {
    seed: () => seedDirectory(input),
    logger: silentLogger,
    clock,
  });
  const now = clock.wallNow();
  store.admin.putAccount({
    name: ADMIN.account,
    passwordHash: await hashPassword(ADMIN.password),
    createdAt: now,
    updatedAt: now,
  });
  const registrations: RegistrationView[] = [];
  const ctx: AdminContext = {
    config,
    store,
    registrations: () => registrations,
    clock,
    logger: silentLogger,
    metrics: new Registry(),
    ...extra,
  };
  const app = await buildAdminApp(ctx, options);
  return {
    app,
    ctx,
    clock,
    registrations,
    async close() {
      await app.close();
      store.close();
    },
  };
}

/** Credentials for one signed-in session: the cookie and its CSRF token. */
export interface Session {
  cookie: string;
  csrf: string;
}

export function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (!first) throw new Error(`no cookie set (status ${res.statusCode}: ${res.body})`);
  return first.split(';')[0]!;
}

export async function signIn(
  app: FastifyInstance,
  account = ADMIN.account,
  password = ADMIN.password,
): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: '/api/session', payload: { account, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return { cookie: cookieOf(res), csrf: res.json().csrfToken };
}

export async function signInUser(
  app: FastifyInstance,
  extension: string,
  password: string,
): Promise<Session> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/self/session',
    payload: { extension, password },
  });
  if (res.statusCode !== 200) throw new Error(`self sign-in failed: ${res.statusCode} ${res.body}`);
  return { cookie: cookieOf(res), csrf: res.json().csrfToken };
}

/** A request as a signed-in session (with the CSRF token on unsafe methods). */
export function as(session: Session) {
  return (opts: InjectOptions) =>
    ({
      ...opts,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(opts.headers ?? {}) },
    }) as InjectOptions;
}

export interface ErrorField {
  path: string;
  value: unknown;
  allowed: string;
  message: string;
  code: string;
}

export function errorOf(res: LightMyRequestResponse): {
  code: string;
  message: string;
  fields?: ErrorField[];
} {
  return res.json().error;
}

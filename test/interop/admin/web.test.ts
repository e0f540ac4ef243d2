/**
 * The admin web page in real headless Chromium against the real server: sign in, the
 * Mobility tab's range checks (as typed, then the API's refusal beside the field), a
 * saved change that the next real SIP call follows while the live view draws the call's
 * legs on a time axis (SEE-2), and an unlicensed user's greyed-out tab (CFG-2).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { peerOn, registeredPhone } from '../../support/phones.js';
import { freeUdpPort } from '../../support/ports.js';
import { artifactsDir, stopAllProcesses } from '../../support/processes.js';
import { received, startSipp } from '../../support/sipp.js';
import { adminSession, repoRoot, startTwinline, type TwinlineProcess } from '../../support/twinline.js';
import { waitFor } from '../../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 10_000;

let server: TwinlineProcess;
let carrierPort: number;
let browser: Browser;
let page: Page;
let api: Awaited<ReturnType<typeof adminSession>>;
const pageErrors: string[] = [];

function firstStartPassword(): string {
  const line = server.process.stdout
    .split('\n')
    .find((l) => l.includes('"account":"admin"') && l.includes('"password"'));
  assert.ok(line, 'the server log holds the first-start admin password');
  return (JSON.parse(line) as { password: string }).password;
}

const field = (p: string) => page.locator(`.field[data-path="${p}"]`);
const input = (p: string) => page.locator(`[data-path="${p}"]:is(input, select, textarea)`);

async function screenshot(name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

before(async () => {
  await waitFor(() => existsSync(CHROMIUM), {
    timeoutMs: 120_000,
    what: `${CHROMIUM} to be installed (scripts/install-test-deps.sh)`,
    intervalMs: 1000,
  });
  carrierPort = await freeUdpPort();
  server = await startTwinline({
    configYaml: `
system:
  timeZone: Europe/London
  outsideLinePrefix: '9'
users:
  - extension: '201'
    name: Alice
    password: alice-secret
    licence: mobile-worker
    noAnswerTime: 10
    voicemail: { enabled: false }
    mobility:
      mobilityFeatures: true
  - { extension: '202', name: Bob, password: bob-secret }
  - { extension: '203', name: Carol, password: carol-secret, licence: unlicensed }
  - extension: '204'
    name: Dave
    password: dave-secret
    licence: power-user
    workingHoursUserRights: Fixed delay
    mobility: { internalTwinning: true, twinnedHandset: '205' }
  - { extension: '205', name: Dave DECT, password: dect-secret }
userRights:
  - name: Fixed delay
    locked: { mobility.mobileDialDelay: 0 }
timeProfiles:
  - name: Working hours
    entries:
      - { kind: weekly, days: [mon, tue, wed, thu, fri], start: '09:00', end: '17:30' }
trunks:
  - { name: carrier, kind: carrier, host: 127.0.0.1, port: ${carrierPort}, ownNumber: '441632960000' }
`,
  });
  api = await adminSession(server);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await stopAllProcesses();
});

describe('admin web page', () => {
  it('signs in with the administrator account', async () => {
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
    await page.getByLabel('Password').fill(firstStartPassword());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who', { hasText: 'signed in as admin' }).waitFor();
    await page.locator('table.list tr[data-extension="201"]').waitFor();
  });

  it('opens a user on the Mobility tab with every default shown', async () => {
    await page.locator('tr[data-extension="201"] a').first().click();
    await page.locator('.tabs a.active', { hasText: 'Mobility' }).waitFor();
    for (const legend of ['Internal Twinning', 'Simultaneous clients', 'Mobility Features'])
      await page.locator('fieldset.group legend', { hasText: legend }).waitFor();
    assert.equal(await input('mobility.msTeamsCoverageDelay').inputValue(), '0');
    assert.equal(await input('mobility.mobileDialDelay').inputValue(), '2');
    assert.equal(await input('mobility.mobileAnswerGuard').inputValue(), '0');
    assert.equal(await input('mobility.maxTwinnedCalls').inputValue(), '1');
    assert.equal(await input('mobility.mobilityFeatures').isChecked(), true);
    assert.equal(await input('mobility.oneXMobileClient').isDisabled(), true);
    await field('mobility.oneXMobileClient').getByText('not supported').waitFor();
    // Only allowed destinations: not Alice herself, not a hunt group; 204 and 202 are free.
    const handsets = await input('mobility.twinnedHandset').locator('option').allTextContents();
    // 204 is a primary and 205 is 204's twin: neither can be picked.
    assert.deepEqual(handsets.slice(1).sort(), ['202 Bob', '203 Carol']);
    const profiles = await input('mobility.twinningTimeProfile').locator('option').allTextContents();
    assert.deepEqual(profiles, ['<None> (always)', 'Working hours']);
  });

  it('CFG-1 Coverage Delay 16: a range message as it is typed, and the API’s error beside the field on save', async () => {
    await input('mobility.msTeamsCoverageDelay').fill('16');
    await field('mobility.msTeamsCoverageDelay')
      .locator('.msg', { hasText: '16 is out of range; allowed 0–15 seconds' })
      .waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const apiError = field('mobility.msTeamsCoverageDelay').locator('.api-error');
    await apiError.filter({ hasText: 'OUT_OF_RANGE' }).waitFor();
    assert.match((await apiError.textContent()) ?? '', /16 is out of range; allowed 0–15 seconds/);
    await page.locator('.notice.error', { hasText: 'nothing was stored' }).waitFor();
    const stored = (await api.get('/api/users/201')) as { mobility: { msTeamsCoverageDelay: number } };
    assert.equal(stored.mobility.msTeamsCoverageDelay, 0);
  });

  it('CFG-4 saves mobile twinning (number, dial delay 1 s, guard 0) and says it applies to the next call', async () => {
    await input('mobility.msTeamsCoverageDelay').fill('0');
    await input('mobility.mobileTwinning').check();
    await input('mobility.twinnedMobileNumber').fill('907700900201');
    await input('mobility.mobileDialDelay').fill('1');
    await input('mobility.mobileAnswerGuard').fill('0');
    assert.equal(await field('mobility.mobileDialDelay').locator('.msg').textContent(), '');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.notice.ok', { hasText: 'applies at once, to the next call' }).waitFor();
    const stored = (await api.get('/api/users/201')) as { mobility: Record<string, unknown> };
    assert.equal(stored.mobility.mobileTwinning, true);
    assert.equal(stored.mobility.twinnedMobileNumber, '907700900201');
    assert.equal(stored.mobility.mobileDialDelay, 1);
    assert.equal(stored.mobility.mobileAnswerGuard, 0);
    assert.equal(stored.mobility.msTeamsCoverageDelay, 0);
    // The form shows what was stored after the reload.
    assert.equal(await input('mobility.mobileDialDelay').inputValue(), '1');
    const shot = await screenshot('web-mobility-tab.png');
    mkdirSync(path.join(repoRoot, 'docs/screenshots'), { recursive: true });
    copyFileSync(shot, path.join(repoRoot, 'docs/screenshots/mobility-tab.png'));
  });

  it('SEE-2 a real call follows the saved settings while the live view draws its legs on a time axis', async () => {
    await page.locator('#nav a', { hasText: 'Live calls' }).click();
    await page.locator('.stream-state.live').waitFor();

    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-never-answer');
    const mobile = await peerOn(carrierPort, 'uas-answer', { keys: { ring_ms: 2000 }, name: 'mobile' });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-secret' },
      keys: { from_user: '202', hold_ms: 2000 },
      timeoutMs: 20_000,
      name: 'caller-202',
    });

    const call = page.locator('section.call').first();
    await call.locator('g.leg[data-reason="primary"] rect.bar.ringing').waitFor();
    // MT-1: the mobile leg waits out the dial delay before it is placed.
    await call.locator('g.leg[data-reason="mobileTwin"][data-placed="no"] rect.bar.waiting').waitFor();
    // The dial delay: the mobile leg is placed about 1 s after the call started.
    await call.locator('g.leg[data-reason="mobileTwin"] rect.bar.ringing').waitFor();
    await call.locator('g.leg[data-reason="mobileTwin"] line.gap').waitFor({ state: 'attached' });
    // The mobile answers and wins; the desk is cancelled as completed elsewhere.
    await call.locator('g.leg.winner[data-reason="mobileTwin"] rect.bar.connected').waitFor();
    await call.locator('g.leg[data-reason="primary"][data-status="cancelled"]').waitFor();
    await screenshot('web-live-call.png');

    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
    const deskInvite = received(d.messages).find((x) => x.method === 'INVITE')!;
    const mobileInvite = received(m.messages).find((x) => x.method === 'INVITE')!;
    const delay = mobileInvite.timeMs - deskInvite.timeMs;
    assert.ok(
      delay >= 900 && delay < 1600,
      `mobile leg ${delay.toFixed(0)} ms after the desk (dial delay 1 s)`,
    );
    assert.equal(mobileInvite.requestUri, `sip:07700900201@127.0.0.1:${carrierPort}`);

    await page.locator('section.call.ended').first().waitFor();
    const gapText = await call.locator('g.leg[data-reason="mobileTwin"] .gap-text').textContent();
    assert.match(gapText ?? '', /^\+1(\.\d)? s$/);
  });

  it('SEE-1 the call history draws the finished call the same way', async () => {
    await page.locator('#nav a', { hasText: 'Call history' }).click();
    const record = page.locator('section.call.record').first();
    await record.waitFor();
    await record.locator('g.leg.winner[data-reason="mobileTwin"] rect.bar.connected').waitFor();
    await record.locator('g.leg[data-reason="primary"] rect.bar.ringing').waitFor();
    await record.locator('table.legs', { hasText: 'answeredElsewhere' }).waitFor();
  });

  it('shows registrations with their reachability', async () => {
    await page.locator('#nav a', { hasText: 'Registrations' }).click();
    await page
      .locator('tr[data-aor="201"] .badge', { hasText: /reachable/ })
      .first()
      .waitFor();
  });

  it('UR-1 a Mobility field locked by user rights shows a lock and the value in force', async () => {
    await page.goto(`http://127.0.0.1:${server.httpPort}/#/users/204/mobility`);
    const delay = input('mobility.mobileDialDelay');
    await delay.waitFor();
    assert.equal(await delay.isDisabled(), true);
    assert.equal(await delay.inputValue(), '0');
    await field('mobility.mobileDialDelay').locator('.lock', { hasText: 'Fixed delay' }).waitFor();
    assert.match(
      (await field('mobility.mobileDialDelay').locator('.lock').textContent()) ?? '',
      /in force 0 \(own value 2\)/,
    );
  });

  it('IT-1 a twinned handset’s own picker is read-only and names its primary', async () => {
    await page.goto(`http://127.0.0.1:${server.httpPort}/#/users/205/mobility`);
    await field('mobility.twinnedHandset')
      .locator('.readonly-why', { hasText: 'twinned handset of 204 Dave' })
      .waitFor();
    assert.equal(await input('mobility.twinnedHandset').isDisabled(), true);
  });

  it('TP-2 the time-profile editor shows the API’s refusal beside the field, then offers the saved profile', async () => {
    await page.locator('#nav a', { hasText: 'Time profiles' }).click();
    await page.getByRole('link', { name: 'New time profile' }).click();
    await input('name').fill('Night');
    await input('entries').fill('[{"kind":"weekly","days":["mon"],"start":"22:00","end":"25:00"}]');
    await page.getByRole('button', { name: 'Create' }).click();
    await field('entries').locator('.api-error', { hasText: '24:00' }).waitFor();
    await input('entries').fill('[{"kind":"weekly","days":["mon"],"start":"22:00","end":"24:00"}]');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('table.list tr.selected', { hasText: 'Night' }).waitFor();
    await page.locator('.notice.ok', { hasText: 'applies at once' }).waitFor();
    await screenshot('web-time-profiles.png');
    await page.goto(`http://127.0.0.1:${server.httpPort}/#/users/201/mobility`);
    await input('mobility.twinningTimeProfile')
      .locator('option', { hasText: 'Night' })
      .waitFor({ state: 'attached' });
  });

  it('the MS Teams URI is read-only while the system fills it in (autoPopulateMsTeamsData)', async () => {
    await page.locator('#nav a', { hasText: 'System' }).click();
    await input('autoPopulateMsTeamsData').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.notice.ok', { hasText: 'applies at once' }).waitFor();
    await screenshot('web-system.png');
    await page.goto(`http://127.0.0.1:${server.httpPort}/#/users/201/mobility`);
    await field('mobility.msTeamsUri')
      .locator('.readonly-why', { hasText: 'autoPopulateMsTeamsData' })
      .waitFor();
    assert.equal(await input('mobility.msTeamsUri').getAttribute('readonly'), '');
    // The rest of the form still saves.
    await input('mobility.mobileAnswerGuard').fill('2');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.notice.ok', { hasText: 'applies at once' }).waitFor();
  });

  it('AG-1 the live view shades the answer-guard window and marks a mobile that answered inside it', async () => {
    // The previous test left Alice with a 2 s guard (dial delay 1 s).
    await page.locator('#nav a', { hasText: 'Live calls' }).click();
    await page.locator('.stream-state.live').waitFor();
    const desk = await registeredPhone(server, '201', 'alice-secret', 'uas-answer', {
      keys: { ring_ms: 2500 },
    });
    const mobile = await peerOn(carrierPort, 'uas-answer-immediately', { name: 'mobile-voicemail' });
    const caller = await startSipp({
      scenario: 'uac-invite-auth-bye',
      remote: server.address,
      service: '201',
      auth: { user: '202', pass: 'bob-secret' },
      keys: { from_user: '202', hold_ms: 1000 },
      timeoutMs: 20_000,
      name: 'caller-202-guard',
    });
    const call = page.locator('section.call:not(.ended)').first();
    await call.locator('g.leg[data-reason="mobileTwin"] rect.guard').waitFor();
    await call.locator('g.leg[data-reason="mobileTwin"] rect.bar.refused').waitFor();
    await call.locator('g.leg.winner[data-reason="primary"] rect.bar.connected').waitFor();
    await screenshot('web-live-call-guard.png');
    const [c, d, m] = await Promise.all([caller.result(), desk.sipp.result(), mobile.result()]);
    assert.equal(c.outcome, 'ok', c.errors);
    assert.equal(d.outcome, 'ok', d.errors);
    assert.equal(m.outcome, 'ok', m.errors);
  });

  it('CFG-2 an unlicensed user’s Mobility tab is greyed out with the reason', async () => {
    await page.goto(`http://127.0.0.1:${server.httpPort}/#/users/203/mobility`);
    await page.locator('.banner.readonly', { hasText: 'unlicensed' }).waitFor();
    const controls = page.locator('form.mobility :is(input, select)');
    const n = await controls.count();
    assert.ok(n >= 20, `${n} controls`);
    for (let i = 0; i < n; i++)
      assert.equal(await controls.nth(i).isDisabled(), true, `control ${i} disabled`);
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true);
    await screenshot('web-mobility-unlicensed.png');
  });

  it('opens every editor: a list, and a form for an entry', async () => {
    const base = `http://127.0.0.1:${server.httpPort}/`;
    for (const [hash, heading] of [
      ['#/hunt-groups', 'Hunt groups'],
      ['#/short-codes', 'Short codes'],
      ['#/incoming-routes/+new', 'Incoming routes'],
      ['#/user-rights/Fixed%20delay', 'User rights'],
      ['#/users/201/user', 'Alice'],
      ['#/users/204/effective', 'Dave'],
      ['#/trunks/carrier', 'Trunks'],
    ] as const) {
      await page.goto(base + hash);
      await page.locator('h1', { hasText: heading }).waitFor();
    }
    assert.equal(await input('host').inputValue(), '127.0.0.1');
    await page.goto(`${base}#/user-rights/Fixed%20delay`);
    assert.match(await input('locked').inputValue(), /"mobility.mobileDialDelay": 0/);
    await page.goto(`${base}#/users/204/effective`);
    await page
      .locator('table.list tr', { hasText: 'mobility.mobileDialDelay' })
      .getByText('Fixed delay')
      .waitFor();
  });

  it('leaves no script errors behind', () => {
    assert.deepEqual(pageErrors, []);
  });
});

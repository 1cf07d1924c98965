// Self-registration in the browser: "Create an account" on the login page
// (only when the server takes registrations), the form's rules and
// errors in its live region, the proof of work with its progress (by
// crypto.subtle, or in JavaScript where a page has none), the new player
// logged in and naming themselves, logging in again with the new
// password; invite codes; keyboard only.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildServer, writeGame, startServer, launchBrowser, newPlayer, login, setName, solve, withShots, CHALLENGES,
} from './helpers.mjs';

const CODE = 'browser-invite-code-5d8e';
const PASSWORD = 'velvet-harbor-37';

let open;
let invite;
let closed;
let browser;

before(async () => {
  const bin = buildServer();
  // 14 bits: about 16,000 hashes, long enough to see the progress.
  open = await startServer(bin, writeGame(), { args: ['--registration', 'open', '--registration-pow-bits', '14'] });
  const inviteGame = writeGame();
  appendFileSync(join(inviteGame, '.env'), `CTFG_REGISTRATION=invite\nCTFG_REGISTRATION_CODE=${CODE}\nCTFG_REGISTRATION_POW_BITS=8\n`);
  invite = await startServer(bin, inviteGame);
  closed = await startServer(bin, writeGame());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([open, invite, closed].map((s) => s?.stop()));
});

const errorText = (page) => page.locator('#register-error').textContent();
const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

/** openRegister opens the app and follows "Create an account". */
async function openRegister(page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account', level: 1 }).waitFor();
}

test('a player creates an account, names themselves, plays and logs in again', async () => {
  const { page, record } = await newPlayer(browser, open);
  await withShots('register-open', [page], async () => {
    await openRegister(page);
    // Accessible: every field has its label and its rules.
    const username = page.getByLabel('Username');
    const password = page.getByLabel('Password', { exact: true });
    assert.equal(await username.getAttribute('aria-describedby'), 'register-username-help');
    assert.match(await page.locator('#register-password-help').textContent(), /At least 10 characters/);
    assert.equal(await page.locator('#register-error').getAttribute('role'), 'alert');
    assert.equal(await page.locator('#register-status').getAttribute('role'), 'status');
    assert.equal(await page.getByLabel('Registration code').count(), 0, 'no code field when open');
    assert.equal(await focusedId(page), 'register-username', 'the username field has the focus');

    // The rules are checked before anything is sent, next to the field.
    await username.fill('no way');
    await password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match(await errorText(page), /3–32 characters/);
    assert.equal(await username.getAttribute('aria-invalid'), 'true');
    assert.equal(await focusedId(page), 'register-username');
    await username.fill('Newcomer');
    await password.fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match(await errorText(page), /at least 10 characters/);
    assert.equal(await focusedId(page), 'register-password');

    // The server's refusals too: a taken name (a credentials.csv player).
    await username.fill('Alice');
    await password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForFunction(() => /taken/.test(document.querySelector('#register-error').textContent));
    assert.equal(await focusedId(page), 'register-username');
    assert.equal(await username.inputValue(), 'alice', 'the username is shown as it is kept');

    // The proof of work shows its progress and leaves the page responsive.
    await username.fill('Newcomer');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Running the anti-spam check').waitFor();
    const t0 = Date.now();
    await page.evaluate(() => document.title);
    assert.ok(Date.now() - t0 < 2000, 'the page answers while the proof of work runs');
    await page.getByRole('heading', { name: 'Choose your display name' }).waitFor({ timeout: 60_000 });
    await setName(page, 'Fresh Face');
    await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
    await page.getByText('Fresh Face').first().waitFor();

    // Open registration plays in teams (SPEC §13): the newcomer makes one
    // (its invite code shown for friends), then plays for it.
    await page.locator('.no-team', { hasText: 'You are not in a team yet' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Team', exact: true }).click();
    await page.getByLabel('Team name').fill('Fresh Crew');
    await page.getByRole('button', { name: 'Make team' }).click();
    await page.getByRole('heading', { name: 'Fresh Crew', level: 2 }).waitFor();
    assert.match(await page.getByLabel('Invite code').inputValue(), /^[0-9A-Z]{8,}$/);
    await solve(page, CHALLENGES[0]);
    await page.locator('header .points').filter({ hasText: '100' }).waitFor();

    await page.getByRole('button', { name: 'Logout' }).click();
    await page.getByPlaceholder('Username').waitFor();
    await login(page, 'newcomer', PASSWORD);
    // Back where they were (the solved challenge), the team's points kept.
    await page.getByRole('heading', { name: CHALLENGES[0].title, level: 2 }).waitFor();
    await page.locator('header .points').filter({ hasText: '100' }).waitFor();

    assert.deepEqual(record.errors, [], 'no script errors');
    // The refused requests of this test: the taken name only.
    assert.deepEqual(record.failed.filter((f) => !/\/api\/me$/.test(f)), ['400 POST /api/register']);
  });
});

test('by keyboard alone, with the code of an invite, and without crypto.subtle', async () => {
  const { page, context, record } = await newPlayer(browser, invite);
  // As a page served over plain HTTP to another machine: no crypto.subtle.
  await context.addInitScript(() => {
    Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined, configurable: true });
  });
  await withShots('register-invite', [page], async () => {
    await page.goto('/');
    assert.equal(await page.evaluate(() => globalThis.crypto.subtle), undefined);
    const offer = page.getByRole('button', { name: 'Create an account' });
    await offer.waitFor();
    await offer.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create an account', level: 1 }).waitFor();
    // Escape goes back to the login, and the way in again works.
    await page.keyboard.press('Escape');
    await page.getByPlaceholder('Username').waitFor();
    await page.getByRole('button', { name: 'Create an account' }).focus();
    await page.keyboard.press('Enter');

    assert.equal(await focusedId(page), 'register-username');
    await page.keyboard.type('invited.one');
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'register-password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'register-code');
    await page.keyboard.type('not-the-code');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /registration code is not right/.test(document.querySelector('#register-error').textContent));
    assert.equal(await focusedId(page), 'register-code', 'the focus goes to the field at fault');
    assert.equal(await page.getByLabel('Registration code').getAttribute('aria-invalid'), 'true');

    await page.keyboard.press('Control+A');
    await page.keyboard.type(CODE);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose your display name' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(record.errors, [], 'no script errors');
  });
});

test('no offer while registration is closed', async () => {
  const { page } = await newPlayer(browser, closed);
  const [info] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/registration')), page.goto('/')]);
  assert.deepEqual(await info.json(), { mode: 'closed', pow_bits: 0 });
  await page.getByPlaceholder('Username').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create an account' }).count(), 0);
});

// The whole game by keyboard alone, against the real server: log in, name
// yourself in the dialog, open challenges with Enter, buy a hint (and
// back out of one with Escape), a wrong then a right flag, too many
// guesses, the scoreboard and its table — only Tab, Shift+Tab, Enter,
// Escape and typing; every control reached shows a focus indicator. And
// what the live regions say: correct, incorrect, the rate limit, an
// announcement, "you moved to rank N".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminPost,
  buildServer, writeGame, startServer, launchBrowser, newPlayer, withShots, PLAYERS,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  const bin = buildServer();
  server = await startServer(bin, writeGame());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const admin = (path, body) => adminPost(server, path, body);

/** apiPlayer plays over the HTTP API (no browser): {submit(id, flag), hint(id, hintId)}. */
async function apiPlayer([username, password], name) {
  let cookie = '';
  const call = async (path, body) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify(body),
    });
    const set = res.headers.getSetCookie();
    if (set.length) cookie = set.map((c) => c.split(';')[0]).join('; ');
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await call('/api/login', { username, password });
  await call('/api/set-name', { name });
  return {
    submit: (id, flag) => call('/api/submit', { id, flag }),
    hint: (id, hintId) => call('/api/hint', { id, hint_id: hintId }),
  };
}

/** focused describes document.activeElement, with its focus indicator. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: (el.getAttribute('aria-label') || el.textContent || el.placeholder || '').trim().slice(0, 60),
      outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 ? `${cs.outlineWidth} ${cs.outlineStyle} ${cs.outlineColor}` : null,
      shadow: cs.boxShadow !== 'none' ? cs.boxShadow : null,
    };
  });
}

/** expectVisibleFocus fails unless the focused element shows an outline or a ring. */
async function expectVisibleFocus(page) {
  const f = await focused(page);
  assert.ok(f, 'the focus is on an element, not lost to the page');
  assert.ok(f.outline || f.shadow, `no visible focus on <${f.tag}> "${f.text}"`);
  return f;
}

/** isFocused tells whether the locator's element has the focus (false when absent). */
async function isFocused(locator) {
  if ((await locator.count()) === 0) return false;
  return locator.first().evaluate((el) => el === document.activeElement);
}

/**
 * tabTo presses Tab (Shift+Tab with back) until target has the focus,
 * checking the focus indicator of every element on the way.
 */
async function tabTo(page, target, { back = false, max = 40 } = {}) {
  const path = [];
  for (let i = 0; i < max; i++) {
    if (await isFocused(target)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await expectVisibleFocus(page);
    path.push(f.text || f.tag);
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} did not reach ${target} in ${max} presses: ${path.join(' → ')}`);
}

async function expectFocus(locator, what) {
  await locator.first().waitFor();
  // The focus may move once a redraw is done.
  const el = await locator.first().elementHandle();
  await locator.page().waitForFunction((e) => e === document.activeElement, el, { timeout: 5000 }).catch(() => {});
  assert.ok(await isFocused(locator), `the focus is on ${what}, not on ${JSON.stringify(await focused(locator.page()))}`);
}

const polite = (page) => page.locator('#live-polite');
const feedback = (page) => page.locator('.flag-box .feedback[role="status"]');
const points = (page) => page.locator('header .points');

test('the whole game by keyboard alone, with visible focus and spoken notices', async () => {
  const { page, record } = await newPlayer(browser, server);
  await withShots('keyboard', [page], async () => {
    await page.goto('/');
    // The live regions are in the page before anything is said.
    await polite(page).waitFor({ state: 'attached' });
    assert.equal(await polite(page).getAttribute('aria-live'), 'polite');

    // Login: the focus starts in the username field.
    await expectFocus(page.getByPlaceholder('Username'), 'the username field');
    await expectVisibleFocus(page);
    await page.keyboard.type(PLAYERS[0][0]);
    await tabTo(page, page.getByPlaceholder('Password'));
    await page.keyboard.type(PLAYERS[0][1]);
    await page.keyboard.press('Enter');

    // The name dialog takes the focus and keeps it: Tab cycles inside.
    const dialog = page.getByRole('dialog', { name: 'Choose your display name' });
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    const nameField = dialog.getByPlaceholder('e.g. CryptoCats');
    await expectFocus(nameField, 'the display-name field');
    await tabTo(page, dialog.getByRole('button', { name: 'Logout' }));
    await page.keyboard.press('Tab');
    await expectFocus(nameField, 'the display-name field again (Tab wraps in the dialog)');
    await page.keyboard.press('Shift+Tab');
    await expectFocus(dialog.getByRole('button', { name: 'Logout' }), 'the last control (Shift+Tab wraps)');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expectFocus(nameField, 'the display-name field');
    await page.keyboard.type('Keys Only');
    await page.keyboard.press('Enter');

    // Out of the dialog, the focus is back in the app, on its main view.
    await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
    await expectFocus(page.locator('main#view'), 'the main view');

    // Open a challenge with Enter.
    const warmUp = page.locator('[data-challenge-id="1"]');
    await tabTo(page, warmUp);
    assert.equal(await warmUp.getAttribute('role'), 'link');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor();
    await expectFocus(page.locator('main#view'), 'the view (the card that had it is gone)');

    // The free hint: Enter reveals it and the focus moves to its text.
    await tabTo(page, page.getByRole('button', { name: 'Reveal hint 1' }));
    await page.keyboard.press('Enter');
    await expectFocus(page.locator('.hint[data-hint-id="1"]'), 'the revealed hint');
    assert.match(await page.locator('.hint[data-hint-id="1"]').textContent(), /the flag is a word/);

    // A paid hint asks first; Escape backs out to the Buy button.
    const buy2 = page.getByRole('button', { name: 'Buy hint 2 for 10 pts' });
    await tabTo(page, buy2);
    await page.keyboard.press('Enter');
    const confirm2 = page.getByRole('button', { name: 'Confirm: spend 10 pts' });
    await expectFocus(confirm2, 'the Confirm button');
    await expectVisibleFocus(page);
    await page.keyboard.press('Escape');
    await expectFocus(buy2, 'the Buy button again');
    assert.equal(await confirm2.count(), 0, 'Escape cancelled the purchase');

    // A wrong flag, then the right one.
    const flag = page.getByPlaceholder('Enter FLAG text here');
    await tabTo(page, flag);
    await page.keyboard.type('cold');
    await page.keyboard.press('Enter');
    await feedback(page).filter({ hasText: 'Incorrect flag. Try again.' }).waitFor();
    assert.equal(await feedback(page).getAttribute('aria-live'), 'polite');
    await expectFocus(flag, 'the flag field (its text selected for the next try)');
    await page.keyboard.type('warm');
    await page.keyboard.press('Enter');
    await page.getByText('Challenge Solved!').waitFor();
    await polite(page).locator('p', { hasText: 'Correct flag: Warm Up solved, 100 points.' }).waitFor({ state: 'attached' });
    await expectFocus(page.locator('.solved-banner'), 'the solved banner (the form is gone)');
    await points(page).filter({ hasText: '100 pts' }).waitFor();

    // Back to the list, onto the card just left.
    await tabTo(page, page.locator('#back-btn'), { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
    await expectFocus(warmUp, 'the card of the challenge just left');

    // Buy a hint for real.
    const door = page.locator('[data-challenge-id="2"]');
    await tabTo(page, door);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Locked Door' }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Buy hint 1 for 20 pts' }));
    await page.keyboard.press('Enter');
    await expectFocus(page.getByRole('button', { name: 'Confirm: spend 20 pts' }), 'the Confirm button');
    await page.keyboard.press('Enter');
    await expectFocus(page.locator('.hint[data-hint-id="1"]'), 'the hint just bought');
    assert.match(await page.locator('.hint[data-hint-id="1"]').textContent(), /Forty-two/);
    await points(page).filter({ hasText: '80 pts' }).waitFor();
    await tabTo(page, flag);
    await page.keyboard.type('door-42');
    await page.keyboard.press('Enter');
    await polite(page).locator('p', { hasText: 'Correct flag: Locked Door solved, 150 points.' }).waitFor({ state: 'attached' });
    await points(page).filter({ hasText: '230 pts' }).waitFor();

    // Someone overtakes us: a polite notice says where we are now.
    const rival = await apiPlayer(PLAYERS[1], 'Rival');
    await rival.submit(1, 'warm');
    await rival.submit(2, 'door-42');
    await rival.submit(3, 'evil'); // 450
    await polite(page).locator('p', { hasText: 'You moved to rank 2 (down from 1).' }).waitFor({ state: 'attached' });

    // Too many guesses: the rate limit is spoken in the flag form's region.
    await tabTo(page, page.locator('#back-btn'), { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
    await tabTo(page, page.locator('[data-challenge-id="3"]'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Evil Markup' }).waitFor();
    await tabTo(page, flag);
    const limited = feedback(page).filter({ hasText: /^Too many attempts\. Wait \d+ seconds? and try again\.$/ });
    for (let i = 0; i < 20 && !(await limited.count()); i++) {
      await page.keyboard.type(`guess-${i}`);
      await page.keyboard.press('Enter');
      await page.locator('.feedback.err, .feedback.warn').waitFor();
      await expectFocus(flag, 'the flag field');
    }
    await limited.waitFor();
    // Once the wait is over, the right flag (Enter submits again once the button is back).
    await page.getByRole('button', { name: 'Submit', exact: true }).and(page.locator(':enabled')).waitFor({ timeout: 10_000 });
    // The refused guess is selected: typing replaces it.
    await expectFocus(flag, 'the flag field');
    assert.equal(await flag.evaluate((el) => el.selectionEnd - el.selectionStart), (await flag.inputValue()).length);
    await page.keyboard.type('evil');
    await page.keyboard.press('Enter');
    await polite(page).locator('p', { hasText: 'Correct flag: Evil Markup solved, 200 points.' }).waitFor({ state: 'attached' });

    // Final Act puts us ahead again (480 against 450).
    await tabTo(page, page.locator('#back-btn'), { back: true });
    await page.keyboard.press('Enter');
    await tabTo(page, page.locator('[data-challenge-id="4"]'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Final Act' }).waitFor();
    await tabTo(page, flag);
    await page.keyboard.type('final');
    await page.keyboard.press('Enter');
    await polite(page).locator('p', { hasText: 'You moved to rank 1 (up from 2).' }).waitFor({ state: 'attached' });

    // An announcement: the banner region is polite and says it.
    await admin('/admin/api/announcements', { message: 'Lunch is **served**.' });
    const banners = page.locator('.announce-banners');
    await banners.getByText('Lunch is served.').waitFor();
    assert.equal(await banners.getAttribute('aria-live'), 'polite');
    await tabTo(page, banners.getByRole('button', { name: 'Dismiss this announcement' }), { back: true });
    await page.keyboard.press('Enter');
    await banners.getByText('Lunch is served.').waitFor({ state: 'detached' });
    await expectFocus(page.locator('main#view'), 'the main view (the last banner is gone)');

    // On the announcements list (no banner there) a new one is spoken.
    await tabTo(page, page.getByRole('button', { name: /^Announcements/ }), { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Announcements', level: 1 }).waitFor();
    await admin('/admin/api/announcements', { message: 'Dinner at _seven_.', challenge_id: 1 });
    await polite(page).locator('p', { hasText: 'New announcement. About Warm Up: Dinner at seven.' }).waitFor({ state: 'attached' });

    // Read the scoreboard, and the chart as a table.
    await tabTo(page, page.getByRole('button', { name: 'Scoreboard', exact: true }), { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Scoreboard', level: 1 }).waitFor();
    const me = page.locator('table.ranking tbody tr.me');
    await me.locator('td.score', { hasText: '480' }).waitFor();
    assert.deepEqual((await me.locator('td').allTextContents()).map((s) => s.trim()), ['1', 'Keys Only (you)', '480', '4']);
    const toggle = page.getByRole('button', { name: 'Show the chart as a table' });
    await tabTo(page, toggle);
    await page.keyboard.press('Enter');
    await page.locator('table.chart-table').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Hide the table' }).getAttribute('aria-expanded'), 'true');
    // The table scrolls in a region the keyboard reaches.
    await tabTo(page, page.getByRole('region', { name: 'Score over time, as a table' }));
    const head = await page.locator('table.chart-table thead th').allTextContents();
    assert.deepEqual(head, ['Time', 'Keys Only', 'Rival']);

    assert.deepEqual(record.errors, []);
  });
});

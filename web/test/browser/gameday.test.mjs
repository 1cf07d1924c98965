// The competition clock and announcements in the browser, against the
// real server: a countdown to the start that turns into the challenges
// without a reload (in a browser whose own clock is an hour wrong), an
// announcement reaching open apps and the projector, a pause that closes
// the flag form and is explained when a stale page submits anyway, and
// the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminPost,
  buildServer, writeGame, startServer, launchBrowser, newPlayer, login, setName, loginAs, openChallenge,
  submitFlag, withShots, PLAYERS,
} from './helpers.mjs';

let bin;
let server; // public scoreboard, no start or end
let browser;

before(async () => {
  bin = buildServer();
  server = await startServer(bin, writeGame(), { args: ['--public-scoreboard'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const admin = adminPost;

/** rfc3339 is a time to the second, as --start takes it. */
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const submitButton = (page) => page.getByRole('button', { name: 'Submit', exact: true });

test('before the start the app counts down in server time, then shows the challenges without a reload', async () => {
  const start = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
  const srv = await startServer(bin, writeGame(), { args: ['--start', rfc3339(start)] });
  const { context, page, record } = await newPlayer(browser, srv);
  // This browser's clock is an hour fast: trusting it would show the
  // game as long started.
  await context.clock.install({ time: Date.now() + 3_600_000 });
  try {
    await withShots('countdown', [page], async () => {
      await page.goto('/');
      // The login page counts down too.
      await page.locator('.login-clock', { hasText: /^Starts in 0:\d\d$/ }).waitFor();
      await login(page, ...PLAYERS[0]);
      await setName(page, 'Early Bird');
      await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
      const countdown = page.getByRole('timer').and(page.locator('.countdown'));
      await countdown.waitFor();
      const left = await countdown.textContent();
      assert.match(left, /^0:\d\d$/, `countdown ${left}`);
      assert.ok(Number(left.split(':')[1]) <= 10, `counts to the server's start: ${left}`);
      assert.equal(await page.locator('.card').count(), 0);
      await page.locator('.game-state', { hasText: 'The game starts at' }).waitFor();
      await page.locator('header .clock-chip', { hasText: /^Starts in 0:\d\d$/ }).waitFor();
      // It ticks.
      await page.waitForFunction((before) => document.querySelector('.countdown')?.textContent !== before, left);

      await page.evaluate(() => {
        window.__sameDocument = true;
      });
      await page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor({ timeout: 20_000 });
      assert.ok(Date.now() >= start - 1000, 'not before the server started the game');
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
      assert.equal(await countdown.count(), 0);
      assert.equal(await page.locator('.game-state').textContent(), '');
      await openChallenge(page, 'Warm Up');
      await submitFlag(page, 'warm');
      await page.getByText('Challenge Solved!').waitFor();
      assert.deepEqual(record.errors, []);
    });
  } finally {
    await context.close();
    await srv.stop();
  }
});

test('an announcement appears in an open app and on /board; a later browser sees it too', async () => {
  const a = await newPlayer(browser, server);
  const projector = await browser.newContext({ viewport: { width: 1600, height: 900 }, baseURL: server.url });
  const screen = await projector.newPage();
  const late = await newPlayer(browser, server);
  await withShots('announce', [a.page, screen, late.page], async () => {
    await loginAs(a.page, PLAYERS[1], 'Listener');
    await screen.goto('/board');
    await screen.locator('table.ranking').waitFor();
    // No announcement yet: no panel on the board, no count in the app.
    assert.equal(await screen.locator('.board-announcements').isVisible(), false);
    assert.equal(await a.page.locator('nav .count').isVisible(), false);

    const sent = await admin(server, '/admin/api/announcements', {
      message: 'The flag of **Warm Up** is case-sensitive.\n\n<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
      challenge_id: 1,
    });
    assert.equal(typeof sent.id, 'number');

    const banner = a.page.getByRole('region', { name: 'New announcement' });
    await banner.waitFor({ timeout: 5000 });
    await banner.locator('strong', { hasText: 'Warm Up' }).waitFor();
    await banner.getByRole('link', { name: 'Warm Up' }).waitFor();
    assert.equal(await banner.locator('img[onerror], script').count(), 0, 'sanitized');
    assert.equal(await a.page.evaluate(() => window.__pwned), undefined);
    // The banner sits in a polite live region.
    assert.equal(await a.page.locator('.announce-banners').getAttribute('aria-live'), 'polite');
    await a.page.locator('nav .count', { hasText: '1' }).waitFor();

    // On the projector too.
    const panel = screen.locator('.board-announcements');
    await panel.locator('strong', { hasText: 'Warm Up' }).waitFor({ timeout: 5000 });
    await panel.getByText('is case-sensitive').waitFor();

    // Dismissed with the keyboard.
    await banner.getByRole('button', { name: 'Dismiss this announcement' }).focus();
    await a.page.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });

    // The list has it (and the count goes once it was seen).
    await a.page.getByRole('button', { name: /^Announcements/ }).click();
    await a.page.getByRole('heading', { name: 'Announcements', level: 1 }).waitFor();
    await a.page.locator('.announcement-list li', { hasText: 'is case-sensitive' }).waitFor();
    assert.equal(await a.page.locator('nav .count').isVisible(), false);

    // A browser that logs in afterwards: from the snapshot and GET /api/announcements.
    await loginAs(late.page, PLAYERS[2], 'Latecomer');
    await late.page.getByRole('region', { name: 'New announcement' }).getByText('is case-sensitive').waitFor();
    await late.page.goto('/#announcements');
    await late.page.locator('.announcement-list li', { hasText: 'is case-sensitive' }).waitFor();
    for (const r of [a.record, late.record]) assert.deepEqual(r.errors, []);
  });
  await a.context.close();
  await late.context.close();
  await projector.close();
});

test('a pause shows "Paused" in an open app, closes the flag form, and a stale submit is refused with the reason', async () => {
  const a = await newPlayer(browser, server);
  const stale = await newPlayer(browser, server);
  await withShots('pause', [a.page, stale.page], async () => {
    await loginAs(a.page, PLAYERS[3], 'Pauser');
    await openChallenge(a.page, 'Warm Up');
    await a.page.getByPlaceholder('Enter FLAG text here').fill('warm');
    assert.equal(await submitButton(a.page).isEnabled(), true);

    // The other page never learns of the pause: its /api/clock is stuck
    // on "running", so it lets the player press Submit.
    await stale.context.route('**/api/clock', (route) => route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ now: new Date().toISOString(), start: null, end: null, state: 'running', frozen: false }),
    }));
    await loginAs(stale.page, PLAYERS[4], 'Stale Page');
    await openChallenge(stale.page, 'Warm Up');

    const paused = await admin(server, '/admin/api/pause');
    assert.equal(paused.state, 'paused');
    try {
      // Live, without a reload.
      await a.page.locator('header .clock-chip', { hasText: 'Paused' }).waitFor({ timeout: 5000 });
      await a.page.getByRole('status').filter({ hasText: 'The game is paused' }).first().waitFor();
      await submitButton(a.page).and(a.page.locator(':disabled')).waitFor();
      await a.page.locator('#flag-gate', { hasText: 'The game is paused' }).waitFor();
      assert.equal(await a.page.getByPlaceholder('Enter FLAG text here').inputValue(), 'warm', 'the typed flag is kept');

      await submitFlag(stale.page, 'warm');
      await stale.page.locator('.feedback.err', {
        hasText: 'The game is paused: flags and hints are not accepted until the organizers resume it.',
      }).waitFor();
      assert.equal(await stale.page.getByText('Challenge Solved!').count(), 0);
    } finally {
      await admin(server, '/admin/api/resume');
    }
    await a.page.locator('header .clock-chip', { hasText: 'Paused' }).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await a.page.locator('.game-state').textContent(), '');
    await submitButton(a.page).and(a.page.locator(':enabled')).waitFor();
    await submitButton(a.page).click();
    await a.page.getByText('Challenge Solved!').waitFor();
    assert.deepEqual(a.record.errors, []);
  });
  await a.context.close();
  await stale.context.close();
});

test('after the end the app says so and takes no flags', async () => {
  const now = Date.now();
  const srv = await startServer(bin, writeGame(), {
    args: ['--start', rfc3339(now - 7_200_000), '--end', rfc3339(now - 3_600_000)],
  });
  const { context, page, record } = await newPlayer(browser, srv);
  try {
    await withShots('ended', [page], async () => {
      await loginAs(page, PLAYERS[5], 'Too Late');
      await page.locator('header .clock-chip', { hasText: /^Ended/ }).waitFor();
      await page.locator('.game-state', { hasText: 'The game has ended' }).waitFor();
      await openChallenge(page, 'Warm Up');
      await submitButton(page).and(page.locator(':disabled')).waitFor();
      await page.locator('#flag-gate', { hasText: 'The game has ended: flags are no longer accepted.' }).waitFor();
      // Enter in the field does not send it either.
      await page.getByPlaceholder('Enter FLAG text here').fill('warm');
      await page.getByPlaceholder('Enter FLAG text here').press('Enter');
      await page.waitForTimeout(300);
      assert.equal(record.requests.filter((u) => u.endsWith('/api/submit')).length, 0);
      assert.equal(await page.getByText('Challenge Solved!').count(), 0);
    });
  } finally {
    await context.close();
    await srv.stop();
  }
});

// Live updates between browsers, surviving a server restart, and the
// admin reset that logs everyone out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildServer, writeGame, startServer, launchBrowser, newPlayer, loginAs, solve, withShots, adminReset,
  PLAYERS, CHALLENGES,
} from './helpers.mjs';

let bin;
let game;
let server;
let browser;

before(async () => {
  bin = buildServer();
  game = writeGame();
  server = await startServer(bin, game);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const scoreCell = (page, name) => page.locator('table.ranking tbody tr', { hasText: name }).locator('td.score');
const chartEntry = (page, text) => page.locator('canvas li', { hasText: text });

test('a solve in one browser shows up live in the other', async () => {
  const a = await newPlayer(browser, server);
  const b = await newPlayer(browser, server);
  await withShots('live', [a.page, b.page], async () => {
    await loginAs(a.page, PLAYERS[0], 'Watcher');
    await loginAs(b.page, PLAYERS[1], 'Solver');
    await a.page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
    await scoreCell(a.page, 'Solver').filter({ hasText: /^0$/ }).waitFor();

    await solve(b.page, CHALLENGES[0]);
    // No reload on a: the table and the chart follow the scorestream.
    await scoreCell(a.page, 'Solver').filter({ hasText: '100' }).waitFor({ timeout: 5000 });
    await chartEntry(a.page, 'Solver: 100').waitFor({ state: 'attached', timeout: 5000 });
    const ranks = await a.page.locator('table.ranking tbody tr td.name').allTextContents();
    assert.equal(ranks[0], 'Solver');

    await solve(b.page, CHALLENGES[1]);
    await scoreCell(a.page, 'Solver').filter({ hasText: '250' }).waitFor({ timeout: 5000 });
    await chartEntry(a.page, 'Solver: 250').waitFor({ state: 'attached', timeout: 5000 });
    assert.deepEqual(a.record.errors, []);
    // The app itself (list, chart, live table) needs nothing the policy forbids.
    for (const r of [a.record, b.record]) {
      assert.deepEqual(r.console.filter((m) => /Content Security Policy/i.test(m)), []);
    }
    await a.context.close();
    await b.context.close();
  });
});

test('the page keeps working after the server restarts on the same port', async () => {
  const a = await newPlayer(browser, server);
  const b = await newPlayer(browser, server);
  await withShots('restart', [a.page, b.page], async () => {
    await loginAs(a.page, PLAYERS[2], 'Patient');
    await loginAs(b.page, PLAYERS[3], 'Restarter');
    await a.page.goto('/#scoreboard');
    await scoreCell(a.page, 'Restarter').waitFor();

    await server.stop();
    await a.page.getByText('Reconnecting…').waitFor({ timeout: 10_000 });
    server = await startServer(bin, game, { addr: server.addr });
    await a.page.getByText('Reconnecting…').waitFor({ state: 'hidden', timeout: 20_000 });

    // Sessions survived: b plays on without logging in again, a sees it live.
    await solve(b.page, CHALLENGES[0]);
    await scoreCell(a.page, 'Restarter').filter({ hasText: '100' }).waitFor({ timeout: 5000 });
    await a.page.getByRole('button', { name: 'Challenges', exact: true }).click();
    await a.page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor();
    await a.context.close();
    await b.context.close();
  });
});

test('an admin reset logs every browser out', async () => {
  const a = await newPlayer(browser, server);
  const b = await newPlayer(browser, server);
  await withShots('reset', [a.page, b.page], async () => {
    await loginAs(a.page, PLAYERS[4], 'Before Reset A');
    await loginAs(b.page, PLAYERS[5], 'Before Reset B');
    await b.page.goto('/#scoreboard');
    await scoreCell(b.page, 'Before Reset B').waitFor();

    const reply = await adminReset(server);
    assert.equal(reply.result, 'ok');
    for (const { page } of [a, b]) {
      await page.getByPlaceholder('Username').waitFor({ timeout: 10_000 });
      await page.getByText('The game was reset. Please log in again.').waitFor();
    }
    // The old sessions are gone for good.
    await a.page.reload();
    await a.page.getByPlaceholder('Username').waitFor();
    // And a new login starts from scratch: the name must be chosen again.
    await loginAs(a.page, PLAYERS[4], 'After Reset');
    await a.page.locator('header .points', { hasText: '0 pts' }).waitFor();
    await a.context.close();
    await b.context.close();
  });
});

test('the projector board asks for a login unless the scoreboard is public', async () => {
  const viewer = await browser.newContext({ viewport: { width: 1600, height: 900 }, baseURL: server.url });
  const page = await viewer.newPage();
  const pub = await startServer(bin, writeGame(), { args: ['--public-scoreboard'] });
  const projector = await browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: pub.url });
  const screen = await projector.newPage();
  const player = await newPlayer(browser, pub);
  try {
    await withShots('board', [page, screen, player.page], async () => {
      // Private: the login comes first, then the board.
      await page.goto('/board');
      await page.getByRole('heading', { name: 'Log in to show the scoreboard' }).waitFor();
      await page.getByPlaceholder('Username').fill(PLAYERS[6][0]);
      await page.getByPlaceholder('Password').fill(PLAYERS[6][1]);
      await page.getByRole('button', { name: 'Login', exact: true }).click();
      await page.getByRole('heading', { name: 'Scoreboard', level: 1 }).waitFor();
      await page.locator('table.ranking').waitFor();

      // Public: no login at all, and it follows the game live.
      await screen.goto('/board');
      await screen.getByRole('heading', { name: 'Scoreboard', level: 1 }).waitFor();
      await loginAs(player.page, PLAYERS[7], 'On Screen');
      await solve(player.page, CHALLENGES[0]);
      await scoreCell(screen, 'On Screen').filter({ hasText: '100' }).waitFor({ timeout: 5000 });
      await chartEntry(screen, 'On Screen: 100').waitFor({ state: 'attached' });
      // In the latest events (its first blood also shows as a toast).
      await screen.locator('.board-recent').getByText('On Screen solved Warm Up').waitFor();
      assert.equal(await screen.getByPlaceholder('Username').count(), 0);
    });
  } finally {
    await viewer.close();
    await projector.close();
    await player.context.close();
    await pub.stop();
  }
});

// Twenty players at once, each in their own browser context, play the
// whole game through the UI; then one scoreboard lists them all.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildServer, writeGame, startServer, launchBrowser, newPlayer, loginAs, solve, withShots, PLAYERS, CHALLENGES,
} from './helpers.mjs';

const N = 20;
let server;
let browser;

before(async () => {
  server = await startServer(buildServer(), writeGame());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test(`${N} parallel browser contexts complete the game`, async () => {
  const players = PLAYERS.filter(([u]) => /^p\d+$/.test(u)).slice(0, N);
  assert.equal(players.length, N);
  const order = [CHALLENGES[0], CHALLENGES[1], CHALLENGES[2], CHALLENGES[3]];
  const full = order.reduce((s, c) => s + c.points, 0);
  const sessions = await Promise.all(players.map(() => newPlayer(browser, server, {
    viewport: { width: 800, height: 600 },
    // Twenty pages loading at once on two shared cores can each take a
    // while; what counts is that every one of them finishes.
    timeout: 90_000,
  })));
  const started = Date.now();
  await withShots('parallel', [sessions[0].page], async () => {
    await Promise.all(sessions.map(({ page, record }, i) => withShots(`parallel-racer-${i + 1}`, [page], async () => {
      try {
        await loginAs(page, players[i], `Racer ${i + 1}`);
        for (const c of order) await solve(page, c);
        await page.locator('header .points', { hasText: `${full} pts` }).waitFor();
      } catch (err) {
        err.message += `\nracer ${i + 1}: failed responses ${JSON.stringify(record.failed)}`;
        throw err;
      }
    })));
    const elapsed = Date.now() - started;
    console.log(`${N} players finished the game in ${elapsed} ms`);

    const { page } = sessions[0];
    await page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
    await page.waitForFunction((n) => document.querySelectorAll('table.ranking tbody tr').length >= n, N);
    const scores = await page.locator('table.ranking tbody td.score').allTextContents();
    assert.equal(scores.length, N);
    assert.ok(scores.every((s) => s === String(full)), `every racer has ${full}: ${scores}`);
    // Ties rank by who got there first: ranks are 1..N, in order.
    const ranks = await page.locator('table.ranking tbody td.rank').allTextContents();
    assert.deepEqual(ranks, Array.from({ length: N }, (_, i) => String(i + 1)));
    for (const s of sessions) assert.deepEqual(s.record.errors, []);
  });
});

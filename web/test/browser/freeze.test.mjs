// Issue 12 in the browser, against the real server: the scoreboard freeze
// (a solve shows as pending to its solver while nobody else's board
// moves; the unfreeze reaches every open browser at once), the first-blood
// toast on /board, an early release reaching an open app, practice mode
// after the end, and dynamic scoring lowering an earlier solver live.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminPost,
  buildServer, startServer, launchBrowser, newPlayer, loginAs, openChallenge, submitFlag, withShots, tempDir,
  ADMIN_TOKEN, API_TOKEN, CHALLENGES, PLAYERS,
} from './helpers.mjs';

// A challenge that comes out only in 2099, unless the admin releases it.
const LATE = {
  id: 5, title: 'Late Arrival', category: 'Misc', difficulty: 'Easy', points: 70,
  description: 'Out early.', flag: '^late$', testflag: 'late', release: '2099-01-01T00:00:00Z',
};

/** writeGame writes a game directory with these challenges and the test players. */
function writeGame(challenges = [...CHALLENGES, LATE]) {
  const dir = tempDir('ctfg-game-');
  writeFileSync(join(dir, 'challenges.json'), JSON.stringify(challenges, null, 2));
  writeFileSync(join(dir, 'credentials.csv'), `username,password\n${PLAYERS.map(([u, p]) => `${u},${p}`).join('\n')}\n`);
  writeFileSync(join(dir, '.env'), `CTFG_ADMIN_TOKEN=${ADMIN_TOKEN}\nCTFG_API_TOKEN=${API_TOKEN}\n`);
  return dir;
}

let bin;
let server; // public scoreboard, no start or end, Late Arrival waiting
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

const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const scoreCell = (page, name) => page.locator('table.ranking tbody tr', { hasText: name }).locator('td.score');
const markDocument = (page) => page.evaluate(() => {
  window.__sameDocument = true;
});
const sameDocument = async (page) => assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');

test('during a freeze a solve is "not on the board yet" for its solver, and nobody else\'s board moves', async () => {
  const solver = await newPlayer(browser, server);
  const watcher = await newPlayer(browser, server);
  await withShots('freeze-pending', [solver.page, watcher.page], async () => {
    await loginAs(solver.page, PLAYERS[0], 'Freeze Solver');
    await loginAs(watcher.page, PLAYERS[1], 'Freeze Watcher');
    await watcher.page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
    await scoreCell(watcher.page, 'Freeze Solver').filter({ hasText: /^0$/ }).waitFor();
    await markDocument(watcher.page);

    const frozen = await admin(server, '/admin/api/freeze');
    assert.equal(frozen.frozen, true);
    try {
      // The open scoreboard learns of the freeze live.
      await watcher.page.locator('.frozen-note', { hasText: 'Scoreboard frozen' }).waitFor({ timeout: 5000 });

      await openChallenge(solver.page, 'Warm Up');
      await submitFlag(solver.page, 'warm');
      await solver.page.getByText('Challenge Solved!').waitFor();
      await solver.page.locator('.solved-banner', { hasText: 'not on the board yet' }).waitFor();
      // The header: the true score, and the board's beside it.
      await solver.page.locator('header .points', { hasText: '100 pts' }).waitFor();
      await solver.page.locator('header .board-points', { hasText: '0 pts on the frozen board' }).waitFor();
      // The list says so too (from GET /api/challenges' "pending").
      await solver.page.getByRole('button', { name: 'Challenges', exact: true }).click();
      await solver.page.locator('[data-challenge-id="1"] .solved-mark.pending', { hasText: 'not on the board yet' }).waitFor();
      // The solver's own scoreboard shows the frozen board and explains it.
      await solver.page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
      await solver.page.locator('.frozen-note', { hasText: 'Your score is 100 pts; the board shows 0 pts.' }).waitFor();
      assert.equal(await scoreCell(solver.page, 'Freeze Solver').textContent(), '0');

      // Frames sent after the solve reach the watcher (this announcement
      // proves it), yet the solver's row has not moved.
      await admin(server, '/admin/api/announcements', { message: 'Frozen, but still talking.' });
      await watcher.page.getByRole('region', { name: 'New announcement' }).getByText('Frozen, but still talking.').waitFor({ timeout: 5000 });
      assert.equal(await scoreCell(watcher.page, 'Freeze Solver').textContent(), '0');
      assert.equal(await watcher.page.locator('.live-note').textContent(), `${await watcher.page.locator('table.ranking tbody tr').count()} players · frozen`);
      const board = await watcher.page.evaluate(async () => (await fetch('/api/scoreboard')).json());
      assert.equal(board.frozen, true);
      assert.equal(board.players.find((p) => p.displayname === 'Freeze Solver').score, 0);
      await sameDocument(watcher.page);
      assert.deepEqual([...solver.record.errors, ...watcher.record.errors], []);
    } finally {
      await admin(server, '/admin/api/unfreeze');
    }
    // And when it is lifted the watcher's board shows the solve.
    await scoreCell(watcher.page, 'Freeze Solver').filter({ hasText: '100' }).waitFor({ timeout: 5000 });
  });
  await solver.context.close();
  await watcher.context.close();
});

test('the unfreeze shows the true board in two open browsers at once, without a reload', async () => {
  const a = await newPlayer(browser, server);
  const b = await newPlayer(browser, server);
  await withShots('unfreeze', [a.page, b.page], async () => {
    await loginAs(a.page, PLAYERS[2], 'Unfreeze A');
    await loginAs(b.page, PLAYERS[3], 'Unfreeze B');
    await admin(server, '/admin/api/freeze');
    try {
      // Both solve during the freeze: each sees only their own.
      await openChallenge(a.page, 'Evil Markup');
      await submitFlag(a.page, 'evil');
      await a.page.locator('.solved-banner', { hasText: 'not on the board yet' }).waitFor();
      await openChallenge(b.page, 'Warm Up');
      await submitFlag(b.page, 'warm');
      await b.page.locator('.solved-banner', { hasText: 'not on the board yet' }).waitFor();
      for (const { page } of [a, b]) {
        await page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
        await page.locator('.frozen-note', { hasText: 'Scoreboard frozen' }).waitFor();
        assert.equal(await scoreCell(page, 'Unfreeze A').textContent(), '0');
        assert.equal(await scoreCell(page, 'Unfreeze B').textContent(), '0');
        await markDocument(page);
      }
    } catch (err) {
      await admin(server, '/admin/api/unfreeze');
      throw err;
    }
    const reply = await admin(server, '/admin/api/unfreeze');
    assert.equal(reply.frozen, false);
    await Promise.all([a, b].map(async ({ page }) => {
      await scoreCell(page, 'Unfreeze A').filter({ hasText: '200' }).waitFor({ timeout: 5000 });
      await scoreCell(page, 'Unfreeze B').filter({ hasText: '100' }).waitFor({ timeout: 5000 });
      await page.locator('.live-note', { hasText: '· live' }).waitFor();
      await page.locator('.frozen-note').filter({ hasText: 'Scoreboard frozen' }).waitFor({ state: 'detached' });
      await page.locator('header .board-points').waitFor({ state: 'hidden' });
      await sameDocument(page);
    }));
    // The pending marks are gone from the list: the solves are on the board.
    await b.page.getByRole('button', { name: 'Challenges', exact: true }).click();
    await b.page.locator('[data-challenge-id="1"] .solved-mark', { hasText: /^✓ Solved$/ }).waitFor();
    assert.deepEqual([...a.record.errors, ...b.record.errors], []);
  });
  await a.context.close();
  await b.context.close();
});

test('a first blood shows a toast on /board', async () => {
  const projector = await browser.newContext({ viewport: { width: 1600, height: 900 }, baseURL: server.url });
  const screen = await projector.newPage();
  const player = await newPlayer(browser, server);
  await withShots('first-blood', [screen, player.page], async () => {
    await screen.goto('/board');
    await screen.locator('table.ranking').waitFor();
    await loginAs(player.page, PLAYERS[4], 'Blood Maker');
    // Nobody solved Locked Door yet (it needs Warm Up first).
    await openChallenge(player.page, 'Warm Up');
    await submitFlag(player.page, 'warm');
    await player.page.getByText('Challenge Solved!').waitFor();
    await player.page.getByRole('button', { name: 'Challenges', exact: true }).click();
    await openChallenge(player.page, 'Locked Door');
    await submitFlag(player.page, 'door-7');
    await player.page.getByText('Challenge Solved!').waitFor();

    const toast = screen.locator('.toasts .toast.first-blood');
    await toast.filter({ hasText: 'First blood!' }).filter({ hasText: 'Blood Maker solved Locked Door' }).waitFor({ timeout: 5000 });
    // Warm Up was solved before: no toast for it.
    assert.equal(await toast.filter({ hasText: 'Warm Up' }).count(), 0);
    assert.equal(await screen.locator('.toasts').getAttribute('aria-live'), 'polite');
    await screen.getByText('Blood Maker solved Locked Door (+150 pts, first blood)').waitFor();
    // The player's own challenge page names them among the solvers.
    await player.page.reload();
    await player.page.locator('.solvers li.me', { hasText: 'Blood Maker' }).waitFor();
  });
  await projector.close();
  await player.context.close();
});

test('an early release makes the challenge appear in an open app', async () => {
  const { context, page, record } = await newPlayer(browser, server);
  await withShots('release', [page], async () => {
    await loginAs(page, PLAYERS[5], 'Early Reader');
    await page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor();
    assert.equal(await page.getByRole('heading', { level: 3, name: 'Late Arrival' }).count(), 0);
    await markDocument(page);

    const reply = await admin(server, '/admin/api/challenges/5/release');
    assert.deepEqual(reply, { result: 'ok', challenge_id: 5 });
    await page.getByRole('heading', { level: 3, name: 'Late Arrival' }).waitFor({ timeout: 5000 });
    await sameDocument(page);
    await openChallenge(page, 'Late Arrival');
    await submitFlag(page, 'late');
    await page.getByText('Challenge Solved!').waitFor();
    assert.deepEqual(record.errors, []);
  });
  await context.close();
});

test('practice mode after the end: a right flag shows as solved in practice, not scored', async () => {
  const now = Date.now();
  const srv = await startServer(bin, writeGame(), {
    args: ['--start', rfc3339(now - 7_200_000), '--end', rfc3339(now - 3_600_000), '--practice'],
  });
  const { context, page, record } = await newPlayer(browser, srv);
  try {
    await withShots('practice', [page], async () => {
      await loginAs(page, PLAYERS[6], 'Practicer');
      await page.locator('header .clock-chip', { hasText: 'Ended · practice mode' }).waitFor();
      await page.locator('.game-state', { hasText: 'Practice mode' }).waitFor();
      await openChallenge(page, 'Warm Up');
      await page.locator('#flag-gate.practice', { hasText: 'Practice mode' }).waitFor();
      await submitFlag(page, 'wrong');
      await page.locator('.feedback.err', { hasText: 'Incorrect flag' }).waitFor();
      await submitFlag(page, 'warm');
      await page.getByText('Challenge Solved!').waitFor();
      await page.locator('.solved-banner', { hasText: 'practice mode: solves are not scored' }).waitFor();
      assert.equal(await page.locator('header .points').textContent(), '0 pts');

      await page.getByRole('button', { name: 'Challenges', exact: true }).click();
      await page.locator('[data-challenge-id="1"] .solved-mark', { hasText: 'Solved (practice, not scored)' }).waitFor();
      // Still so after a reload (from GET /api/challenges), and never on the board.
      await page.reload();
      await page.locator('[data-challenge-id="1"] .solved-mark', { hasText: 'Solved (practice, not scored)' }).waitFor();
      await page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
      await scoreCell(page, 'Practicer').filter({ hasText: /^0$/ }).waitFor();
      assert.equal(await page.locator('header .points').textContent(), '0 pts');
      assert.deepEqual(record.errors, []);
    });
  } finally {
    await context.close();
    await srv.stop();
  }
});

test('dynamic scoring: a later solve lowers an earlier solver in open browsers, without a reload', async () => {
  const srv = await startServer(bin, writeGame(), { args: ['--scoring', 'linear:minimum=50,decay=10'] });
  const first = await newPlayer(browser, srv);
  const second = await newPlayer(browser, srv);
  const watcher = await newPlayer(browser, srv);
  try {
    await withShots('dynamic', [first.page, second.page, watcher.page], async () => {
      await loginAs(watcher.page, PLAYERS[0], 'Value Watcher');
      await loginAs(first.page, PLAYERS[1], 'Early Solver');
      await loginAs(second.page, PLAYERS[2], 'Late Solver');
      await watcher.page.getByRole('button', { name: 'Scoreboard', exact: true }).click();
      await markDocument(watcher.page);

      await openChallenge(first.page, 'Warm Up');
      await submitFlag(first.page, 'warm');
      await first.page.getByText('Challenge Solved!').waitFor();
      await scoreCell(watcher.page, 'Early Solver').filter({ hasText: /^100$/ }).waitFor({ timeout: 5000 });
      await first.page.locator('header .points', { hasText: '100 pts' }).waitFor();

      await openChallenge(second.page, 'Warm Up');
      await submitFlag(second.page, 'warm');
      await second.page.getByText('Challenge Solved!').waitFor();
      // The frame gives the late solver's 90; the refetched board the early one's.
      await scoreCell(watcher.page, 'Late Solver').filter({ hasText: /^90$/ }).waitFor({ timeout: 5000 });
      await scoreCell(watcher.page, 'Early Solver').filter({ hasText: /^90$/ }).waitFor({ timeout: 10_000 });
      await first.page.locator('header .points', { hasText: '90 pts' }).waitFor({ timeout: 10_000 });
      // Equal scores: the earlier solve ranks first.
      const names = await watcher.page.locator('table.ranking tbody tr td.name').allTextContents();
      assert.deepEqual(names.slice(0, 2), ['Early Solver', 'Late Solver']);
      await sameDocument(watcher.page);
      // One refetch for the burst, not one per frame and browser.
      const fetches = watcher.record.requests.filter((u) => new URL(u).pathname === '/api/scoreboard').length;
      assert.ok(fetches >= 1 && fetches <= 2, `scoreboard fetched ${fetches} times`);
      // The list shows the challenge's new value.
      await first.page.getByRole('button', { name: 'Challenges', exact: true }).click();
      await first.page.locator('[data-challenge-id="1"] .pts', { hasText: '90 pts' }).waitFor();
      for (const r of [first.record, second.record, watcher.record]) assert.deepEqual(r.errors, []);
    });
  } finally {
    for (const p of [first, second, watcher]) await p.context.close();
    await srv.stop();
  }
});

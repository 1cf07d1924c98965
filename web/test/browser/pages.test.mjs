// Issue 13's pages players expect, in the browser against the real
// server: a player's page opened from the scoreboard (rank, score, solves
// with their first-blood marks, the chart), reached by a deep link and
// left with Back; a team's page (members, who made each solve) and a
// member's; a challenge's solvers; an unknown id; and a freeze, which
// hides on these pages what it hides on the board.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminPost,
  buildServer, writeGame, startServer, launchBrowser, newPlayer, loginAs, openChallenge, solve, withShots,
  CHALLENGES, PLAYERS,
} from './helpers.mjs';

let bin;
let server; // individual play
let teamServer; // teams of up to 3
let browser;

before(async () => {
  bin = buildServer();
  server = await startServer(bin, writeGame());
  teamServer = await startServer(bin, writeGame(), { args: ['--team-size', '3'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await teamServer?.stop();
});

const byTitle = (title) => CHALLENGES.find((c) => c.title === title);
const h1 = (page, name) => page.getByRole('heading', { level: 1, name, exact: true });
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
const solveRows = (page) => page.locator('table.solves-table tbody tr');
const stat = (page, name) => page.locator('.page-stats div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');

const admin = adminPost;

/**
 * apiPlayer logs a player in over the HTTP API (no browser) and names
 * them; it returns {id, submit(title), call(path, body), get(path)}.
 */
async function apiPlayer(srv, [username, password], name) {
  let cookie = '';
  const send = async (method, path, body) => {
    const res = await fetch(`${srv.url}${path}`, {
      method, headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.getSetCookie();
    if (set.length) cookie = set.map((c) => c.split(';')[0]).join('; ');
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await send('POST', '/api/login', { username, password });
  await send('POST', '/api/set-name', { name });
  const me = await send('GET', '/api/me');
  return {
    id: me.player_id,
    call: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    submit: async (title) => {
      const c = byTitle(title);
      const r = await send('POST', '/api/submit', { id: c.id, flag: c.testflag });
      assert.equal(r.result, 'correct', `${name} solves ${title}`);
    },
  };
}

test('a scoreboard name opens the player\'s page; a deep link opens it too; Back returns to the scoreboard', async () => {
  const ada = await apiPlayer(server, PLAYERS[0], 'Page Ada');
  const bo = await apiPlayer(server, PLAYERS[1], 'Page Bo');
  await ada.submit('Warm Up'); // first blood
  await bo.submit('Warm Up'); // second solver
  await ada.submit('Evil Markup'); // first blood
  const { context, page, record } = await newPlayer(browser, server);
  await withShots('pages-player', [page], async () => {
    await loginAs(page, PLAYERS[2], 'Page Watcher');
    await nav(page, 'Scoreboard').click();
    await h1(page, 'Scoreboard').waitFor();
    const link = page.locator('table.ranking tbody tr td.name a', { hasText: 'Page Ada' });
    assert.equal(await link.getAttribute('href'), `#player/${ada.id}`);
    // A real link: the keyboard reaches it and Enter follows it.
    await link.focus();
    await page.keyboard.press('Enter');
    await h1(page, 'Page Ada').waitFor();
    assert.equal(new URL(page.url()).hash, `#player/${ada.id}`);
    // The keyboard is on the page's heading.
    await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'H1');
    assert.equal(await page.title(), 'Page Ada · ctfg');
    assert.equal(await stat(page, 'Rank').textContent(), '1');
    assert.equal(await stat(page, 'Score').textContent(), '300 pts');
    assert.equal(await stat(page, 'Solves').textContent(), '2');
    await solveRows(page).nth(1).waitFor();
    const rows = await solveRows(page).evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
    assert.deepEqual(rows.map((r) => r.slice(0, 2)), [['Warm Up First blood', '100'], ['Evil Markup First blood', '200']]);
    assert.ok(rows.every((r) => /^\d\d:\d\d:\d\d$/.test(r[2])), `times: ${rows.map((r) => r[2])}`);
    assert.equal(await page.locator('table.solves-table caption').textContent(), 'Solves of Page Ada');
    assert.equal(await page.locator('table.solves-table th[scope="col"]').count(), 3, 'no By column for a player');
    await page.getByRole('img', { name: 'Score over time of Page Ada' }).waitFor();
    // The chart's table: one line, stepping at each solve.
    await page.getByRole('button', { name: 'Show the chart as a table' }).click();
    const steps = await page.locator('#page-chart-table table tbody tr td').allTextContents();
    assert.deepEqual(steps, ['100', '300']);

    // Back returns to the scoreboard, onto the link just followed.
    await page.goBack();
    await h1(page, 'Scoreboard').waitFor();
    await page.waitForFunction((href) => document.activeElement && document.activeElement.getAttribute('href') === href, `#player/${ada.id}`);

    // A second player's page: a second solver is marked so.
    await page.locator('table.ranking tbody tr td.name a', { hasText: 'Page Bo' }).click();
    await h1(page, 'Page Bo').waitFor();
    await solveRows(page).filter({ hasText: 'Warm Up' }).filter({ hasText: 'Second solver' }).waitFor();
    assert.equal(await stat(page, 'Rank').textContent(), '2');

    // A deep link, loaded fresh.
    await page.goto(`/#player/${ada.id}`);
    await page.reload();
    await h1(page, 'Page Ada').waitFor();
    await solveRows(page).nth(1).waitFor();

    // The page follows the board: a new solve shows without a reload.
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await ada.submit('Locked Door');
    await solveRows(page).filter({ hasText: 'Locked Door' }).waitFor({ timeout: 10_000 });
    await stat(page, 'Score').filter({ hasText: '450 pts' }).waitFor();
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');

    // A challenge's link leads to it; its Back button steps back to the page.
    await solveRows(page).filter({ hasText: 'Warm Up' }).getByRole('link', { name: 'Warm Up' }).click();
    await page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor();
    await page.locator('#back-btn').click();
    await h1(page, 'Page Ada').waitFor();

    // The viewer's own page says so.
    await page.goto('/#scoreboard');
    await page.locator('table.ranking tbody tr.me td.name a', { hasText: 'Page Watcher' }).click();
    await h1(page, 'Page Watcher (you)').waitFor();
    await page.getByText('No solves yet.').waitFor();

    // An id nobody has: said, no crash.
    await page.goto('/#player/987654');
    await h1(page, 'No such player').waitFor();
    await page.getByRole('link', { name: 'Go to the scoreboard' }).click();
    await h1(page, 'Scoreboard').waitFor();
    assert.deepEqual(record.errors, []);
  });
  await context.close();
});

test('a challenge lists its solvers, first bloods marked, the viewer\'s own entry too; names lead to their pages', async () => {
  const { context, page, record } = await newPlayer(browser, server);
  await withShots('pages-solvers', [page], async () => {
    await loginAs(page, PLAYERS[3], 'Solver Dee');
    await solve(page, byTitle('Warm Up'));
    const solvers = page.locator('.solvers');
    await solvers.locator('.solves-count', { hasText: '3 solves' }).waitFor();
    const items = await solvers.locator('li').allTextContents();
    assert.equal(items.length, 3);
    assert.match(items[0], /^First blood Page Ada \S/);
    assert.match(items[1], /^Second solver Page Bo \S/);
    assert.match(items[2], /^Third solver Solver Dee \(you\) \S/);
    await solvers.locator('li.me', { hasText: 'Solver Dee' }).waitFor();
    // Another solver shows up while the page is open.
    const eve = await apiPlayer(server, PLAYERS[4], 'Late Eve');
    await eve.submit('Warm Up');
    await solvers.locator('.solves-count', { hasText: '4 solves' }).waitFor({ timeout: 10_000 });
    await solvers.locator('li', { hasText: 'Late Eve' }).waitFor();
    // A name is a link to the solver's page.
    await solvers.getByRole('link', { name: 'Page Ada' }).click();
    await h1(page, 'Page Ada').waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor();
    assert.deepEqual(record.errors, []);
  });
  await context.close();
});

test('a team\'s page lists its members and who made each solve; a member\'s page links to the team', async () => {
  const ann = await apiPlayer(teamServer, PLAYERS[0], 'Ann Owl');
  const ben = await apiPlayer(teamServer, PLAYERS[1], 'Ben Owl');
  const team = await ann.call('/api/teams', { name: 'Page Owls' });
  await ben.call('/api/teams/join', { code: team.invite_code });
  await ann.submit('Warm Up');
  await ben.submit('Evil Markup');
  const { context, page, record } = await newPlayer(browser, teamServer);
  await withShots('pages-team', [page], async () => {
    await loginAs(page, PLAYERS[2], 'Team Watcher');
    await nav(page, 'Scoreboard').click();
    const link = page.locator('table.ranking tbody tr td.name a', { hasText: 'Page Owls' });
    assert.equal(await link.getAttribute('href'), `#team/${team.team_id}`);
    await link.click();
    await h1(page, 'Page Owls').waitFor();
    await page.getByText('Team · 2 members').waitFor();
    assert.equal(await stat(page, 'Score').textContent(), '300 pts');
    assert.equal(await stat(page, 'Rank').textContent(), '1');
    const members = page.getByRole('region', { name: 'Members (2)' });
    await members.getByRole('link', { name: 'Ann Owl' }).waitFor();
    await members.getByRole('link', { name: 'Ben Owl' }).waitFor();
    await solveRows(page).nth(1).waitFor();
    const rows = await solveRows(page).evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[3]]), [['Warm Up First blood', '100', 'Ann Owl'], ['Evil Markup First blood', '200', 'Ben Owl']]);
    assert.equal(await page.locator('table.solves-table thead th').last().textContent(), 'By');

    // A member's page: the solves they made, the team's rank and score, a link back.
    await members.getByRole('link', { name: 'Ben Owl' }).click();
    await h1(page, 'Ben Owl').waitFor();
    assert.equal(new URL(page.url()).hash, `#player/${ben.id}`);
    await solveRows(page).first().waitFor();
    assert.deepEqual(await solveRows(page).locator('th').allTextContents(), ['Evil Markup First blood']);
    assert.equal(await stat(page, 'Team score').textContent(), '300 pts');
    await page.getByRole('link', { name: 'Page Owls' }).click();
    await h1(page, 'Page Owls').waitFor();

    // The challenge's solvers are teams, linked to their pages.
    await page.goto('/#challenge/1');
    await page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor();
    const solver = page.locator('.solvers li', { hasText: 'Page Owls' });
    await solver.waitFor();
    assert.match(await solver.textContent(), /^First blood Page Owls/);
    assert.equal(await solver.getByRole('link').getAttribute('href'), `#team/${team.team_id}`);
    assert.deepEqual(record.errors, []);
  });
  await context.close();
});

test('during a freeze the pages show the frozen board: a solve made after it shows nowhere until the unfreeze', async () => {
  const fay = await apiPlayer(server, PLAYERS[5], 'Frozen Fay');
  await fay.submit('Warm Up');
  const watcher = await newPlayer(browser, server);
  const solver = await newPlayer(browser, server);
  await withShots('pages-freeze', [watcher.page, solver.page], async () => {
    await loginAs(watcher.page, PLAYERS[6], 'Freeze Viewer');
    await loginAs(solver.page, PLAYERS[7], 'Frozen Gus');
    await solve(solver.page, byTitle('Warm Up'));
    await admin(server, '/admin/api/freeze');
    try {
      await fay.submit('Evil Markup');
      await solve(solver.page, byTitle('Evil Markup'));
      await solver.page.locator('.solved-banner', { hasText: 'not on the board yet' }).waitFor();
      // Nobody has solved Evil Markup on the board but Page Ada.
      const solvers = solver.page.locator('.solvers');
      await solvers.locator('.solves-count', { hasText: '1 solve' }).waitFor();
      assert.equal(await solvers.locator('li.me').count(), 0, 'the own frozen solve is not listed');

      // The solver's own page: the board's score, not their true one.
      await solver.page.goto(`/#player/${await solver.page.evaluate(async () => (await (await fetch('/api/me')).json()).player_id)}`);
      await h1(solver.page, 'Frozen Gus (you)').waitFor();
      await solver.page.locator('.frozen-note', { hasText: 'Scoreboard frozen' }).waitFor();
      assert.equal(await stat(solver.page, 'Score').textContent(), '100 pts');
      assert.deepEqual(await solveRows(solver.page).locator('th a').allTextContents(), ['Warm Up']);
      await solver.page.locator('header .points', { hasText: '300 pts' }).waitFor();

      await watcher.page.goto(`/#player/${fay.id}`);
      await h1(watcher.page, 'Frozen Fay').waitFor();
      await watcher.page.locator('.frozen-note', { hasText: 'Scoreboard frozen' }).waitFor();
      await solveRows(watcher.page).first().waitFor();
      assert.deepEqual(await solveRows(watcher.page).locator('th a').allTextContents(), ['Warm Up']);
      assert.equal(await stat(watcher.page, 'Score').textContent(), '100 pts');
      await watcher.page.evaluate(() => {
        window.__sameDocument = true;
      });
    } catch (err) {
      await admin(server, '/admin/api/unfreeze');
      throw err;
    }
    await admin(server, '/admin/api/unfreeze');
    // The open page shows the solve once the board does, without a reload.
    await solveRows(watcher.page).filter({ hasText: 'Evil Markup' }).waitFor({ timeout: 10_000 });
    await stat(watcher.page, 'Score').filter({ hasText: '300 pts' }).waitFor();
    await watcher.page.locator('.frozen-note').filter({ hasText: 'Scoreboard frozen' }).waitFor({ state: 'detached' });
    assert.equal(await watcher.page.evaluate(() => window.__sameDocument), true, 'no reload');
    await solveRows(solver.page).filter({ hasText: 'Evil Markup' }).waitFor({ timeout: 10_000 });
    for (const r of [watcher.record, solver.record]) assert.deepEqual(r.errors, []);
  });
  await watcher.context.close();
  await solver.context.close();
});

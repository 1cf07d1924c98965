// The old engine's own browser test suite passes unchanged: its spec (see
// oldsuite.mjs) played by several players at once through every
// challenge of the old engine's sample game, in file order. The game is
// the repository's copy of that sample (internal/gamefile/testdata/compat,
// identical to the files the old engine shipped).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildServer, startServer, launchBrowser, newPlayer, tempDir, withShots, repoRoot,
} from './helpers.mjs';
import { OLD, oldPlayers, oldChallenges, playOldSpec } from './oldsuite.mjs';

// The old suite's CI ran 10 Playwright workers, one spec each at a time.
const N = 10;
const compatGame = join(repoRoot, 'internal', 'gamefile', 'testdata', 'compat');

let server;
let browser;
let gameDir;

before(async () => {
  // A copy: the server writes events.db next to the game files.
  gameDir = tempDir('ctfg-compat-');
  cpSync(compatGame, gameDir, { recursive: true });
  server = await startServer(buildServer(), gameDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test(`the old engine's generated spec passes for ${N} players in parallel`, async () => {
  const challenges = oldChallenges(gameDir);
  assert.equal(challenges.length, 15, 'the old sample game has 15 challenges');
  const full = challenges.reduce((s, c) => s + c.points, 0);
  const players = oldPlayers(gameDir, N);
  assert.equal(players.length, N);
  // Playwright's default viewport; the spec sets none.
  const sessions = await Promise.all(players.map(() => newPlayer(browser, server, {
    viewport: { width: 1280, height: 720 },
    // Ten pages on two shared cores: each step may wait its turn.
    timeout: 60_000,
  })));
  const started = Date.now();
  await Promise.all(sessions.map(({ page, record }, i) => withShots(`compat-${players[i].username}`, [page], async () => {
    let done = 0;
    try {
      await playOldSpec(page, players[i], challenges, () => done++);
    } catch (err) {
      const at = challenges[done] ? `challenge ${challenges[done].id} "${challenges[done].title}"` : 'the scoreboard';
      err.message += `\n${players[i].username}: failed at ${at}; failed responses ${JSON.stringify(record.failed)}`;
      throw err;
    }
  })));
  console.log(`${N} players ran the old spec through ${challenges.length} challenges in ${Date.now() - started} ms`);

  // Beyond the spec: every player ends on the scoreboard with every
  // challenge solved, and no page had a script error.
  for (const [i, { page, record }] of sessions.entries()) {
    await withShots(`compat-board-${players[i].username}`, [page], async () => {
      assert.equal(new URL(page.url()).hash, '#scoreboard');
      const row = page.locator('table.ranking tbody tr', { hasText: `display_${players[i].username}` });
      await row.locator('td.score', { hasText: String(full) }).waitFor();
      assert.deepEqual(record.errors, [], `${players[i].username}: no script errors`);
      assert.deepEqual(record.dialogs, []);
    });
  }
  const scores = await sessions[0].page.locator('table.ranking tbody td.score').allTextContents();
  assert.deepEqual(scores, Array(N).fill(String(full)), 'the scoreboard lists every player with the full score');
});

test('the challenge card is a keyboard control named by its title', async () => {
  // A player the parallel test did not use.
  const player = oldPlayers(gameDir, N + 1)[N];
  const { page } = await newPlayer(browser, server);
  await withShots('compat-keyboard', [page], async () => {
    await page.goto('/');
    await OLD.username(page).fill(player.username);
    await OLD.password(page).fill(player.password);
    await OLD.login(page).click();
    await OLD.displayName(page).fill(`display_${player.username}`);
    await OLD.saveName(page).click();

    const [first] = oldChallenges(gameDir);
    const card = OLD.card(page, first.title);
    await card.waitFor();
    // The element the old suite clicks is the one a keyboard user reaches.
    assert.equal(await card.evaluate((el) => el.tagName), 'DIV');
    // Its name is its text, the title first (then the badges).
    const title = first.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const control = page.getByRole('link', { name: new RegExp(`^${title} `) });
    assert.ok(await control.evaluate((el, c) => el === c, await card.elementHandle()), 'the card is the link');
    for (let i = 0; i < 40 && !(await control.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    assert.ok(await control.evaluate((el) => el === document.activeElement), 'Tab reaches the card');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: first.title, exact: true }).waitFor();
    await OLD.flag(page).waitFor();
  });
});

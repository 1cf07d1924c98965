// Issue 13 in the browser, against the real server in team mode: making a
// team and joining it with the invite code, leaving, a teammate's solve
// showing as solved live in the other member's browser, the own team
// marked on the scoreboard and /board, and teams given by credentials.csv.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildServer, writeGame, startServer, launchBrowser, newPlayer, login, setName, loginAs, openChallenge,
  submitFlag, withShots, tempDir, ADMIN_TOKEN, API_TOKEN, CHALLENGES, PLAYERS,
} from './helpers.mjs';

let bin;
let server; // players make teams of up to 3
let browser;

before(async () => {
  bin = buildServer();
  server = await startServer(bin, writeGame(), { args: ['--team-size', '3'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
const teamChip = (page) => page.locator('header .team-chip');

/** makeTeam makes a team on the Team view and returns its invite code. */
async function makeTeam(page, name) {
  await nav(page, 'Team').click();
  await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
  await page.getByLabel('Team name').fill(name);
  await page.getByRole('button', { name: 'Make team' }).click();
  await page.getByRole('heading', { name, level: 2 }).waitFor();
  return page.getByLabel('Invite code').inputValue();
}

async function joinTeam(page, code) {
  await nav(page, 'Team').click();
  await page.getByLabel('Invite code').fill(code);
  await page.getByRole('button', { name: 'Join team' }).click();
}

test('a player without a team is told to get one; make a team, copy the code, join with it, leave', async () => {
  const maker = await newPlayer(browser, server);
  const joiner = await newPlayer(browser, server);
  await maker.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await withShots('team-flow', [maker.page, joiner.page], async () => {
    await loginAs(maker.page, PLAYERS[0], 'Team Maker');
    // No team yet: the list says what to do, and the flag form is closed.
    await maker.page.locator('.no-team', { hasText: 'You are not in a team yet' }).waitFor();
    await teamChip(maker.page).filter({ hasText: 'No team' }).waitFor();
    await openChallenge(maker.page, 'Warm Up');
    await maker.page.locator('#flag-gate', { hasText: 'Solving needs a team' }).waitFor();
    assert.equal(await maker.page.getByRole('button', { name: 'Submit', exact: true }).isDisabled(), true);

    await nav(maker.page, 'Team').click();
    await maker.page.getByRole('heading', { name: 'You are not in a team yet', level: 2 }).waitFor();
    // An empty name is caught before asking the server.
    await maker.page.getByRole('button', { name: 'Make team' }).click();
    await maker.page.getByRole('alert').filter({ hasText: 'Enter a name for the team first.' }).waitFor();
    const code = await makeTeam(maker.page, 'Crypto Cats');
    assert.match(code, /^[A-Z0-9]{16}$/);
    await maker.page.getByRole('status').filter({ hasText: 'You made Crypto Cats.' }).waitFor();
    await maker.page.locator('.members li.me', { hasText: 'Team Maker (you)' }).waitFor();
    // The keyboard lands on the new team's name.
    assert.equal(await maker.page.evaluate(() => document.activeElement.id), 'team-title');
    await teamChip(maker.page).filter({ hasText: 'Crypto Cats' }).waitFor();
    assert.equal(await maker.page.locator('header .points').getAttribute('aria-label'), 'Team score');
    await maker.page.getByRole('button', { name: 'Copy code' }).click();
    await maker.page.getByText('Copied.').waitFor();
    assert.equal(await maker.page.evaluate(() => navigator.clipboard.readText()), code);

    await loginAs(joiner.page, PLAYERS[1], 'Code Joiner');
    // A taken name (in other case) and a wrong code are explained.
    await nav(joiner.page, 'Team').click();
    await joiner.page.getByLabel('Team name').fill('crypto cats');
    await joiner.page.getByRole('button', { name: 'Make team' }).click();
    await joiner.page.getByRole('alert').filter({ hasText: 'That name is already taken' }).waitFor();
    await joinTeam(joiner.page, 'NOPENOPENOPENOPE');
    await joiner.page.getByRole('alert').filter({ hasText: 'No team has this invite code' }).waitFor();
    await joinTeam(joiner.page, code.toLowerCase());
    await joiner.page.getByRole('status').filter({ hasText: 'You joined Crypto Cats.' }).waitFor();
    await joiner.page.locator('.members li', { hasText: 'Team Maker' }).waitFor();
    await joiner.page.locator('.members li.me', { hasText: 'Code Joiner (you)' }).waitFor();
    await teamChip(joiner.page).filter({ hasText: 'Crypto Cats' }).waitFor();
    // The maker sees the new member when opening the view again.
    await maker.page.reload();
    await maker.page.locator('.members li', { hasText: 'Code Joiner' }).waitFor();

    // The flag form is open now.
    await nav(joiner.page, 'Challenges').click();
    await joiner.page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor();
    assert.equal(await joiner.page.locator('.no-team').count(), 0);
    await openChallenge(joiner.page, 'Warm Up');
    assert.equal(await joiner.page.getByRole('button', { name: 'Submit', exact: true }).isEnabled(), true);

    // Leaving asks first, with the keyboard.
    await nav(joiner.page, 'Team').click();
    await joiner.page.getByRole('button', { name: 'Leave team' }).click();
    await joiner.page.getByText('The team keeps the points it made').waitFor();
    assert.equal(await joiner.page.evaluate(() => document.activeElement.textContent), 'Confirm: leave Crypto Cats');
    await joiner.page.keyboard.press('Enter');
    await joiner.page.getByRole('status').filter({ hasText: 'You left Crypto Cats.' }).waitFor();
    await joiner.page.getByRole('heading', { name: 'Make a team', level: 2 }).waitFor();
    await teamChip(joiner.page).filter({ hasText: 'No team' }).waitFor();
    for (const r of [maker.record, joiner.record]) assert.deepEqual(r.errors, []);
  });
  await maker.context.close();
  await joiner.context.close();
});

test('a solve by one member shows as solved in the other member\'s browser, live; the team is marked on the boards', async () => {
  const one = await newPlayer(browser, server);
  const two = await newPlayer(browser, server);
  await withShots('team-live', [one.page, two.page], async () => {
    await loginAs(one.page, PLAYERS[2], 'Owl One');
    await loginAs(two.page, PLAYERS[3], 'Owl Two');
    const code = await makeTeam(one.page, 'Live Owls');
    await joinTeam(two.page, code);
    await two.page.getByRole('status').filter({ hasText: 'You joined Live Owls.' }).waitFor();

    await nav(two.page, 'Challenges').click();
    await two.page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor();
    await two.page.evaluate(() => {
      window.__sameDocument = true;
    });
    assert.equal(await two.page.locator('[data-challenge-id="1"] .solved-mark').count(), 0);

    // One solves; the other's list follows (and unlocks what it opened).
    await nav(one.page, 'Challenges').click();
    await openChallenge(one.page, 'Warm Up');
    await submitFlag(one.page, 'warm');
    await one.page.getByText('Challenge Solved!').waitFor();
    await two.page.locator('[data-challenge-id="1"] .solved-mark', { hasText: '✓ Solved' }).waitFor({ timeout: 5000 });
    await two.page.getByRole('heading', { level: 3, name: 'Locked Door' }).waitFor();
    await two.page.locator('header .points', { hasText: '100 pts' }).waitFor();

    // On an open challenge page too.
    await openChallenge(two.page, 'Locked Door');
    await two.page.getByPlaceholder('Enter FLAG text here').waitFor();
    await nav(one.page, 'Challenges').click();
    await openChallenge(one.page, 'Locked Door');
    await submitFlag(one.page, 'door-9');
    await one.page.getByText('Challenge Solved!').waitFor();
    await two.page.getByText('Challenge Solved!').waitFor({ timeout: 5000 });
    await two.page.locator('header .points', { hasText: '250 pts' }).waitFor();
    assert.equal(await two.page.evaluate(() => window.__sameDocument), true, 'no reload');

    // The scoreboard ranks the team and marks it as the player's.
    await nav(two.page, 'Scoreboard').click();
    const row = two.page.locator('table.ranking tbody tr.me');
    await row.filter({ hasText: 'Live Owls (your team)' }).waitFor();
    assert.equal(await row.locator('td.score').textContent(), '250');
    assert.equal(await two.page.locator('table.ranking tbody tr', { hasText: 'Owl One' }).count(), 0, 'teams, not players');

    // So does /board in a member's browser, which names who solved.
    const board = await two.context.newPage();
    await board.goto('/board');
    await board.locator('table.ranking tbody tr.me', { hasText: 'Live Owls (your team)' }).waitFor();
    await board.getByText('Owl One (Live Owls) solved Locked Door').waitFor();
    await board.close();
    for (const r of [one.record, two.record]) assert.deepEqual(r.errors, []);
  });
  await one.context.close();
  await two.context.close();
});

test('teams of credentials.csv: the team shows at once, without an invite code', async () => {
  const dir = tempDir('ctfg-game-');
  writeFileSync(join(dir, 'challenges.json'), JSON.stringify(CHALLENGES, null, 2));
  writeFileSync(join(dir, 'credentials.csv'), 'username,password,team\nann,ann-pw,Red Team\nben,ben-pw,Red Team\ncid,cid-pw,\n');
  writeFileSync(join(dir, '.env'), `CTFG_ADMIN_TOKEN=${ADMIN_TOKEN}\nCTFG_API_TOKEN=${API_TOKEN}\n`);
  const srv = await startServer(bin, dir);
  const { context, page, record } = await newPlayer(browser, srv);
  try {
    await withShots('team-csv', [page], async () => {
      await page.goto('/');
      await login(page, 'ann', 'ann-pw');
      await setName(page, 'Ann');
      await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
      await teamChip(page).filter({ hasText: 'Red Team' }).waitFor();
      assert.equal(await page.locator('.no-team').count(), 0);
      await nav(page, 'Team').click();
      await page.getByRole('heading', { name: 'Red Team', level: 2 }).waitFor();
      await page.getByText('it has no invite code').waitFor();
      await page.locator('.members li.me', { hasText: 'Ann (you)' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Copy code' }).count(), 0);
      assert.deepEqual(record.errors, []);
    });
  } finally {
    await context.close();
    await srv.stop();
  }
});

test('without teams the app shows no team controls', async () => {
  const srv = await startServer(bin, writeGame());
  const { context, page } = await newPlayer(browser, srv);
  try {
    await withShots('team-off', [page], async () => {
      await loginAs(page, PLAYERS[0], 'Solo Player');
      assert.equal(await nav(page, 'Team').count(), 0);
      assert.equal(await teamChip(page).count(), 0);
      await page.goto('/#team');
      await page.getByRole('heading', { level: 3, name: 'Warm Up' }).waitFor();
    });
  } finally {
    await context.close();
    await srv.stop();
  }
});

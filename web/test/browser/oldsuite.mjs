// The old engine's own browser test suite, as ctfg must keep passing it.
//
// Where this comes from: the Common Lisp ctfg's `make check` runs
// `tests/make_tests.sh 50`, which writes one Playwright spec per player
// (ctfg-<username>.spec.ts, from credentials.csv minus its first line:
// `tail -n +2`), then `npx playwright test` runs them in parallel (10
// workers in its CI) against the server on port 8080. Organizers who
// load-tested their events with it point it at ctfg unchanged (only the
// port differs).
//
// Every locator of that spec is below, verbatim and in the order the spec
// uses them; playOldSpec walks them in that order. The assertions map onto
// playwright-core as @playwright/test's `expect` would run them:
// `toBeVisible({ timeout })` is waitFor visible, `toBeHidden()` is waitFor
// hidden within expect's default 5 s. Change nothing here to make a test
// pass: a change here means organizers' suites fail. The markup they rely
// on is listed in docs/API.md, "Compatibility with the old engine's
// browser tests".

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const OLD = {
  username: (page) => page.getByPlaceholder('Username'),
  password: (page) => page.getByPlaceholder('Password'),
  login: (page) => page.getByRole('button', { name: 'Login' }),
  displayName: (page) => page.getByPlaceholder('e.g. CryptoCats'),
  saveName: (page) => page.getByRole('button', { name: 'Save & Continue' }),
  // The challenge card: the div with class cursor-pointer around the title.
  card: (page, title) => page.getByRole('heading', { name: title, exact: true })
    .locator('xpath=ancestor::div[contains(@class,"cursor-pointer")]'),
  flag: (page) => page.getByPlaceholder('Enter FLAG text here'),
  submit: (page) => page.getByRole('button', { name: /^submit$/i }),
  solved: (page) => page.getByText('Challenge Solved!', { exact: true }),
  back: (page) => page.locator('#back-btn'),
  scoreboard: (page) => page.getByRole('button', { name: 'Scoreboard' }),
};

/** SOLVED_TIMEOUT is the spec's wait for "Challenge Solved!". */
export const SOLVED_TIMEOUT = 15_000;
/** EXPECT_TIMEOUT is @playwright/test's default for expect(...). */
export const EXPECT_TIMEOUT = 5_000;

/**
 * oldPlayers reads credentials.csv as make_tests.sh does: skip the first
 * line, split on the first comma, strip carriage returns, drop lines with
 * an empty field, take the first n.
 */
export function oldPlayers(gameDir, n) {
  const lines = readFileSync(join(gameDir, 'credentials.csv'), 'utf8').split('\n').slice(1);
  const out = [];
  for (const line of lines) {
    if (out.length >= n) break;
    const comma = line.indexOf(',');
    const username = line.slice(0, comma < 0 ? line.length : comma).replace(/\r/g, '');
    const password = comma < 0 ? '' : line.slice(comma + 1).replace(/\r/g, '');
    if (username && password) out.push({ username, password });
  }
  return out;
}

/** oldChallenges is challenges.json in file order, as the spec walks it. */
export function oldChallenges(gameDir) {
  return JSON.parse(readFileSync(join(gameDir, 'challenges.json'), 'utf8'));
}

/**
 * playOldSpec runs one generated spec for player: log in, choose the
 * display name display_<username>, then for each challenge in file order
 * open its card, submit its test flag, see "Challenge Solved!", go back
 * and see the flag input gone; finally open the scoreboard. onStep, when
 * given, hears each challenge done (for failure messages).
 */
export async function playOldSpec(page, player, challenges, onStep = () => {}) {
  await page.goto('/');
  await OLD.username(page).fill(player.username);
  await OLD.password(page).fill(player.password);
  await OLD.login(page).click();

  await OLD.displayName(page).fill(`display_${player.username}`);
  await OLD.saveName(page).click();

  for (const ch of challenges) {
    await OLD.card(page, ch.title).click();
    await OLD.flag(page).fill(ch.testflag);
    await OLD.submit(page).click();
    await OLD.solved(page).waitFor({ state: 'visible', timeout: SOLVED_TIMEOUT });
    await OLD.back(page).click();
    await OLD.flag(page).waitFor({ state: 'hidden', timeout: EXPECT_TIMEOUT });
    onStep(ch);
  }

  await OLD.scoreboard(page).click();
}

// Accessibility of every view, checked by axe-core in the real browser
// against the real server (see axe.mjs for the rules and the contrast
// check over gradients); the score chart's table; reduced motion; and
// reflow at 320 CSS pixels (what 400 % zoom of a 1280 px window leaves).
//
// To check a new view, add an entry to VIEWS: a name, the player whose
// browser shows it (and server: 'teams' for the team-mode server), and
// an async open(page) that brings that browser to it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminPost,
  buildServer, writeGame, startServer, launchBrowser, newPlayer, login, loginAs, openChallenge, submitFlag,
  withShots, ADMIN_TOKEN, PLAYERS, CHALLENGES,
} from './helpers.mjs';
import { checkAccessible, describeFindings } from './axe.mjs';

let server; // registration by invite
let teamServer; // team mode: players make teams of up to 3
let browser;

before(async () => {
  const bin = buildServer();
  // Registration by invite: the login page offers it, its form has every field.
  const game = writeGame();
  appendFileSync(join(game, '.env'), 'CTFG_REGISTRATION=invite\nCTFG_REGISTRATION_CODE=a11y-invite-code\nCTFG_REGISTRATION_POW_BITS=8\n'
    // Individual play: registration alone would play in teams (the team server below does).
    + 'CTFG_TEAM_SIZE=0\n');
  server = await startServer(bin, game);
  teamServer = await startServer(bin, writeGame(), { args: ['--team-size', '3'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await teamServer?.stop();
});

const admin = (path, body) => adminPost(server, path, body);

const h1 = (page, name) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();

/**
 * tooWide names the elements that reach past the window's right edge
 * (outside a box that scrolls by itself): what makes a page scroll
 * sideways.
 */
function tooWide(page) {
  return page.evaluate(() => [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.parentElement?.closest('.scroll'))
    .slice(0, 8)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} (right ${Math.round(el.getBoundingClientRect().right)})`)
    .join(', ') || 'nothing found');
}

/** adminLogin logs the page in to the admin dashboard. */
async function adminLogin(page) {
  await page.goto('/admin');
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#dash').waitFor();
}

/**
 * VIEWS are checked in order in one browser context per player and
 * server: a view may rely on what an earlier one of the same player did.
 */
const VIEWS = [
  {
    name: 'login', player: 'anon',
    open: async (page) => {
      await page.goto('/');
      await page.getByPlaceholder('Username').waitFor();
      await page.getByRole('button', { name: 'Create an account' }).waitFor();
    },
  },
  {
    name: 'registration form', player: 'anon',
    open: async (page) => {
      await page.getByRole('button', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create an account', level: 1 }).waitFor();
      await page.getByLabel('Registration code').waitFor();
    },
  },
  {
    name: 'registration form with an error', player: 'anon',
    open: async (page) => {
      await page.getByLabel('Username').fill('x');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('#register-username[aria-invalid="true"]').waitFor();
      await page.getByRole('button', { name: 'Back to login' }).click();
      await page.getByPlaceholder('Username').waitFor();
    },
  },
  {
    name: 'login with an error', player: 'anon',
    open: async (page) => {
      await login(page, 'nobody', 'wrong');
      await page.getByText('Wrong username or password.').waitFor();
    },
  },
  {
    name: 'name dialog', player: 'alice',
    open: async (page) => {
      await page.goto('/');
      await login(page, ...PLAYERS[0]);
      await page.getByRole('dialog', { name: 'Choose your display name' }).waitFor();
    },
  },
  {
    name: 'name dialog with an error', player: 'alice',
    open: async (page) => {
      await page.getByPlaceholder('e.g. CryptoCats').fill('admin');
      await page.getByRole('button', { name: 'Save & Continue' }).click();
      await page.waitForFunction(() => document.querySelector('#name-error')?.textContent.trim().length > 0);
    },
  },
  {
    name: 'challenges', player: 'alice',
    open: async (page) => {
      await page.getByPlaceholder('e.g. CryptoCats').fill('Ada Access');
      await page.getByRole('button', { name: 'Save & Continue' }).click();
      await h1(page, 'Challenges');
      await page.locator('.card').first().waitFor();
    },
  },
  {
    name: 'challenge detail (hints, flag form)', player: 'alice',
    open: async (page) => {
      await openChallenge(page, 'Warm Up');
      await page.getByText('Locked: reveal hint 1 first.').waitFor();
    },
  },
  {
    name: 'challenge detail (hint revealed, purchase to confirm, wrong flag)', player: 'alice',
    open: async (page) => {
      await page.getByRole('button', { name: 'Reveal hint 1' }).click();
      await page.getByText('the flag is a word').waitFor();
      await page.getByRole('button', { name: 'Buy hint 2 for 10 pts' }).click();
      await page.getByRole('button', { name: 'Confirm: spend 10 pts' }).waitFor();
      await submitFlag(page, 'cold');
      await page.getByText('Incorrect flag. Try again.').waitFor();
    },
  },
  {
    name: 'challenge detail (hint refused, solved)', player: 'alice',
    open: async (page) => {
      await page.getByRole('button', { name: 'Confirm: spend 10 pts' }).click();
      await page.getByText('You need at least 10 pts to buy this hint').waitFor();
      await submitFlag(page, CHALLENGES[0].testflag);
      await page.getByText('Challenge Solved!').waitFor();
    },
  },
  {
    name: 'challenges, one solved', player: 'alice',
    open: async (page) => {
      await page.goto('/#challenges');
      await page.locator('.card.solved').waitFor();
    },
  },
  {
    name: 'scoreboard', player: 'alice',
    open: async (page) => {
      await page.goto('/#scoreboard');
      await page.locator('table.ranking tbody tr', { hasText: 'Ada Access' }).waitFor();
    },
  },
  {
    name: 'scoreboard with the chart as a table', player: 'alice',
    open: async (page) => {
      await page.getByRole('button', { name: 'Show the chart as a table' }).click();
      await page.locator('table.chart-table tbody tr').first().waitFor();
      await page.locator('table.chart-table').waitFor();
    },
  },
  {
    name: 'player page (from the scoreboard, chart as a table)', player: 'alice',
    open: async (page) => {
      await page.locator('table.ranking tbody tr td.name a', { hasText: 'Ada Access' }).click();
      await h1(page, 'Ada Access (you)');
      await page.locator('table.solves-table tbody tr', { hasText: 'First blood' }).waitFor();
      await page.getByRole('button', { name: 'Show the chart as a table' }).click();
      await page.locator('#page-chart-table table.chart-table').waitFor();
    },
  },
  {
    name: 'challenge detail with its solvers', player: 'alice',
    open: async (page) => {
      await page.getByRole('link', { name: 'Warm Up' }).click();
      await page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor();
      await page.locator('.solvers li.me', { hasText: 'First blood' }).waitFor();
    },
  },
  {
    name: 'no such player', player: 'alice',
    open: async (page) => {
      await page.goto('/#player/987654');
      await h1(page, 'No such player');
    },
  },
  {
    name: 'announcement banner', player: 'alice',
    open: async (page) => {
      await page.goto('/#challenges');
      await h1(page, 'Challenges');
      await admin('/admin/api/announcements', { message: 'Hint: **Warm Up** is `case-sensitive`.', challenge_id: 1 });
      await page.getByRole('region', { name: 'New announcement' }).waitFor();
    },
  },
  {
    name: 'announcements', player: 'alice',
    open: async (page) => {
      await page.goto('/#announcements');
      await page.locator('.announcement-list li').first().waitFor();
    },
  },
  {
    name: 'challenge not available', player: 'alice',
    open: async (page) => {
      await page.goto('/#challenge/4');
      await page.getByRole('heading', { name: 'Challenge not available' }).waitFor();
    },
  },
  {
    name: '/board', player: 'alice',
    open: async (page) => {
      await page.goto('/board');
      await page.locator('table.ranking tbody tr').first().waitFor();
      await page.locator('.board-announcements').waitFor();
    },
  },
  {
    name: '/board login', player: 'anon',
    open: async (page) => {
      await page.goto('/board');
      await page.getByRole('heading', { name: 'Log in to show the scoreboard' }).waitFor();
    },
  },
  {
    name: 'admin login', player: 'admin',
    open: async (page) => {
      await page.goto('/admin');
      await page.getByLabel('Admin token').waitFor();
    },
  },
  {
    name: 'admin login with an error', player: 'admin',
    open: async (page) => {
      await page.getByLabel('Admin token').fill('wrong-token');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('.msg.err').waitFor();
    },
  },
  {
    name: 'admin dashboard', player: 'admin',
    open: async (page) => {
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#dash').waitFor();
      await page.locator('#challenges tbody tr').first().waitFor();
      // After its first poll the script has redrawn the tables.
      await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'admin players list, searched', player: 'admin',
    open: async (page) => {
      await page.getByRole('searchbox', { name: 'name or username' }).fill('ALI');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.locator('#players-count', { hasText: 'matching' }).waitFor();
      await page.locator('#player-list tbody tr', { hasText: 'alice' }).waitFor();
    },
  },
  {
    name: 'admin remove confirmation', player: 'admin',
    open: async (page) => {
      await page.locator('#player-list tbody tr', { hasText: 'alice' }).first().getByRole('button', { name: /^Remove / }).click();
      await h1(page, 'Remove this player?');
      await page.getByRole('button', { name: /^Remove / }).waitFor();
    },
  },
  {
    name: 'team mode: challenges without a team', player: 'alice', server: 'teams',
    open: async (page) => {
      await loginAs(page, PLAYERS[0], 'Team Ada');
      await page.locator('.no-team').waitFor();
    },
  },
  {
    name: 'team mode: a challenge without a team', player: 'alice', server: 'teams',
    open: async (page) => {
      await openChallenge(page, 'Warm Up');
      await page.locator('#flag-gate', { hasText: 'Solving needs a team' }).waitFor();
    },
  },
  {
    name: 'team mode: Team view without a team, with an error', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.goto('/#team');
      await page.getByRole('heading', { name: 'You are not in a team yet', level: 2 }).waitFor();
      await page.getByRole('button', { name: 'Make team' }).click();
      await page.getByRole('alert').filter({ hasText: 'Enter a name for the team first.' }).waitFor();
    },
  },
  {
    name: 'team mode: Team view in a team, leaving to confirm', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.getByLabel('Team name').fill('Access Team');
      await page.getByRole('button', { name: 'Make team' }).click();
      await page.getByRole('heading', { name: 'Access Team', level: 2 }).waitFor();
      await page.getByLabel('Invite code').waitFor();
      await page.getByRole('button', { name: 'Leave team' }).click();
      await page.getByRole('button', { name: 'Confirm: leave Access Team' }).waitFor();
    },
  },
  {
    name: 'team mode: solved, scoreboard', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.goto('/#challenges');
      await openChallenge(page, 'Warm Up');
      await submitFlag(page, CHALLENGES[0].testflag);
      await page.getByText('Challenge Solved!').waitFor();
      await page.goto('/#scoreboard');
      await page.locator('table.ranking tbody tr', { hasText: 'Access Team' }).waitFor();
    },
  },
  {
    name: 'team mode: team page (members, By column)', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.locator('table.ranking tbody tr td.name a', { hasText: 'Access Team' }).click();
      await h1(page, 'Access Team (your team)');
      await page.locator('table.solves-table tbody td.by', { hasText: 'Team Ada' }).waitFor();
      await page.getByRole('region', { name: 'Members (1)' }).getByRole('link', { name: 'Team Ada' }).waitFor();
    },
  },
  {
    name: 'team mode: a member\'s page', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.getByRole('region', { name: 'Members (1)' }).getByRole('link', { name: 'Team Ada' }).click();
      await h1(page, 'Team Ada (you)');
      await page.locator('.page-about').getByRole('link', { name: 'Access Team' }).waitFor();
      await page.locator('table.solves-table tbody tr').first().waitFor();
    },
  },
  {
    name: 'team mode: a challenge with its solvers', player: 'alice', server: 'teams',
    open: async (page) => {
      await page.goto('/#challenge/1');
      await page.locator('.solvers li.me', { hasText: 'Access Team' }).waitFor();
    },
  },
  {
    name: 'team mode: admin players list and disband confirmation', player: 'admin', server: 'teams',
    open: async (page) => {
      await adminLogin(page);
      await page.locator('#player-list tbody tr', { hasText: 'Access Team' }).waitFor();
      await page.getByRole('button', { name: 'Disband Access Team' }).click();
      await h1(page, 'Disband this team?');
    },
  },
];

test('every view passes axe-core with no serious or critical violation', async () => {
  const players = new Map();
  const pages = []; // screenshots of each on failure
  const failures = [];
  try {
    await withShots('axe', pages, async () => {
      for (const view of VIEWS) {
        const key = `${view.server || 'main'}/${view.player}`;
        if (!players.has(key)) {
          players.set(key, await newPlayer(browser, view.server === 'teams' ? teamServer : server));
          pages.push(players.get(key).page);
        }
        const { page } = players.get(key);
        await view.open(page);
        // Every view is checked before failing: one run lists everything.
        const r = await checkAccessible(page);
        if (r.minor.length) console.log(`axe, ${view.name}: minor findings\n${describeFindings(r.minor)}`);
        if (r.review.length) failures.push(`${view.name}: text whose contrast axe cannot judge (measure it, then list it in REVIEWED)\n${describeFindings(r.review)}`);
        if (r.failing.length) failures.push(`${view.name}:\n${describeFindings(r.failing)}`);
      }
      assert.ok(failures.length === 0, `serious or critical axe violations:\n${failures.join('\n')}`);
    });
    for (const [who, p] of players) assert.deepEqual(p.record.errors, [], `script errors (${who})`);
  } finally {
    for (const p of players.values()) await p.context.close();
  }
});

/**
 * apiPlayer logs a player in over the HTTP API (no browser) and names
 * them; it returns {submit(id, flag), hint(id, hintId)}.
 */
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

/** chartTableCells reads the chart's table: header and rows as text. */
function chartTableCells(page) {
  return page.locator('table.chart-table').evaluate((t) => ({
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
  }));
}

test('the score chart has a table with the same series, shown and hidden by a button', async () => {
  const { context, page, record } = await newPlayer(browser, server);
  await withShots('chart-table', [page], async () => {
    const bob = await apiPlayer(PLAYERS[4], 'Table Bob');
    await bob.submit(1, 'warm'); // 100
    await bob.hint(2, 1); // 80
    await bob.submit(2, 'door-42'); // 230
    await loginAs(page, PLAYERS[5], 'Table Watcher');
    await page.goto('/#scoreboard');
    await page.locator('table.ranking tbody tr', { hasText: 'Table Bob' }).waitFor();

    const toggle = page.getByRole('button', { name: 'Show the chart as a table' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('table.chart-table').count(), 0, 'not drawn while hidden');
    await toggle.click();
    const hide = page.getByRole('button', { name: 'Hide the table' });
    assert.equal(await hide.getAttribute('aria-expanded'), 'true');
    const region = page.getByRole('region', { name: 'Score over time, as a table' });
    await region.locator('table.chart-table caption', { hasText: 'Score over time of the top 10 players' }).waitFor();

    // The chart's lines (its fallback list names each line's last value)
    // and the table's columns are the same players, in the same order.
    const lines = await page.locator('canvas li').allTextContents();
    let t = await chartTableCells(page);
    assert.equal(t.head[0], 'Time');
    assert.deepEqual(t.head.slice(1), lines.map((l) => l.replace(/: -?\d+$/, '')));
    const bobCol = t.head.indexOf('Table Bob');
    // One row per step of any line: Bob's three, in order (after 0 while
    // players of earlier tests scored).
    const steps = t.rows.map((r) => r[bobCol]).filter((v, i, a) => i === 0 || v !== a[i - 1]);
    assert.deepEqual(steps[0] === '0' ? steps.slice(1) : steps, ['100', '80', '230']);
    assert.ok(t.rows.every((r) => /^\d\d:\d\d:\d\d$/.test(r[0])), `times: ${t.rows.map((r) => r[0])}`);

    // It follows the live board.
    await bob.submit(3, 'evil');
    await page.locator('table.chart-table tbody tr:last-child td', { hasText: '430' }).waitFor({ timeout: 5000 });
    t = await chartTableCells(page);
    assert.equal(t.rows[t.rows.length - 1][bobCol], '430');

    await hide.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('table.chart-table').count(), 0);
    assert.deepEqual(record.errors, []);
  });
  await context.close();
});

/** moving lists what animates or transitions on the page, pseudo-elements too. */
function moving(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('*')) {
      for (const pseudo of [null, '::before', '::after']) {
        const cs = getComputedStyle(el, pseudo);
        const anim = cs.animationName.split(',').some((n) => n.trim() !== 'none');
        const trans = cs.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
        if (anim || trans) out.push(`${el.tagName.toLowerCase()}.${el.className}${pseudo || ''}: ${anim ? cs.animationName : cs.transition}`);
      }
    }
    return out;
  });
}

test('with prefers-reduced-motion nothing animates or transitions', async () => {
  const { context, page } = await newPlayer(browser, server);
  await withShots('reduced-motion', [page], async () => {
    await page.goto('/');
    await page.getByPlaceholder('Username').waitFor();
    // Without the preference the app does move: the check below can fail.
    assert.ok((await moving(page)).length > 0, 'buttons have transitions normally');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    assert.deepEqual(await moving(page), [], 'login');
    await loginAs(page, PLAYERS[6], 'Still Life');
    const views = [
      ['#challenges', () => page.locator('.card').first().waitFor()],
      ['#challenge/1', () => page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor()],
      ['#scoreboard', () => page.locator('table.ranking').waitFor()],
      ['#announcements', () => h1(page, 'Announcements')],
    ];
    for (const [hash, ready] of views) {
      await page.goto(`/${hash}`);
      await ready();
      assert.deepEqual(await moving(page), [], hash);
    }
    // The projector's first-blood toast and the reconnecting blink are
    // keyframe animations: gone too.
    await page.goto('/board');
    await page.locator('table.ranking').waitFor();
    assert.deepEqual(await moving(page), [], '/board');
    assert.equal(await page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches), true);
  });
  await context.close();
});

test('at 320 CSS pixels wide (400 % zoom) no view scrolls sideways', async () => {
  const { context, page } = await newPlayer(browser, server, { viewport: { width: 320, height: 640 } });
  await withShots('reflow', [page], async () => {
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.goto('/');
    await page.getByPlaceholder('Username').waitFor();
    assert.ok(await overflow() <= 0, `login scrolls sideways by ${await overflow()}px`);
    await login(page, ...PLAYERS[7]);
    await page.getByRole('dialog').waitFor();
    assert.ok(await overflow() <= 0, `name dialog scrolls sideways by ${await overflow()}px`);
    await page.getByPlaceholder('e.g. CryptoCats').fill('Zoomed In');
    await page.getByRole('button', { name: 'Save & Continue' }).click();
    await h1(page, 'Challenges');
    await admin('/admin/api/announcements', { message: 'A banner at **320 px** wide.', challenge_id: 1 });
    const views = [
      ['#challenges', async () => {
        await page.locator('.card').first().waitFor();
        await page.locator('.announce-banner', { hasText: 'A banner at' }).waitFor();
      }],
      ['#challenge/1', () => page.getByRole('heading', { level: 2, name: 'Warm Up' }).waitFor()],
      ['#scoreboard', async () => {
        await page.locator('table.ranking').waitFor();
        await page.getByRole('button', { name: 'Show the chart as a table' }).click();
        await page.locator('table.chart-table').waitFor();
      }],
      ['#announcements', () => h1(page, 'Announcements')],
    ];
    for (const [hash, ready] of views) {
      await page.goto(`/${hash}`);
      await ready();
      const px = await overflow();
      assert.ok(px <= 0, `${hash} scrolls sideways by ${px}px`);
    }
    // A player's page, from the scoreboard, with its chart's table, and
    // a challenge's solvers.
    await page.goto('/#scoreboard');
    await page.locator('table.ranking tbody tr td.name a').first().click();
    await page.locator('.page-stats').waitFor();
    await page.getByRole('button', { name: 'Show the chart as a table' }).click();
    await page.locator('#page-chart-table table.chart-table').waitFor();
    assert.ok(await overflow() <= 0, `a player's page scrolls sideways by ${await overflow()}px`);
    await page.goto('/#challenge/1');
    await page.locator('.solvers li').first().waitFor();
    assert.ok(await overflow() <= 0, `a challenge's solvers scroll sideways by ${await overflow()}px`);
  });
  await context.close();

  // The admin dashboard, its players list and a confirmation: wide
  // tables scroll in their own box, never the page.
  const a = await newPlayer(browser, server, { viewport: { width: 320, height: 640 } });
  await withShots('reflow-admin', [a.page], async () => {
    const overflow = () => a.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await adminLogin(a.page);
    await a.page.locator('#player-list tbody tr').first().waitFor();
    assert.ok(await overflow() <= 0, `the admin dashboard scrolls sideways by ${await overflow()}px: ${await tooWide(a.page)}`);
    const scrolls = await a.page.locator('#player-list').evaluate((t) => t.parentElement.scrollWidth > t.parentElement.clientWidth);
    assert.ok(scrolls, 'the players table does not scroll in its own box at 320 px (is it still wide?)');
    await a.page.getByRole('searchbox', { name: 'name or username' }).fill('bob');
    await a.page.getByRole('button', { name: 'Search', exact: true }).click();
    await a.page.locator('#players-count', { hasText: 'matching' }).waitFor();
    assert.ok(await overflow() <= 0, `the searched players list scrolls sideways by ${await overflow()}px: ${await tooWide(a.page)}`);
    await a.page.locator('#player-list tbody tr', { hasText: 'bob' }).first().getByRole('button', { name: /^Remove / }).click();
    await h1(a.page, 'Remove this player?');
    assert.ok(await overflow() <= 0, `the remove confirmation scrolls sideways by ${await overflow()}px: ${await tooWide(a.page)}`);
  });
  await a.context.close();

  // The Team view of team mode, without a team and in one.
  const t = await newPlayer(browser, teamServer, { viewport: { width: 320, height: 640 } });
  await withShots('reflow-team', [t.page], async () => {
    const overflow = () => t.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await loginAs(t.page, PLAYERS[7], 'Zoomed Team');
    await t.page.goto('/#team');
    await t.page.getByRole('heading', { name: 'You are not in a team yet', level: 2 }).waitFor();
    assert.ok(await overflow() <= 0, `#team without a team scrolls sideways by ${await overflow()}px`);
    await t.page.getByLabel('Team name').fill('Narrow Screens United');
    await t.page.getByRole('button', { name: 'Make team' }).click();
    await t.page.getByLabel('Invite code').waitFor();
    assert.ok(await overflow() <= 0, `#team in a team scrolls sideways by ${await overflow()}px`);
    // The team's page: members and the By column.
    await t.page.goto('/#scoreboard');
    await t.page.locator('table.ranking tbody tr td.name a', { hasText: 'Narrow Screens United' }).click();
    await t.page.getByRole('heading', { level: 1, name: 'Narrow Screens United (your team)' }).waitFor();
    await t.page.locator('.page-members li').first().waitFor();
    assert.ok(await overflow() <= 0, `a team's page scrolls sideways by ${await overflow()}px`);
  });
  await t.context.close();
});

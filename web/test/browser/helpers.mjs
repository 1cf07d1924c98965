// Shared pieces of the browser tests: build and run the real ctfg server
// on 127.0.0.1 with a game directory written here, drive Debian's
// Chromium through playwright-core, and keep screenshots of failures.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ADMIN_TOKEN = 'admin-token-for-browser-tests-0123456789';
export const API_TOKEN = 'api-token-for-browser-tests-0123456789';
export const shotDir = join(tmpdir(), 'ctfg-browser-shots');

/**
 * The test game: prerequisites (2 needs 1; 4 needs 2 and 3), free and paid
 * hints, a description that tries every classic script injection, and a
 * code block to highlight. Full score: 100 + 150 + 200 + 50 − 20 = 480
 * when the paid hint of challenge 2 is bought.
 */
export const CHALLENGES = [
  {
    id: 1, title: 'Warm Up', category: 'Basics', difficulty: 'Easy', points: 100,
    description: 'Say **warm**.\n\n```python\nprint("warm")\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    flag: '^warm$', testflag: 'warm',
    hints: [{ id: 1, text: 'A *free* hint: the flag is a word.', cost: 0 }, { id: 2, text: 'Paid hint: it rhymes with storm.', cost: 10 }],
  },
  {
    id: 2, title: 'Locked Door', category: 'Basics', difficulty: 'Medium', points: 150,
    description: 'The door opens with `door-` and a number.',
    flag: '^door-[0-9]+$', testflag: 'door-42', requirements: [1],
    hints: [{ id: 1, text: 'Forty-two is a fine number.', cost: 20 }],
  },
  {
    id: 3, title: 'Evil Markup', category: 'Web', difficulty: 'Hard', points: 200,
    description: [
      'Nothing here may run.',
      '<script>window.__pwned = "script"; alert("script")</script>',
      '<img src=x onerror="window.__pwned=\'img\';alert(\'img\')">',
      '<svg onload="window.__pwned=\'svg\'"><circle r="1"></circle></svg>',
      '<a href="javascript:window.__pwned=\'link\'" id="evil-link">click me</a>',
      '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
      '<div onclick="window.__pwned=\'click\'" id="evil-div">**bold** text</div>',
      '<form action="/api/login"><input name="username"></form>',
      '<p style="background:url(https://example.org/x.png)">styled</p>',
    ].join('\n\n'),
    flag: '^evil$', testflag: 'evil',
  },
  {
    id: 4, title: 'Final Act', category: 'Web', difficulty: 'Easy', points: 50,
    description: 'You made it. The flag is `final`.', flag: '^final$', testflag: 'final', requirements: [2, 3],
  },
];
export const FULL_SCORE = 480;

export const PLAYERS = [
  ['alice', 'alice-pw'], ['bob', 'bob-pw'], ['carol', 'carol-pw'], ['dave', 'dave-pw'],
  ...Array.from({ length: 20 }, (_, i) => [`p${String(i + 1).padStart(2, '0')}`, `pw-${i + 1}`]),
];

/** tempDir makes a directory removed at process exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** buildServer builds ./cmd/ctfg once (CTFG_BIN skips the build). */
export function buildServer() {
  if (process.env.CTFG_BIN) return process.env.CTFG_BIN;
  const bin = join(tempDir('ctfg-bin-'), 'ctfg');
  execFileSync('go', ['build', '-o', bin, './cmd/ctfg'], { cwd: repoRoot, stdio: 'inherit' });
  return bin;
}

/** writeGame writes a complete game directory and returns its path. */
export function writeGame() {
  const dir = tempDir('ctfg-game-');
  writeFileSync(join(dir, 'challenges.json'), JSON.stringify(CHALLENGES, null, 2));
  writeFileSync(join(dir, 'credentials.csv'), `username,password\n${PLAYERS.map(([u, p]) => `${u},${p}`).join('\n')}\n`);
  writeFileSync(join(dir, '.env'), `CTFG_ADMIN_TOKEN=${ADMIN_TOKEN}\nCTFG_API_TOKEN=${API_TOKEN}\n`);
  return dir;
}

/**
 * startServer runs ctfg on addr (127.0.0.1:0 picks a port) and resolves
 * once it wrote its port file. It returns {url, addr, stop()}.
 */
export async function startServer(bin, gameDir, { addr = '127.0.0.1:0', args = [] } = {}) {
  const portFile = join(tempDir('ctfg-port-'), 'port');
  const proc = spawn(bin, ['--game', gameDir, '--addr', addr, '--port-file', portFile, '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d) => {
    log += d;
  });
  let exited = false;
  proc.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 30_000;
  let bound = '';
  while (!bound) {
    if (exited) throw new Error(`ctfg exited before listening:\n${log}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`ctfg did not write ${portFile} within 30 s:\n${log}`);
    }
    if (existsSync(portFile)) bound = readFileSync(portFile, 'utf8').trim();
    if (!bound) await sleep(50);
  }
  const server = {
    addr: bound,
    url: `http://${bound}`,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (exited) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
  process.on('exit', () => {
    if (!exited) proc.kill('SIGKILL');
  });
  const index = await (await fetch(`${server.url}/`)).text();
  if (!index.includes('/assets/app.')) {
    await server.stop();
    throw new Error('ctfg does not serve the embedded web app at / (is web.Handler mounted?)');
  }
  return server;
}

/** launchBrowser starts Debian's Chromium (never a downloaded one). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

/**
 * newPlayer opens a fresh context (its own cookies) and page, recording
 * every request URL, dialog and page error.
 */
export async function newPlayer(browser, server, { viewport = { width: 1280, height: 860 }, timeout = 30_000 } = {}) {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  const record = { requests: [], dialogs: [], errors: [], console: [], failed: [] };
  context.on('request', (r) => record.requests.push(r.url()));
  context.on('response', (r) => {
    if (r.status() >= 400) record.failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  context.on('requestfailed', (r) => record.failed.push(`${r.failure()?.errorText} ${r.method()} ${r.url()}`));
  page.on('dialog', (d) => {
    record.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => record.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') record.console.push(m.text());
  });
  return { context, page, record };
}

/** login fills the login form; it expects the name dialog or the app next. */
export async function login(page, username, password) {
  await page.getByPlaceholder('Username').fill(username);
  await page.getByPlaceholder('Password').fill(password);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
}

export async function setName(page, name) {
  await page.getByPlaceholder('e.g. CryptoCats').fill(name);
  await page.getByRole('button', { name: 'Save & Continue' }).click();
}

/** loginAs opens the app, logs in and sets a display name. */
export async function loginAs(page, [username, password], displayName) {
  await page.goto('/');
  await login(page, username, password);
  await setName(page, displayName);
  await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
}

/** openChallenge clicks a challenge card's title. */
export async function openChallenge(page, title) {
  await page.getByRole('heading', { name: 'Challenges', level: 1 }).waitFor();
  await page.getByRole('heading', { level: 3, name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
}

export async function submitFlag(page, flag) {
  await page.getByPlaceholder('Enter FLAG text here').fill(flag);
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
}

/** adminPost calls srv's admin API (POST, JSON) with the bearer token and returns the reply; anything but 200 throws. */
export async function adminPost(srv, path, body) {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/**
 * solve opens a challenge from the list and submits its flag. Like a
 * player, it submits again when the app says the request never reached
 * the server: a loaded CI machine's Chromium now and then drops a POST on
 * a pooled socket (net::ERR_SOCKET_NOT_CONNECTED) and browsers do not
 * resend POSTs by themselves.
 */
export async function solve(page, challenge) {
  await page.goto('/#challenges');
  await openChallenge(page, challenge.title);
  const solved = page.getByText('Challenge Solved!');
  const unreachable = page.getByText('Cannot reach the server');
  for (let attempt = 1; ; attempt++) {
    await submitFlag(page, challenge.testflag);
    await solved.or(unreachable).first().waitFor();
    if (await solved.isVisible()) return;
    if (attempt === 3) throw new Error(`${challenge.title}: the server could not be reached ${attempt} times`);
  }
}

/**
 * shots runs fn and, when it throws, saves a screenshot of every page to
 * shotDir before rethrowing.
 */
export async function withShots(name, pages, fn) {
  try {
    return await fn();
  } catch (err) {
    mkdirSync(shotDir, { recursive: true });
    for (const [i, page] of pages.entries()) {
      const file = join(shotDir, `${name.replace(/[^a-z0-9]+/gi, '-')}-${i}.png`);
      try {
        await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
        console.error(`screenshot: ${file}`);
      } catch {
        /* the page may be gone */
      }
    }
    throw err;
  }
}

/** adminReset calls POST /admin/reset with the JSON form. */
export async function adminReset(server) {
  const res = await fetch(`${server.url}/admin/reset?confirm=yes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: ADMIN_TOKEN }),
  });
  if (res.status !== 200) throw new Error(`admin reset: ${res.status} ${await res.text()}`);
  return res.json();
}

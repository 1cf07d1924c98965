// The projector view at /board: full screen, large type, no navigation.
// With a public scoreboard it needs no login; otherwise it asks for one.
// Besides the ranking it shows the game clock, a "Scoreboard frozen"
// badge, the latest announcements and a toast for each first blood.

import { api } from './api.js';
import { h, replace, formatClock } from './dom.js';
import { renderLogin, bannerImage } from './login.js';
import { Scoreboard, firstBloods } from './model.js';
import { ScoreStream } from './stream.js';
import { ScoreChart } from './scorechart.js';
import { rankTable, recentList, throttled } from './scoreboard.js';
import { ClockWatcher, describe } from './clock.js';
import { announcementItem } from './announce.js';
import { StandingsRefresher } from './standings.js';
import { byLine, teamMode } from './team.js';

const RETRY_MS = 3000;
const ANNOUNCEMENTS_SHOWN = 2;
const TOAST_MS = 8000;
const FRESH_MS = 60_000; // how long a new announcement stays highlighted

export async function startBoard(root) {
  document.body.classList.add('board-mode');
  let info;
  try {
    info = await api.board();
  } catch (err) {
    if (err.status === 401) {
      renderLogin(root, {
        title: 'Log in to show the scoreboard',
        onSuccess: () => startBoard(root),
      });
      return;
    }
    replace(root, h('main', { class: 'center-page' },
      h('p', { class: 'notice', role: 'status', text: 'Cannot reach the server. Retrying…' })));
    setTimeout(() => startBoard(root), RETRY_MS);
    return;
  }
  // A player's browser marks their team (team mode); a public board
  // without a session marks nobody.
  let teamId = null;
  try {
    const me = await api.me();
    if (teamMode(me) && typeof me.team_id === 'number') teamId = me.team_id;
  } catch {
    /* no session: a public board */
  }
  runBoard(root, info, teamId);
}

function runBoard(root, info, teamId) {
  const model = new Scoreboard();
  const conn = h('p', { class: 'conn', role: 'status', hidden: true, text: 'Reconnecting…' });
  const clock = h('span', { class: 'clock' });
  const gameClock = h('span', { class: 'clock-chip board-clock', role: 'timer', 'aria-label': 'Game clock' });
  const frozenBadge = h('span', { class: 'frozen-badge', role: 'status' });
  const tableBox = h('div', { class: 'board-table' });
  const recentBox = h('div', { class: 'board-recent' });
  const annList = h('div', { class: 'board-announcements-list', 'aria-live': 'polite' });
  const annPanel = h('section', { class: 'panel board-announcements', 'aria-labelledby': 'board-ann-title', hidden: true },
    h('h2', { id: 'board-ann-title', text: 'Announcements' }), annList);
  const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const canvas = h('canvas', { role: 'img', 'aria-label': 'Score over time of the top 10 players' });
  replace(root, h('main', { class: 'board' },
    h('header', { class: 'board-head' },
      bannerImage('board-banner'),
      h('h1', { text: 'Scoreboard' }),
      frozenBadge,
      conn,
      gameClock,
      clock),
    h('div', { class: 'board-grid' },
      h('section', { class: 'panel', 'aria-label': 'Ranking' }, tableBox),
      h('div', { class: 'board-side' },
        h('section', { class: 'panel board-chart', 'aria-label': 'Score over time' }, h('div', { class: 'chart-box' }, canvas)),
        annPanel,
        h('section', { class: 'panel', 'aria-label': 'Latest events' }, h('h2', { text: 'Latest' }), recentBox)))),
  toasts);
  const chart = new ScoreChart(canvas, model, { large: true });
  let shownAnnouncements = '';
  const drawAnnouncements = () => {
    const latest = model.announcements.slice(-ANNOUNCEMENTS_SHOWN).reverse();
    const key = latest.map((a) => `${a.ts}|${a.message}`).join('\n');
    if (key === shownAnnouncements) return;
    shownAnnouncements = key;
    annPanel.hidden = latest.length === 0;
    const now = watcher.serverNow(); // announcement times are the server's
    replace(annList, latest.map((a) => {
      const item = announcementItem(a, { linkChallenges: false, headingLevel: 'h3' });
      if (now - a.ts < FRESH_MS) item.classList.add('fresh');
      return item;
    }));
  };
  const drawFrozen = () => {
    const text = model.frozen ? 'Scoreboard frozen' : '';
    if (frozenBadge.textContent !== text) frozenBadge.textContent = text;
  };
  const draw = () => {
    const rows = Math.max(5, Math.floor((window.innerHeight - 200) / 56));
    replace(tableBox, model.players.size
      ? rankTable(model, { limit: rows, meId: teamId, you: ' (your team)' })
      : h('p', { class: 'empty', text: model.ready ? 'No scores yet.' : 'Connecting…' }));
    replace(recentBox, recentList(model, 6));
    drawAnnouncements();
    drawFrozen();
    chart.update();
  };
  // The game clock counts in the server's time (no session needed).
  const watcher = new ClockWatcher({
    fetch: api.clock,
    onChange: (c) => {
      model.setFrozen(c.frozen);
      tick();
    },
  });
  const tick = () => {
    clock.textContent = formatClock(Date.now());
    const c = watcher.clock;
    const d = c ? describe(c, watcher.serverNow()) : { text: '', phase: '' };
    if (gameClock.textContent !== d.text) gameClock.textContent = d.text;
    gameClock.className = `clock-chip board-clock ${d.phase}`;
  };
  tick();
  watcher.refresh();
  const clockTimer = setInterval(tick, 1000);
  const chartTimer = setInterval(() => chart.update(), 30_000);
  model.subscribe(throttled(draw, () => (model.players.size > 1000 ? 1000 : 250)));
  window.addEventListener('resize', draw);
  draw();
  const toast = (ev) => {
    const item = h('div', { class: 'toast first-blood' },
      h('span', { class: 'drop', 'aria-hidden': 'true' }),
      h('strong', { text: 'First blood! ' }),
      `${byLine(ev)} solved ${ev.challenge || `challenge ${ev.challenge_id}`}`);
    toasts.append(item);
    while (toasts.children.length > 3) toasts.firstElementChild.remove();
    setTimeout(() => item.remove(), TOAST_MS);
  };
  // Dynamic scoring: earlier solvers' scores fell; the frame does not say.
  const standings = new StandingsRefresher({ model, fetch: api.scoreboard });
  const teardown = () => {
    standings.stop();
    clearInterval(clockTimer);
    clearInterval(chartTimer);
    watcher.stop();
    window.removeEventListener('resize', draw);
    chart.destroy();
  };
  const stream = new ScoreStream({
    model,
    initialUrl: info.websocket_url,
    getUrl: async () => (await api.board()).websocket_url,
    onState: (s) => {
      conn.hidden = s !== 'reconnecting';
    },
    onEvents: (events) => {
      standings.onEvents(events);
      if (events.some((ev) => ev.type === 'clock')) watcher.refresh();
      for (const ev of firstBloods(events)) toast(ev);
    },
    onSnapshot: (first) => {
      // The unfreeze sends a fresh snapshot: the clock changed too.
      if (!first) watcher.refresh();
    },
    // After a reset a public board simply starts again; a private one
    // finds its session gone and asks for a login.
    onReset: () => {
      teardown();
      startBoard(root);
    },
    onUnauthorized: () => {
      teardown();
      startBoard(root);
    },
  });
  stream.start();
}

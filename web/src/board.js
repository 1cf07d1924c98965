// The projector view at /board: full screen, large type, no navigation.
// With a public scoreboard it needs no login; otherwise it asks for one.

import { api } from './api.js';
import { h, replace, formatClock } from './dom.js';
import { renderLogin, bannerImage } from './login.js';
import { Scoreboard } from './model.js';
import { ScoreStream } from './stream.js';
import { ScoreChart } from './scorechart.js';
import { rankTable, recentList, throttled } from './scoreboard.js';

const RETRY_MS = 3000;

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
  runBoard(root, info);
}

function runBoard(root, info) {
  const model = new Scoreboard();
  const conn = h('p', { class: 'conn', role: 'status', hidden: true, text: 'Reconnecting…' });
  const clock = h('span', { class: 'clock' });
  const tableBox = h('div', { class: 'board-table' });
  const recentBox = h('div', { class: 'board-recent' });
  const canvas = h('canvas', { role: 'img', 'aria-label': 'Score over time of the top 10 players' });
  replace(root, h('main', { class: 'board' },
    h('header', { class: 'board-head' },
      bannerImage('board-banner'),
      h('h1', { text: 'Scoreboard' }),
      conn,
      clock),
    h('div', { class: 'board-grid' },
      h('section', { class: 'panel', 'aria-label': 'Ranking' }, tableBox),
      h('div', { class: 'board-side' },
        h('section', { class: 'panel board-chart', 'aria-label': 'Score over time' }, h('div', { class: 'chart-box' }, canvas)),
        h('section', { class: 'panel', 'aria-label': 'Latest events' }, h('h2', { text: 'Latest' }), recentBox)))));
  const chart = new ScoreChart(canvas, model, { large: true });
  const draw = () => {
    const rows = Math.max(5, Math.floor((window.innerHeight - 200) / 56));
    replace(tableBox, model.players.size
      ? rankTable(model, { limit: rows })
      : h('p', { class: 'empty', text: model.ready ? 'No scores yet.' : 'Connecting…' }));
    replace(recentBox, recentList(model, 6));
    chart.update();
  };
  const tick = () => {
    clock.textContent = formatClock(Date.now());
  };
  tick();
  const clockTimer = setInterval(tick, 10_000);
  const chartTimer = setInterval(() => chart.update(), 30_000);
  model.subscribe(throttled(draw, () => (model.players.size > 1000 ? 1000 : 250)));
  window.addEventListener('resize', draw);
  draw();
  const teardown = () => {
    clearInterval(clockTimer);
    clearInterval(chartTimer);
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

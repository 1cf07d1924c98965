// The scoreboard: a ranked table of every player and the leaders' chart,
// both following the live model.

import { h, replace, formatPoints, formatClock } from './dom.js';
import { ScoreChart, chartTableToggle } from './scorechart.js';
import { href } from './routes.js';
import { byLine } from './team.js';

/**
 * rankTable renders the ranked players; limit cuts the list (board);
 * link(p), when given, makes each name a link to where it returns.
 */
export function rankTable(model, {
  meId = null, limit = Infinity, caption = 'Scoreboard', you = ' (you)', link = null,
} = {}) {
  const rows = model.ranked().slice(0, limit).map((p) => h('tr', {
    class: p.player_id === meId ? 'me' : null, 'data-player-id': p.player_id,
  },
  h('td', { class: 'rank', text: String(p.rank) }),
  h('td', { class: 'name' },
    link ? h('a', { href: link(p), text: p.displayname || `#${p.player_id}` }) : p.displayname || `#${p.player_id}`,
    p.player_id === meId ? h('span', { class: 'you', text: you }) : null),
  h('td', { class: 'num score', text: String(p.score) }),
  h('td', { class: 'num', text: String(p.solves) })));
  return h('table', { class: 'ranking' },
    h('caption', { class: 'sr-only', text: caption }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Rank' }),
      h('th', { scope: 'col', text: 'Name' }),
      h('th', { scope: 'col', class: 'num', text: 'Score' }),
      h('th', { scope: 'col', class: 'num', text: 'Solves' }))),
    h('tbody', {}, rows));
}

const BLOOD_NOTES = { 1: 'first blood', 2: 'second solver', 3: 'third solver' };

/**
 * describeEvent renders a live event as one line of text; a team's names
 * the member who made it: "Bob (Crypto Cats) solved …".
 */
export function describeEvent(ev) {
  const who = byLine(ev);
  if (ev.type === 'score') {
    const blood = BLOOD_NOTES[ev.first_blood];
    return `${who} solved ${ev.challenge || `challenge ${ev.challenge_id}`} (+${formatPoints(ev.points)}${blood ? `, ${blood}` : ''})`;
  }
  if (ev.type === 'hint') return `${who} bought a hint for ${ev.challenge || `challenge ${ev.challenge_id}`}`;
  return who;
}

export function recentList(model, n) {
  const items = model.recent.slice(-n).reverse().map((ev) => h('li', {},
    h('time', { text: formatClock(ev.ts || Date.now()) }), ' ', describeEvent(ev)));
  return h('ol', { class: 'recent' }, items);
}

/**
 * throttled calls fn at most every interval() ms (chosen by fn's
 * cost: a big table redraws less often), on an animation frame.
 */
export function throttled(fn, interval) {
  let last = 0;
  let timer = null;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + interval() - Date.now());
    timer = setTimeout(() => requestAnimationFrame(() => {
      timer = null;
      last = Date.now();
      fn();
    }), wait);
  };
}

/**
 * frozenNote is the "Scoreboard frozen" notice: since when, and the
 * player's true score against the board's when they differ.
 */
export function frozenNote(freezeTs, mine) {
  const since = freezeTs ? ` since ${formatClock(freezeTs)}` : '';
  const parts = [h('strong', { text: 'Scoreboard frozen' }),
    `${since}: solves made from then on are revealed when it is unfrozen.`];
  if (mine && mine.board !== null && mine.board !== undefined && mine.board !== mine.total) {
    parts.push(` Your score is ${formatPoints(mine.total)}; the board shows ${formatPoints(mine.board)}.`);
  }
  return parts;
}

/**
 * showScoreboard renders the scoreboard view; it returns {destroy}.
 * opts.mine() → {total, board}: the player's true and frozen-board score;
 * opts.freezeTime() → when the freeze began (Unix ms) or null.
 */
export function showScoreboard(el, model, meId, opts = {}) {
  const tableBox = h('div', { class: 'table-box' });
  const canvas = h('canvas', { role: 'img', 'aria-label': 'Score over time of the top 10 players' });
  const status = h('p', { class: 'muted live-note' });
  const { toggle, box: chartTableBox, draw: drawTable } = chartTableToggle({ id: 'chart-table', series: () => chart.series });
  // Present from the start (empty), so that screen readers hear it fill.
  const frozen = h('div', { class: 'frozen-note', role: 'status' });
  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'Scoreboard' }), status),
    frozen,
    h('section', { class: 'panel chart-panel', 'aria-label': 'Score over time' },
      h('div', { class: 'chart-head' }, h('h2', { text: 'Top 10 over time' }), toggle),
      h('div', { class: 'chart-box' }, canvas),
      chartTableBox),
    h('section', { class: 'panel', 'aria-label': 'Ranking' }, tableBox));
  const chart = new ScoreChart(canvas, model);
  const draw = () => {
    const n = model.players.size;
    status.textContent = model.ready ? `${n} player${n === 1 ? '' : 's'} · ${model.frozen ? 'frozen' : 'live'}` : 'Connecting to the live scoreboard…';
    // Redrawn only when its words change: a live region speaks each time.
    const note = model.frozen ? h('p', { class: 'notice' }, frozenNote(opts.freezeTime ? opts.freezeTime() : null, opts.mine ? opts.mine() : null)) : null;
    if (!note) frozen.replaceChildren();
    else if (frozen.textContent !== note.textContent) replace(frozen, note);
    replace(tableBox, n ? rankTable(model, {
      meId, you: opts.teams ? ' (your team)' : ' (you)', link: (p) => href.page(p.player_id, opts.teams),
    }) : h('p', { class: 'empty', text: model.ready ? 'No scores yet.' : 'Loading…' }));
    chart.update();
    drawTable();
  };
  draw();
  const schedule = throttled(draw, () => (model.players.size > 1000 ? 1000 : 250));
  const unsubscribe = model.subscribe(schedule);
  // The lines run up to "now": move them along even when nothing happens.
  const tick = setInterval(() => chart.update(), 30_000);
  return {
    destroy() {
      unsubscribe();
      clearInterval(tick);
      chart.destroy();
    },
  };
}

// A player's page (#player/<id>) and a team's (#team/<id>), reached from
// the scoreboard: the name, rank and score, the score over time (a chart
// with its table alternative), the solves with their first-blood marks
// and, for a team, who made each one and its members. Everything comes
// from GET /api/players/{id}, the public board's: during a freeze it
// shows what the scoreboard shows, nothing of the player's own score. It
// is fetched again when the live board changes.

import { api } from './api.js';
import { h, replace, formatPoints, formatClock } from './dom.js';
import { ScoreChart, chartTableToggle } from './scorechart.js';
import { frozenNote } from './scoreboard.js';
import { href } from './routes.js';
import {
  bloodLabel, onBoardChange, pageName, profileSeries, solvedBy, sortSolves,
} from './pages.js';
import { Refetcher } from './refetch.js';

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** timeCell is a solve's time, to the second. */
function timeOf(ts) {
  return h('time', { datetime: new Date(ts).toISOString(), text: formatClock(ts, true) });
}

/** bloodMark is a first-blood place as a badge (its words are its name), or null. */
export function bloodMark(place) {
  const label = bloodLabel(place);
  return label ? h('span', { class: `blood-mark place-${place}`, text: label }) : null;
}

/**
 * showProfile renders the page of route ({name: 'player'|'teamPage', id})
 * into el; it returns {destroy}. ctx: model (the live Scoreboard), meId
 * (who stands for the viewer on the board: their team in team mode),
 * playerId (the viewer's own id), freezeTime() → when the freeze began.
 */
export function showProfile(el, route, ctx) {
  const what = route.name === 'teamPage' ? 'team' : 'player';
  let page = null; // the last reply shown
  let last = ''; // its JSON: an unchanged reply draws nothing
  let parts = null; // the drawn page's parts, filled again on a change
  let chart = null;
  let gone = false;
  let asked = 0; // bumps on every fetch: only the newest reply counts

  replace(el, h('p', { class: 'muted', role: 'status', text: `Loading the ${what}'s page…` }));
  const refetch = new Refetcher({ run: () => load() });
  const unsubscribe = onBoardChange(ctx.model, () => refetch.trigger());
  load();

  return {
    destroy() {
      gone = true;
      unsubscribe();
      refetch.stop();
      if (chart) chart.destroy();
      chart = null;
    },
  };

  async function load() {
    const n = ++asked;
    let reply;
    try {
      reply = await api.player(route.id);
    } catch (err) {
      if (gone || n !== asked || err.status === 401) return;
      if (err.status === 404) notFound();
      else if (!page) failed(err);
      // A page already shown stays: the next change of the board asks again.
      return;
    }
    if (gone || n !== asked || !reply || typeof reply.player_id !== 'number') return;
    // The freeze note follows the board too, when the reply does not change.
    const text = `${ctx.model.frozen ? 'frozen' : 'live'} ${JSON.stringify(reply)}`;
    if (text === last && parts) return;
    last = text;
    page = reply;
    if (!parts) build();
    fill();
  }

  /** focusHeading moves the keyboard to the page's heading, unless the player went elsewhere. */
  function focusHeading(heading) {
    const active = document.activeElement;
    if (!active || active === document.body || active === el || !active.isConnected) heading.focus({ preventScroll: true });
  }

  function notFound() {
    drop();
    const heading = h('h1', { tabindex: -1, text: `No such ${what}` });
    document.title = `No such ${what} · ctfg`;
    replace(el, h('div', { class: 'panel' },
      heading,
      h('p', { text: `No ${what} with this number is on the scoreboard.` }),
      h('p', {}, h('a', { href: href.scoreboard(), text: 'Go to the scoreboard' }))));
    focusHeading(heading);
  }

  function failed(err) {
    drop();
    replace(el, h('div', { class: 'panel' },
      h('p', { class: 'form-error', role: 'alert', text: err.status === 0
        ? 'Cannot reach the server. Check your connection and try again.'
        : `Could not load this ${what}'s page (${err.code}).` }),
      h('button', { type: 'button', class: 'secondary', text: 'Try again', onClick: () => load() })));
  }

  /** drop forgets a drawn page (it is about to be replaced). */
  function drop() {
    if (chart) chart.destroy();
    chart = null;
    parts = null;
    page = null;
    last = '';
  }

  /** teamName is the name of a member's team, as the board has it. */
  function teamName(id) {
    const t = ctx.model.players.get(id);
    return t && t.displayname ? t.displayname : `Team #${id}`;
  }

  /** label names the line of the chart: the team's for a member (their team scores). */
  function label() {
    if (!page.team && typeof page.team_id === 'number') return teamName(page.team_id);
    return pageName(page);
  }

  function build() {
    const heading = h('h1', { class: 'page-title', tabindex: -1 });
    const about = h('p', { class: 'page-about muted' });
    const stats = h('dl', { class: 'page-stats' });
    const frozen = h('div', { class: 'frozen-note', role: 'status' });
    const canvas = h('canvas', { role: 'img' });
    const table = chartTableToggle({
      id: 'page-chart-table', series: () => chart.series, caption: 'Score over time',
    });
    const solves = h('div', { class: 'table-box' });
    const solvesTitle = h('h2', { id: 'page-solves-title', text: 'Solves' });
    const members = h('section', { class: 'panel page-members', 'aria-labelledby': 'page-members-title', hidden: true });
    replace(el,
      h('div', { class: 'page-head profile-head' }, h('div', {}, heading, about), stats),
      frozen,
      members,
      h('section', { class: 'panel chart-panel', 'aria-labelledby': 'page-chart-title' },
        h('div', { class: 'chart-head' }, h('h2', { id: 'page-chart-title', text: 'Score over time' }), table.toggle),
        h('div', { class: 'chart-box' }, canvas),
        table.box),
      h('section', { class: 'panel page-solves', 'aria-labelledby': 'page-solves-title' }, solvesTitle, solves));
    parts = { heading, about, stats, frozen, canvas, table, solves, solvesTitle, members };
    chart = new ScoreChart(canvas, { chartSeries: () => profileSeries(page, label()) });
    focusHeading(heading);
  }

  function fill() {
    const p = page;
    const name = pageName(p);
    const teamPage = p.team === true;
    const member = !teamPage && typeof p.team_id === 'number';
    const mine = p.player_id === ctx.meId || p.player_id === ctx.playerId;
    document.title = `${name} · ctfg`;
    replace(parts.heading, name, mine ? h('span', { class: 'you', text: teamPage ? ' (your team)' : ' (you)' }) : null);

    // Who they are: a team and its size, a member and their team.
    const members = Array.isArray(p.members) ? p.members : [];
    if (teamPage) replace(parts.about, `Team · ${plural(members.length, 'member')}`);
    else if (member) replace(parts.about, 'Plays in ', h('a', { href: href.teamPage(p.team_id), text: teamName(p.team_id) }), ' (the team scores)');
    else parts.about.replaceChildren();
    parts.about.hidden = !parts.about.textContent;

    // A member's rank and score are their team's.
    const whose = member ? 'Team rank' : 'Rank';
    replace(parts.stats,
      h('div', {}, h('dt', { text: whose }), h('dd', { text: typeof p.rank === 'number' ? String(p.rank) : 'not ranked' })),
      h('div', {}, h('dt', { text: member ? 'Team score' : 'Score' }), h('dd', { text: formatPoints(p.score) })),
      h('div', {}, h('dt', { text: member ? 'Solves for the team' : 'Solves' }), h('dd', { text: String((p.solves || []).length) })));

    // Redrawn only when its words change: a live region speaks each time.
    const note = ctx.model.frozen ? h('p', { class: 'notice' }, frozenNote(ctx.freezeTime ? ctx.freezeTime() : null, null)) : null;
    if (!note) parts.frozen.replaceChildren();
    else if (parts.frozen.textContent !== note.textContent) replace(parts.frozen, note);

    parts.canvas.setAttribute('aria-label', `Score over time of ${label()}`);
    chart.update();
    parts.table.draw();

    keepFocusOf(parts.solves, () => replace(parts.solves, solvesTable(p, name, teamPage)));
    parts.members.hidden = !teamPage;
    if (teamPage) {
      keepFocusOf(parts.members, () => replace(parts.members,
        h('h2', { id: 'page-members-title', text: `Members (${members.length})` }),
        members.length
          ? h('ul', { class: 'members' }, members.map((m) => h('li', { class: m.player_id === ctx.playerId ? 'me' : null },
            h('a', { href: href.player(m.player_id), text: m.displayname || `Player #${m.player_id}` }),
            m.player_id === ctx.playerId ? h('span', { class: 'you', text: ' (you)' }) : null)))
          : h('p', { class: 'muted', text: 'Nobody is in this team now.' })));
    }
  }

  function solvesTable(p, name, teamPage) {
    const list = sortSolves(p.solves);
    if (!list.length) return h('p', { class: 'empty', text: 'No solves yet.' });
    return h('table', { class: 'data-table solves-table' },
      h('caption', { class: 'sr-only', text: `Solves of ${name}` }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Challenge' }),
        h('th', { scope: 'col', class: 'num', text: 'Points' }),
        h('th', { scope: 'col', text: 'Solved at' }),
        teamPage ? h('th', { scope: 'col', text: 'By' }) : null)),
      h('tbody', {}, list.map((s) => {
        const by = teamPage ? solvedBy(s, p.members) : null;
        return h('tr', { 'data-challenge-id': s.challenge_id },
          h('th', { scope: 'row', class: 'name' },
            h('a', { href: href.challenge(s.challenge_id), text: s.challenge || `Challenge ${s.challenge_id}` }),
            s.first_blood ? ' ' : null, bloodMark(s.first_blood)),
          h('td', { class: 'num', text: String(s.points) }),
          h('td', {}, timeOf(s.ts)),
          teamPage ? h('td', { class: 'by' }, byCell(by)) : null);
      })));
  }
}

/** byCell names who made a team's solve: a link to their page, or a former member. */
function byCell(by) {
  if (!by) return '–';
  if (by.name === null) return h('a', { href: href.player(by.id), text: 'a former member' });
  return h('a', { href: href.player(by.id), text: by.name });
}

/**
 * keepFocusOf redraws a part of the page with draw() and gives the focus
 * back to the same link (by its href) when it was inside.
 */
function keepFocusOf(box, draw) {
  const active = document.activeElement;
  const target = active && box.contains(active) ? active.getAttribute('href') : null;
  draw();
  if (target) {
    const again = [...box.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === target);
    if (again) again.focus();
  }
}

// The player's app: login, display name, then the hash-routed views
// (routes.js: #challenges, #challenge/<id>, #scoreboard, #announcements,
// #team, and the pages #player/<id> and #team/<id>) under a
// header that shows the live score and the game clock. A reload lands on
// the same view: the session is a cookie and /api/me tells who we are.
//
// The clock (clock.js) counts in the server's time; its changes (start,
// pause, end, freeze, releases) arrive as "clock" and "release" frames or
// at the times it announced, and the app refetches what they change
// without a reload.

import { api, onUnauthorized } from './api.js';
import { h, replace, formatPoints, formatClock } from './dom.js';
import { renderLogin, renderNameDialog } from './login.js';
import { renderChallengeList, renderChallengeDetail } from './challenges.js';
import { showScoreboard } from './scoreboard.js';
import { Scoreboard } from './model.js';
import { ScoreStream, backoffDelay } from './stream.js';
import { ClockWatcher, describe, formatDuration, gate, phase } from './clock.js';
import { Banners, announcementSpeech, markSeen, renderAnnouncementList, seenTs } from './announce.js';
import { announce, liveRegions, watchRank } from './live.js';
import { StandingsRefresher } from './standings.js';
import { NO_TEAM_REASON, boardId, renderTeamView, teamMode } from './team.js';
import { historyDepth, isPage, parseRoute } from './routes.js';
import { showProfile } from './profile.js';

const TICK_MS = 1000;
// Every browser hears a "clock" or "release" frame at the same moment;
// spreading their refetches over a second spares the server a spike.
const SPREAD_MS = 1000;
const spread = (fn) => setTimeout(fn, Math.random() * SPREAD_MS);

/** stateNotice is the sentence of the header's status line for a phase. */
export function stateNotice(p, c) {
  switch (p) {
    case 'before':
      return c && c.start !== null ? `The game starts at ${formatClock(c.start)}.` : 'The game has not started yet.';
    case 'starting':
      return 'The game is starting…';
    case 'paused':
      return 'The game is paused: flags and hints are not accepted until the organizers resume it.';
    case 'ended':
      return c && c.practice
        ? 'The game has ended. Practice mode: you can still submit flags, but solves are not scored.'
        : 'The game has ended: flags are no longer accepted.';
    default:
      return '';
  }
}

export function startApp(root) {
  const s = {
    me: null, // /api/me reply, kept current
    total: 0, // the player's true score
    challenges: null, // last /api/challenges reply
    model: new Scoreboard(),
    stream: null,
    view: null, // {destroy} of the current view
    seq: 0, // bumps on every route change; stale async renders check it
    shell: null,
    prevRoute: null, // the route before the current one, when inside the app
    clock: null, // ClockWatcher
    phase: null, // the phase last shown
    gateHooks: new Set(), // the current view's listeners for phase changes
    solveHooks: new Set(), // the current view's listeners for solves on the board: fn(challenge ids, or null for any)
    banners: null,
    bannerChecked: false, // the snapshot's newest announcement was considered
    missing: false, // the detail view shows "not available"
    unwatchRank: null, // stops the "you moved to rank N" notices
    lastOpened: null, // the challenge last opened: its card gets the focus back
    lastPage: null, // the hash of the player's or team's page last opened: its link gets the focus back
    depth: null, // how many of the app's history entries lie behind this one (routes.js)
  };

  // Dynamic scoring: refetch the scoreboard after value frames.
  s.standings = new StandingsRefresher({ model: s.model, fetch: api.scoreboard, onLoaded: boardChanged });
  liveRegions();

  s.clock = new ClockWatcher({ fetch: api.clock, onChange: onClock });
  s.clock.refresh();
  setInterval(tick, TICK_MS);

  onUnauthorized(() => loggedOut('Your session has ended. Please log in again.'));
  noteDepth();
  window.addEventListener('hashchange', (ev) => {
    noteDepth();
    if (s.shell) {
      s.prevRoute = parseRoute(new URL(ev.oldURL).hash).name;
      route();
    }
  });
  // A sleeping laptop or a throttled tab may have missed a boundary.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') s.clock.refresh();
  });
  boot(0);

  /** noteDepth keeps the history entry's depth in history.state (routes.js, historyDepth). */
  function noteDepth() {
    const d = historyDepth(history.state, s.depth);
    if (!history.state || history.state.ctfgDepth !== d) history.replaceState({ ...(history.state || {}), ctfgDepth: d }, '');
    s.depth = d;
  }

  function serverNow() {
    return s.clock.serverNow();
  }

  function currentGate() {
    const g = s.clock.clock ? gate(s.clock.clock, serverNow()) : { open: true, practice: false, reason: null };
    // In team mode a player without a team cannot solve (403 no_team).
    if (g.open && needsTeam()) return { open: false, practice: false, reason: NO_TEAM_REASON };
    return g;
  }

  /** myId is who stands for the player on the board: their team in team mode. */
  function myId() {
    return boardId(s.me);
  }

  function needsTeam() {
    return teamMode(s.me) && myId() === null;
  }

  /** tick redraws the countdowns and notices a boundary we crossed. */
  function tick() {
    const c = s.clock.clock;
    if (!c) return;
    const t = serverNow();
    const d = describe(c, t);
    for (const el of document.querySelectorAll('[data-clock-text]')) {
      if (el.textContent !== d.text) el.textContent = d.text;
    }
    const left = c.start !== null ? formatDuration(c.start - t) : '';
    for (const el of document.querySelectorAll('[data-countdown]')) {
      if (el.textContent !== left) el.textContent = left;
    }
    const p = phase(c, t);
    if (p !== s.phase) applyPhase(p);
  }

  /**
   * applyPhase shows a new phase: status line, clock chip, flag forms.
   * The list follows only changes the server confirmed (onClock).
   */
  function applyPhase(p) {
    s.phase = p;
    const c = s.clock.clock;
    if (s.shell) {
      const text = stateNotice(p, c);
      if (s.shell.state.textContent !== text) s.shell.state.textContent = text;
      s.shell.state.className = `game-state ${p}`;
      s.shell.chip.className = `clock-chip ${p}`;
    }
    if (p === 'starting') s.clock.refresh();
    for (const fn of s.gateHooks) fn();
  }

  function onClock(c, prev) {
    s.model.setFrozen(c.frozen);
    updatePoints();
    if (prev && (prev.state !== c.state || prev.nextRelease !== c.nextRelease)) refreshChallenges();
    // A first answer may turn an empty list into the countdown.
    if (!prev && s.shell && currentRoute().name === 'challenges' && s.challenges) showList();
    tick();
    const p = phase(c, serverNow());
    if (p !== s.phase) applyPhase(p);
    else for (const fn of s.gateHooks) fn();
  }

  async function boot(attempt) {
    replace(root, h('main', { class: 'center-page' },
      h('p', { class: 'muted', role: 'status', text: attempt ? 'Cannot reach the server. Retrying…' : 'Loading…' })));
    let me;
    try {
      me = await api.me();
    } catch (err) {
      if (err.status === 401) {
        showLogin('');
        return;
      }
      setTimeout(() => boot(attempt + 1), backoffDelay(attempt));
      return;
    }
    enter(me, me.websocket_url);
  }

  function showLogin(notice) {
    renderLogin(root, {
      notice,
      // Before the start the login page counts down too.
      extra: h('p', { class: 'muted login-clock', 'data-clock-text': '' }),
      onSuccess: async (reply) => {
        const me = await api.me();
        enter(me, reply.websocket_url || me.websocket_url);
      },
    });
  }

  function enter(me, wsUrl) {
    s.me = me;
    s.total = typeof me.total === 'number' ? me.total : 0;
    if (me.needs_name) {
      renderNameDialog(root, {
        onDone: (name) => {
          s.me = { ...s.me, displayname: name, needs_name: false };
          enter(s.me, null);
        },
        onLogout: logout,
      });
      return;
    }
    startStream(wsUrl);
    s.unwatchRank = watchRank(s.model, myId, announce, () => (teamMode(s.me) ? 'Your team' : 'You'));
    renderShell();
    route();
    // Out of the login form or the name dialog: the keyboard goes on in the app.
    s.shell.view.focus({ preventScroll: true });
  }

  function startStream(initialUrl) {
    let wasDown = false;
    s.stream = new ScoreStream({
      model: s.model,
      initialUrl,
      getUrl: async () => {
        const me = await api.me();
        s.me = { ...s.me, ...me };
        if (s.shell) s.shell.name.textContent = me.displayname || me.username;
        updateTeam();
        return me.websocket_url;
      },
      onState: (state) => {
        if (s.shell) s.shell.conn.hidden = state !== 'reconnecting';
        // Frames may have been missed while the socket was down.
        if (state === 'live' && wasDown) s.clock.refresh();
        wasDown = state === 'reconnecting';
      },
      onReset: () => loggedOut('The game was reset. Please log in again.'),
      onUnauthorized: () => loggedOut('Your session has ended. Please log in again.'),
      onEvents: onLiveEvents,
      onSnapshot,
    });
    s.stream.start();
  }

  function onSnapshot(first) {
    for (const fn of s.solveHooks) fn(null);
    // An unfrozen board holds the true score; a frozen one only the
    // board's (the header shows both then).
    boardChanged();
    updateAnnouncementNav();
    if (!s.bannerChecked) {
      // A player arriving after an announcement sees the newest one once.
      s.bannerChecked = true;
      const list = s.model.announcements;
      const newest = list[list.length - 1];
      if (newest && newest.ts > seenTs() && s.banners) s.banners.show(newest);
    }
    if (!first) {
      // A later snapshot (the unfreeze, a resume too old): solves made
      // during the freeze are on the board now, and the clock moved.
      spread(refreshChallenges);
      spread(() => s.clock.refresh());
    }
    if (currentRoute().name === 'announcements') showAnnouncements(false);
  }

  /** boardChanged takes the player's (team's) score from an unfrozen board. */
  function boardChanged() {
    if (!s.me) return;
    const id = myId();
    if (!s.model.frozen && id !== null) {
      const score = s.model.score(id);
      if (score !== null) s.total = score;
    }
    updatePoints();
  }

  function onLiveEvents(events) {
    s.standings.onEvents(events);
    noteValues(events);
    let clock = false;
    let release = false;
    const news = [];
    for (const ev of events) {
      if (ev.type === 'clock') clock = true;
      else if (ev.type === 'release') release = true;
      else if (ev.type === 'announcement') news.push(ev);
    }
    if (clock || release) spread(() => s.clock.refresh());
    const solvedIds = new Set(events.filter((ev) => ev.type === 'score').map((ev) => ev.challenge_id));
    if (solvedIds.size) for (const fn of s.solveHooks) fn(solvedIds);
    if (release) spread(refreshChallenges);
    if (news.length) {
      // The list, when open, shows it already; elsewhere a banner does.
      // (The banners are a live region; the list is not: say them.)
      if (currentRoute().name === 'announcements') {
        showAnnouncements(false);
        for (const a of news) announce(announcementSpeech(a, challengeTitle));
      } else if (s.banners) for (const a of news) s.banners.show(a);
      updateAnnouncementNav();
    }
    const id = myId();
    const mine = id === null ? [] : events.filter((ev) => ev.player_id === id);
    if (!mine.length) return;
    boardChanged();
    // A teammate's solve or hint is the team's: fetch the list again, so
    // that it shows as solved (or the hint as bought) here too.
    const byMates = mine.filter((ev) => typeof ev.by === 'number' && ev.by !== s.me.player_id);
    if (byMates.length) {
      teammatesActed(new Set(byMates.map((ev) => ev.challenge_id)));
      return;
    }
    const solved = mine.filter((ev) => ev.type === 'score');
    if (!solved.length) return;
    // A solve elsewhere (another tab, a judge's award) may unlock challenges.
    const newly = new Set();
    for (const ev of solved) {
      const ch = s.challenges && s.challenges.find((c) => c.id === ev.challenge_id);
      if (ch && !ch.solved) {
        ch.solved = true;
        newly.add(ch.id);
      }
    }
    const r = currentRoute();
    if (r.name === 'challenges') refreshChallenges();
    else if (r.name === 'challenge' && newly.has(r.id)) route();
  }

  /** teammatesActed refetches the challenges and redraws what shows them. */
  function teammatesActed(ids) {
    if (!s.shell) return;
    const seq = s.seq;
    loadChallenges(true).then(() => {
      if (seq !== s.seq || !s.shell) return;
      const r = currentRoute();
      if (r.name === 'challenges') showList();
      else if (r.name === 'challenge' && ids.has(r.id)) route();
    }, () => {});
  }

  /** noteValues keeps the cached list's values current under dynamic scoring. */
  function noteValues(events) {
    let changed = false;
    for (const ev of events) {
      if (ev.type !== 'score' || typeof ev.value !== 'number' || !s.challenges) continue;
      const ch = s.challenges.find((c) => c.id === ev.challenge_id);
      if (ch && !s.model.frozen && ch.points !== ev.value) {
        ch.points = ev.value;
        changed = true;
      }
    }
    if (changed && s.shell && currentRoute().name === 'challenges') showList();
  }

  function setTotal(n) {
    s.total = n;
    updatePoints();
  }

  /**
   * boardScore is the player's score on the frozen board, or null when
   * the board is not frozen (it then shows the true score).
   */
  function boardScore() {
    if (!s.model.frozen || !s.me) return null;
    const id = myId();
    const sc = id === null ? null : s.model.score(id);
    if (sc !== null) return sc;
    return typeof s.me.board_total === 'number' ? s.me.board_total : null;
  }

  function updatePoints() {
    if (!s.shell) return;
    const text = formatPoints(s.total);
    if (s.shell.points.textContent !== text) s.shell.points.textContent = text;
    const b = boardScore();
    const show = b !== null && b !== s.total;
    s.shell.boardPoints.hidden = !show;
    s.shell.boardPoints.textContent = show ? `${formatPoints(b)} on the frozen board` : '';
  }

  function unseenCount() {
    const seen = seenTs();
    return s.model.announcements.filter((a) => a.ts > seen).length;
  }

  function updateAnnouncementNav() {
    if (!s.shell) return;
    const n = currentRoute().name === 'announcements' ? 0 : unseenCount();
    s.shell.annCount.hidden = n === 0;
    // The badge shows the number; the button's name says "Announcements 2 new".
    if (n) s.shell.annCount.replaceChildren(String(n), h('span', { class: 'sr-only', text: ' new' }));
    else s.shell.annCount.replaceChildren();
  }

  /**
   * refreshChallenges refetches the list quietly and redraws what shows
   * it: the list in place (focus kept), a "not available" detail.
   */
  function refreshChallenges() {
    if (!s.shell) return Promise.resolve();
    const seq = s.seq;
    return loadChallenges(true).then(() => {
      if (seq !== s.seq || !s.shell) return;
      const r = currentRoute();
      if (r.name === 'challenges') showList();
      else if (r.name === 'challenge' && s.missing && s.challenges.some((c) => c.id === r.id)) route();
    }, () => {});
  }

  /** showList draws the cached list, keeping the keyboard focus on its card. */
  function showList() {
    const el = s.shell.view;
    const focused = el.contains(document.activeElement) && document.activeElement.closest('[data-challenge-id]');
    const id = focused ? focused.dataset.challengeId : null;
    renderChallengeList(el, s.challenges, { meId: myId(), waiting: waitingPanel(), notice: noTeamNotice() });
    if (id) {
      const card = el.querySelector(`[data-challenge-id="${CSS.escape(id)}"]`);
      if (card) card.focus();
    }
  }

  /** noTeamNotice tells a player without a team (team mode) where to get one. */
  function noTeamNotice() {
    if (!needsTeam()) return null;
    return h('div', { class: 'panel notice-panel no-team' },
      h('p', {}, h('strong', { text: 'You are not in a team yet. ' }),
        'Solving challenges needs a team: ',
        h('a', { href: '#team', text: 'make one or join one on the Team page' }), '.'));
  }

  /**
   * keepFocus puts the keyboard focus back in the view when what had it
   * was redrawn away (a card opened with Enter, a Back button): on the
   * card of the challenge just left, else on the view itself.
   */
  function keepFocus() {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const el = s.shell.view;
    const card = s.lastOpened !== null && el.querySelector(`[data-challenge-id="${s.lastOpened}"]`);
    const link = s.lastPage !== null && [...el.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === s.lastPage);
    if (card) card.focus();
    else if (link) link.focus();
    else el.focus({ preventScroll: true });
  }

  /** waitingPanel is the countdown shown instead of an empty list before the start. */
  function waitingPanel() {
    const c = s.clock.clock;
    const p = c ? phase(c, serverNow()) : null;
    if (p !== 'before' && p !== 'starting') return null;
    const startKnown = c.start !== null;
    return h('section', { class: 'panel countdown-panel', 'aria-labelledby': 'countdown-title' },
      h('h2', { id: 'countdown-title', text: startKnown ? 'The game starts in' : 'The game has not started yet' }),
      startKnown ? h('p', { class: 'countdown', role: 'timer', 'aria-atomic': 'true', 'data-countdown': '', text: formatDuration(c.start - serverNow()) }) : null,
      h('p', { class: 'muted', text: startKnown
        ? `at ${formatClock(c.start)}. The challenges appear here by themselves: no need to reload.`
        : 'The challenges appear here as soon as the organizers start it.' }));
  }

  function showAnnouncements(fetchAll) {
    const el = s.shell.view;
    const draw = () => {
      renderAnnouncementList(el, s.model.announcements, { challengeTitle });
      const list = s.model.announcements;
      if (list.length) markSeen(list[list.length - 1].ts);
      updateAnnouncementNav();
    };
    draw();
    if (!fetchAll) return;
    // The snapshot holds only the latest; the list shows every one.
    const seq = s.seq;
    api.announcements().then((reply) => {
      if (seq !== s.seq) return;
      s.model.mergeAnnouncements(reply && reply.announcements);
      draw();
    }, () => {});
  }

  function challengeTitle(id) {
    const ch = s.challenges && s.challenges.find((c) => c.id === id);
    return ch ? ch.title : null;
  }

  async function logout() {
    try {
      await api.logout();
    } catch {
      /* the session may already be gone */
    }
    loggedOut('You are logged out.');
  }

  function loggedOut(notice) {
    if (!s.me && !s.shell) {
      showLogin(notice);
      return;
    }
    if (s.stream) s.stream.stop();
    s.stream = null;
    if (s.unwatchRank) s.unwatchRank();
    s.unwatchRank = null;
    if (s.view) s.view.destroy();
    s.view = null;
    s.gateHooks.clear();
    s.solveHooks.clear();
    s.banners = null;
    s.bannerChecked = false;
    s.model.clear();
    s.me = null;
    s.challenges = null;
    s.shell = null;
    s.standings.stop();
    s.standings = new StandingsRefresher({ model: s.model, fetch: api.scoreboard, onLoaded: boardChanged });
    s.seq++;
    showLogin(notice);
  }

  function renderShell() {
    const nav = (label, hash) => h('button', {
      type: 'button', class: 'nav', 'data-route': hash, text: label,
      onClick: () => {
        location.hash = `#${hash}`;
      },
    });
    const teams = teamMode(s.me);
    const points = h('span', { class: 'points', 'aria-live': 'polite', 'aria-label': teams ? 'Team score' : 'Your score', text: formatPoints(s.total) });
    // In team mode: the team's name (a link to the Team view).
    const team = teams ? h('a', { class: 'team-chip', href: '#team' }) : null;
    const boardPoints = h('span', { class: 'board-points muted', hidden: true });
    const name = h('span', { class: 'player-name', text: s.me.displayname || s.me.username });
    const conn = h('p', { class: 'conn', role: 'status', hidden: true, text: 'Reconnecting…' });
    // The countdown ticks every second: a timer, not read out each time;
    // the status line below says when the state itself changes.
    const chip = h('span', { class: 'clock-chip', role: 'timer', 'aria-label': 'Game clock', 'data-clock-text': '' });
    const state = h('p', { class: 'game-state', role: 'status' });
    const view = h('main', { class: 'view', id: 'view' });
    const annCount = h('span', { class: 'count', hidden: true });
    const annButton = nav('Announcements', 'announcements');
    annButton.append(' ', annCount);
    const navEl = h('nav', { class: 'nav-buttons', 'aria-label': 'Main' },
      nav('Challenges', 'challenges'), nav('Scoreboard', 'scoreboard'), teams ? nav('Team', 'team') : null, annButton);
    s.banners = new Banners({
      challengeTitle, listHref: '#announcements', focusAfter: () => view, onDismiss: updateAnnouncementNav,
    });
    view.setAttribute('tabindex', '-1');
    replace(root,
      h('header', { class: 'topbar' },
        h('a', { class: 'brand', href: '#challenges', text: 'ctfg' }),
        navEl,
        h('div', { class: 'who' }, chip, name, team, points, boardPoints,
          h('button', { type: 'button', class: 'ghost', text: 'Logout', onClick: logout }))),
      conn,
      state,
      s.banners.el,
      view);
    s.shell = { points, boardPoints, name, team, conn, view, nav: navEl, chip, state, annCount };
    updateTeam();
    if (s.stream) conn.hidden = s.stream.state !== 'reconnecting';
    s.phase = null;
    tick();
    updatePoints();
    updateAnnouncementNav();
  }

  /** updateTeam shows the team's name in the header (team mode). */
  function updateTeam() {
    const el = s.shell && s.shell.team;
    if (!el) return;
    const name = typeof s.me.team === 'string' && s.me.team !== '' ? s.me.team : null;
    el.classList.toggle('none', !name);
    if (name) el.replaceChildren(h('span', { class: 'sr-only', text: 'Team: ' }), name);
    else el.textContent = 'No team';
  }

  /** teamChanged follows a make, join or leave of the Team view. */
  function teamChanged(team) {
    const inTeam = team && typeof team.team_id === 'number';
    s.me = { ...s.me, team_id: inTeam ? team.team_id : null, team: inTeam ? team.team : null };
    // The team's solves and score are the player's now (or no more).
    s.challenges = null;
    s.total = 0;
    updateTeam();
    boardChanged();
    api.me().then((me) => {
      if (!s.me || !s.shell) return;
      s.me = { ...s.me, ...me };
      if (typeof me.total === 'number') s.total = me.total;
      updateTeam();
      boardChanged();
    }, () => {});
  }

  function currentRoute() {
    return parseRoute(location.hash);
  }

  function route() {
    if (!s.shell) return;
    if (s.view) s.view.destroy();
    s.view = null;
    const seq = ++s.seq;
    s.gateHooks.clear();
    s.solveHooks.clear();
    s.missing = false;
    let r = currentRoute();
    if (r.name === 'team' && !teamMode(s.me)) r = { name: 'challenges' };
    // A solve seen on the stream before the submit's reply redraws the
    // challenge under the player's flag field: the focus follows.
    const active = document.activeElement;
    const inFlagBox = !!(active && active.closest && active.closest('.flag-box'));
    for (const b of s.shell.nav.querySelectorAll('button')) {
      const active = b.dataset.route === r.name || (r.name === 'challenge' && b.dataset.route === 'challenges');
      if (active) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    const el = s.shell.view;
    updateAnnouncementNav();
    if (r.name === 'scoreboard') {
      document.title = 'Scoreboard · ctfg';
      s.view = showScoreboard(el, s.model, myId(), {
        teams: teamMode(s.me),
        mine: () => ({ total: s.total, board: boardScore() }),
        freezeTime: () => (s.clock.clock ? s.clock.clock.freeze : null),
      });
      keepFocus();
      return;
    }
    if (isPage(r)) {
      document.title = 'ctfg';
      s.lastPage = location.hash;
      s.view = showProfile(el, r, {
        model: s.model,
        meId: myId(),
        playerId: s.me.player_id,
        freezeTime: () => (s.clock.clock ? s.clock.clock.freeze : null),
      });
      // The page's heading takes the focus once it is loaded.
      keepFocus();
      window.scrollTo(0, 0);
      return;
    }
    if (r.name === 'team' && teamMode(s.me)) {
      document.title = 'Team · ctfg';
      renderTeamView(el, { meId: s.me.player_id, current: () => seq === s.seq, onChange: teamChanged });
      keepFocus();
      window.scrollTo(0, 0);
      return;
    }
    if (r.name === 'announcements') {
      document.title = 'Announcements · ctfg';
      showAnnouncements(true);
      keepFocus();
      window.scrollTo(0, 0);
      return;
    }
    if (r.name === 'challenges' && s.challenges) showList();
    else if (!s.challenges) replace(el, h('p', { class: 'muted', role: 'status', text: 'Loading challenges…' }));
    const loading = r.name === 'challenges'
      ? loadChallenges(true)
      // A challenge missing from the cached list may have unlocked since.
      : loadChallenges().then((list) => (list.some((c) => c.id === r.id) ? list : loadChallenges(true)));
    loading.then((list) => {
      if (seq !== s.seq) return;
      if (r.name === 'challenges') {
        document.title = 'Challenges · ctfg';
        showList();
        keepFocus();
        return;
      }
      const ch = list.find((c) => c.id === r.id);
      if (!ch) {
        s.missing = true;
        document.title = 'ctfg';
        replace(el,
          h('button', { id: 'back-btn', type: 'button', class: 'ghost', onClick: back }, '← Back'),
          h('div', { class: 'panel' },
            h('h1', { text: 'Challenge not available' }),
            h('p', { text: 'This challenge does not exist or is still locked: solve the challenges it requires first.' })));
        keepFocus();
        return;
      }
      document.title = `${ch.title} · ctfg`;
      s.lastOpened = ch.id;
      renderChallengeDetail(el, ch, {
        meId: myId(),
        teams: teamMode(s.me),
        onSolves: (fn) => s.solveHooks.add(fn),
        gate: currentGate,
        onGate: (fn) => s.gateHooks.add(fn),
        clockRefused: () => s.clock.refresh(),
        frozen: () => s.model.frozen,
        total: () => s.total,
        setTotal,
        onBack: back,
        onSolved: (solved) => {
          // New challenges may have unlocked; refresh the list quietly.
          // The detail learns from it whether the solve is pending (a
          // freeze that began a moment ago).
          return loadChallenges(true).then((list) => list.find((c) => c.id === solved.id) || null, () => null);
        },
        reload: () => {
          s.challenges = null;
          route();
        },
      });
      const banner = inFlagBox && el.querySelector('.solved-banner');
      if (banner) banner.focus();
      keepFocus();
    }, (err) => {
      if (seq !== s.seq || err.status === 401) return;
      replace(el, h('div', { class: 'panel' },
        h('p', { class: 'form-error', role: 'alert', text: 'Could not load the challenges.' }),
        h('button', { type: 'button', class: 'secondary', text: 'Try again', onClick: route })));
    });
    window.scrollTo(0, 0);
  }

  // The list always asks the server (unlocks happen); the detail view
  // reuses the list it came from.
  async function loadChallenges(force = false) {
    if (s.challenges && !force) return s.challenges;
    const list = await api.challenges();
    s.challenges = Array.isArray(list) ? list : [];
    return s.challenges;
  }

  function back() {
    // Step back through history when the app made the entry before this
    // one (the list, the scoreboard, a player's page), so that the
    // browser's back button and ours agree; otherwise (a deep link, a
    // reload) go to the list rather than off the app.
    if (s.prevRoute !== null && s.depth > 0) history.back();
    else location.hash = '#challenges';
  }
}

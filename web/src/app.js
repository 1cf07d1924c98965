// The player's app: login, display name, then the hash-routed views
// (#challenges, #challenge/<id>, #scoreboard) under a header that shows the
// live score. A reload lands on the same view: the session is a cookie and
// /api/me tells who we are.

import { api, onUnauthorized } from './api.js';
import { h, replace, formatPoints } from './dom.js';
import { renderLogin, renderNameDialog } from './login.js';
import { renderChallengeList, renderChallengeDetail } from './challenges.js';
import { showScoreboard } from './scoreboard.js';
import { Scoreboard } from './model.js';
import { ScoreStream, backoffDelay } from './stream.js';

export function startApp(root) {
  const s = {
    me: null, // /api/me reply, kept current
    total: 0,
    challenges: null, // last /api/challenges reply
    model: new Scoreboard(),
    stream: null,
    view: null, // {destroy} of the current view
    seq: 0, // bumps on every route change; stale async renders check it
    shell: null,
    prevRoute: null, // the route before the current one, when inside the app
  };

  onUnauthorized(() => loggedOut('Your session has ended. Please log in again.'));
  window.addEventListener('hashchange', (ev) => {
    if (s.shell) {
      s.prevRoute = parseRoute(new URL(ev.oldURL).hash).name;
      route();
    }
  });
  boot(0);

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
    renderShell();
    route();
  }

  function startStream(initialUrl) {
    s.stream = new ScoreStream({
      model: s.model,
      initialUrl,
      getUrl: async () => {
        const me = await api.me();
        s.me = { ...s.me, ...me };
        if (s.shell) s.shell.name.textContent = me.displayname || me.username;
        return me.websocket_url;
      },
      onState: (state) => {
        if (s.shell) s.shell.conn.hidden = state !== 'reconnecting';
      },
      onReset: () => loggedOut('The game was reset. Please log in again.'),
      onUnauthorized: () => loggedOut('Your session has ended. Please log in again.'),
      onEvents: onLiveEvents,
      // A snapshot carries the authoritative score.
      onSnapshot: () => {
        const score = s.model.score(s.me.player_id);
        if (score !== null) setTotal(score);
      },
    });
    s.stream.start();
  }

  function onLiveEvents(events) {
    const mine = events.filter((ev) => ev.player_id === s.me.player_id);
    if (!mine.length) return;
    const score = s.model.score(s.me.player_id);
    if (score !== null) setTotal(score);
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
    if (r.name === 'challenges') route();
    else if (r.name === 'challenge' && newly.has(r.id)) route();
  }

  function setTotal(n) {
    s.total = n;
    if (s.shell) s.shell.points.textContent = formatPoints(n);
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
    if (s.view) s.view.destroy();
    s.view = null;
    s.model.clear();
    s.me = null;
    s.challenges = null;
    s.shell = null;
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
    const points = h('span', { class: 'points', 'aria-live': 'polite', 'aria-label': 'Your score', text: formatPoints(s.total) });
    const name = h('span', { class: 'player-name', text: s.me.displayname || s.me.username });
    const conn = h('p', { class: 'conn', role: 'status', hidden: true, text: 'Reconnecting…' });
    const view = h('main', { class: 'view', id: 'view' });
    const navEl = h('nav', { class: 'nav-buttons', 'aria-label': 'Main' }, nav('Challenges', 'challenges'), nav('Scoreboard', 'scoreboard'));
    replace(root,
      h('header', { class: 'topbar' },
        h('a', { class: 'brand', href: '#challenges', text: 'ctfg' }),
        navEl,
        h('div', { class: 'who' }, name, points,
          h('button', { type: 'button', class: 'ghost', text: 'Logout', onClick: logout }))),
      conn,
      view);
    s.shell = { points, name, conn, view, nav: navEl };
    if (s.stream) conn.hidden = s.stream.state !== 'reconnecting';
  }

  function currentRoute() {
    return parseRoute(location.hash);
  }

  function route() {
    if (!s.shell) return;
    if (s.view) s.view.destroy();
    s.view = null;
    const seq = ++s.seq;
    const r = currentRoute();
    for (const b of s.shell.nav.querySelectorAll('button')) {
      const active = b.dataset.route === r.name || (r.name === 'challenge' && b.dataset.route === 'challenges');
      if (active) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    const el = s.shell.view;
    if (r.name === 'scoreboard') {
      document.title = 'Scoreboard · ctfg';
      s.view = showScoreboard(el, s.model, s.me.player_id);
      return;
    }
    if (r.name === 'challenges' && s.challenges) renderChallengeList(el, s.challenges);
    else if (!s.challenges) replace(el, h('p', { class: 'muted', role: 'status', text: 'Loading challenges…' }));
    const loading = r.name === 'challenges'
      ? loadChallenges(true)
      // A challenge missing from the cached list may have unlocked since.
      : loadChallenges().then((list) => (list.some((c) => c.id === r.id) ? list : loadChallenges(true)));
    loading.then((list) => {
      if (seq !== s.seq) return;
      if (r.name === 'challenges') {
        document.title = 'Challenges · ctfg';
        renderChallengeList(el, list);
        return;
      }
      const ch = list.find((c) => c.id === r.id);
      if (!ch) {
        document.title = 'ctfg';
        replace(el,
          h('button', { id: 'back-btn', type: 'button', class: 'ghost', onClick: back }, '← Back'),
          h('div', { class: 'panel' },
            h('h2', { text: 'Challenge not available' }),
            h('p', { text: 'This challenge does not exist or is still locked: solve the challenges it requires first.' })));
        return;
      }
      document.title = `${ch.title} · ctfg`;
      renderChallengeDetail(el, ch, {
        total: () => s.total,
        setTotal,
        onBack: back,
        onSolved: () => {
          // New challenges may have unlocked; refresh the list quietly.
          loadChallenges(true).catch(() => {});
        },
        reload: () => {
          s.challenges = null;
          route();
        },
      });
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
    // Step back through history when we came from the list, so that the
    // browser's back button and ours agree; otherwise go to the list.
    if (s.prevRoute === 'challenges') history.back();
    else location.hash = '#challenges';
  }
}

/** parseRoute reads a location hash: #scoreboard, #challenge/<id>, else the list. */
export function parseRoute(hash) {
  const h = String(hash || '').replace(/^#\/?/, '');
  if (h === 'scoreboard') return { name: 'scoreboard' };
  const m = /^challenge\/(\d+)$/.exec(h);
  if (m) return { name: 'challenge', id: Number(m[1]) };
  return { name: 'challenges' };
}

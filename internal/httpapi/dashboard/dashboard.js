// ctfg admin dashboard: polls /admin/api/stats and redraws the figures,
// and, while the Submissions section shows its newest page, polls
// /admin/api/submissions with the same filters and redraws it (older
// pages stay as they are: they are links). Every value goes into the page
// through textContent or attributes, never as HTML, so a guess or a name
// cannot inject markup.
(function () {
  'use strict';
  var POLL_MS = 3000;
  if (!document.getElementById('dash')) return;

  function $(id) { return document.getElementById(id); }
  function setText(id, v) { var el = $(id); if (el) el.textContent = String(v); }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    var units = 'KMGTP', div = 1024, exp = 0;
    for (var m = Math.floor(n / 1024); m >= 1024 && exp < 4; m = Math.floor(m / 1024)) { div *= 1024; exp++; }
    return (n / div).toFixed(1) + ' ' + units[exp] + 'iB';
  }
  function clock(ms) {
    if (!ms) return '';
    return new Date(ms).toISOString().slice(11, 19) + ' UTC';
  }
  function uptime(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    if (d > 0) return d + 'd ' + h + 'h ' + m + 'm';
    if (h > 0) return h + 'h ' + m + 'm';
    return m + 'm ' + (s % 60) + 's';
  }
  function meter(value, max) {
    var el = document.createElement('meter');
    el.min = 0; el.max = Math.max(max, 1); el.value = value;
    // The number is in the cell beside it: the bar is for the eye only.
    el.setAttribute('aria-hidden', 'true');
    return el;
  }
  function cell(v, cls) {
    var td = document.createElement('td');
    if (v instanceof Node) td.appendChild(v); else td.textContent = v === undefined || v === null ? '' : String(v);
    if (cls) td.className = cls;
    return td;
  }
  // removeForm is a team's Disband button, with the page's form token;
  // it leads to the server's confirmation page (no confirm=yes here).
  // Its name says which team: a screen reader hears each row's button apart.
  function removeForm(id, team) {
    var f = hiddenForm('/admin/game/remove', [['team', '1'], ['id', String(id)]]);
    var b = document.createElement('button');
    b.type = 'submit'; b.className = 'danger'; b.textContent = 'Disband';
    b.setAttribute('aria-label', 'Disband ' + team);
    f.appendChild(b);
    return f;
  }

  // hiddenForm is a POST form to action with the page's form token and
  // the hidden fields given.
  function hiddenForm(action, fields) {
    var f = document.createElement('form');
    f.method = 'post';
    f.action = action;
    var token = document.querySelector('input[name=csrf]');
    [['csrf', token ? token.value : '']].concat(fields).forEach(function (kv) {
      var i = document.createElement('input');
      i.type = 'hidden'; i.name = kv[0]; i.value = kv[1];
      f.appendChild(i);
    });
    return f;
  }

  // releaseForm is the "Release now" button of a challenge not out yet,
  // with the page's form token.
  function releaseForm(id, title) {
    var f = hiddenForm('/admin/game/release', [['id', String(id)]]);
    var b = document.createElement('button');
    b.type = 'submit'; b.textContent = 'Release now';
    b.setAttribute('aria-label', 'Release now: ' + title);
    f.appendChild(b);
    return f;
  }

  function fill(tableId, rows) {
    var tbody = $(tableId).tBodies[0];
    var frag = document.createDocumentFragment();
    rows.forEach(function (cells) {
      var tr = document.createElement('tr');
      cells.forEach(function (c) { tr.appendChild(c); });
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
  }

  // source says where a clock time came from; as formatSource in Go.
  function source(src) {
    return src === 'admin' ? 'set live by the admin' : src === 'config' ? 'from the configuration' : '';
  }

  function render(s) {
    setText('version', s.version);
    setText('uptime', uptime(s.uptime_seconds));
    setText('updated', clock(s.generated_ms));
    setText('players-online', s.players_online);
    setText('players-active', s.players_active);
    setText('players-total', s.players_total);
    setText('sockets', s.sockets);
    setText('solves', s.solves);
    setText('db-size', bytes(s.db_bytes));
    setText('wal-size', bytes(s.wal_bytes));
    setText('clock-state', s.clock.state);
    setText('clock-start', s.clock.start || 'not set');
    setText('clock-end', s.clock.end || 'not set');
    setText('clock-start-source', source(s.clock.start_source));
    setText('clock-end-source', source(s.clock.end_source));
    setText('clock-freeze', s.clock.freeze || 'not set');
    setText('clock-freeze-source', source(s.clock.freeze_source));
    var banner = $('freeze-banner');
    if (banner) banner.hidden = !s.clock.frozen;
    var board = function (p) { return [cell(p.rank, 'n'), cell(p.displayname), cell(p.score, 'n'), cell(p.solves, 'n')]; };
    fill('teams', (s.teams || []).map(function (t) {
      var names = t.members.map(function (m) { return m.player_id + ': ' + m.displayname; }).join(', ');
      return [cell(t.team_id, 'n'), cell(t.team), cell(t.score, 'n'), cell(names), cell(removeForm(t.team_id, t.team))];
    }));
    fill('live-board', (s.live_board || []).map(board));
    fill('public-board', (s.public_board || []).map(board));
    var maxMin = 1;
    s.solves_per_minute.forEach(function (m) { maxMin = Math.max(maxMin, m.solves); });
    fill('spm', s.solves_per_minute.map(function (m) {
      return [cell(clock(m.start_ms)), cell(m.solves, 'n'), cell(meter(m.solves, maxMin))];
    }));
    fill('challenges', s.challenges.map(function (c) {
      return [cell(c.id, 'n'), cell(c.title), cell(c.category), cell(c.points, 'n'), cell(c.solves, 'n'),
        cell(meter(c.solves, s.players_active)), cell(c.first_solver), cell(clock(c.first_solve_ms)),
        cell(c.waiting ? releaseForm(c.id, c.title) : (c.release || ''))];
    }));
  }

  // renderSubs redraws the Submissions table, as the template does.
  function renderSubs(page) {
    fill('subs', page.submissions.map(function (x) {
      var guess = '';
      if (x.guess !== undefined) {
        guess = document.createElement('code');
        guess.textContent = x.guess;
      }
      var result = cell(x.result);
      result.className = 'result-' + x.result;
      return [cell(x.id, 'n'), cell(clock(x.ts)), cell(x.displayname || x.username || ('#' + x.player_id)),
        cell(x.challenge || ('#' + x.challenge_id)), result, cell(x.address), cell(guess)];
    }));
  }

  // pollSubs refreshes the newest page of submissions, if shown.
  function pollSubs() {
    var table = $('subs');
    if (!table || !table.hasAttribute('data-live')) return null;
    var q = table.getAttribute('data-live');
    return fetch('/admin/api/submissions' + (q ? '?' + q : ''), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (page) {
        renderSubs(page);
        var older = $('subs-older');
        if (!older && page.next_before !== null) {
          older = document.createElement('a');
          older.id = 'subs-older';
          older.rel = 'next';
          older.textContent = 'Older →';
          $('subs-pages').appendChild(older);
        }
        if (older) {
          if (page.next_before === null) older.remove();
          else older.href = '/admin?' + (q ? q + '&' : '') + 'before=' + page.next_before + '#submissions';
        }
      });
  }

  function tick() {
    fetch('/admin/api/stats', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (s) {
        if (!s) return;
        render(s);
        return pollSubs();
      })
      .then(function () { setText('live', '· live'); })
      .catch(function () { setText('live', '· offline, retrying'); })
      .then(function () { setTimeout(tick, POLL_MS); });
  }
  setTimeout(tick, POLL_MS);
})();

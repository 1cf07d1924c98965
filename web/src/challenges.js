// The challenge list (cards grouped by category) and the challenge detail
// (description, hints, flag form, solvers). Whether flags may be
// sent comes from the clock (the caller's ctx.gate()).

import { api } from './api.js';
import { h, replace, formatPoints, formatClock } from './dom.js';
import { renderInto } from './markdown.js';
import { bannerImage } from './login.js';
import { clockRefusal } from './clock.js';
import { NO_TEAM_REASON } from './team.js';
import { announce } from './live.js';
import { href } from './routes.js';
import { BLOOD_LABELS, bloodLabel, pageName } from './pages.js';
import { Refetcher } from './refetch.js';

/** bloodRank is the 0-based place of playerId among ch's first solvers, or -1. */
export function bloodRank(ch, playerId) {
  const fb = Array.isArray(ch.first_bloods) ? ch.first_bloods : [];
  return playerId == null ? -1 : fb.findIndex((b) => b && b.player_id === playerId);
}

/**
 * isSolved says whether the player solved ch: a practice solve (after the
 * end) comes as "solved": false (it never scored) with "practice": true.
 */
export function isSolved(ch) {
  return ch.solved === true || ch.practice === true;
}

/** solvedLabel says how a solved challenge counts. */
export function solvedLabel(ch) {
  if (ch.practice) return '✓ Solved (practice, not scored)';
  if (ch.pending) return '✓ Solved — not on the board yet';
  return '✓ Solved';
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** metaLine is the badges under a title: difficulty, value, solvers, state. */
function metaLine(ch, meId) {
  const rank = bloodRank(ch, meId);
  return h('div', { class: 'card-meta' },
    h('span', { class: `badge ${difficultyClass(ch.difficulty)}`, text: ch.difficulty || '—' }),
    h('span', { class: 'pts', text: formatPoints(ch.points) }),
    typeof ch.solves === 'number' ? h('span', { class: 'solves muted', text: plural(ch.solves, 'solve') }) : null,
    rank >= 0 ? h('span', { class: `blood-mark place-${rank + 1}`, text: BLOOD_LABELS[rank] }) : null,
    isSolved(ch) ? h('span', { class: `solved-mark${ch.pending ? ' pending' : ''}`, text: solvedLabel(ch) }) : null);
}

function difficultyClass(d) {
  const v = String(d || '').toLowerCase();
  if (v.includes('easy')) return 'easy';
  if (v.includes('hard') || v.includes('insane') || v.includes('expert')) return 'hard';
  return 'medium';
}

/** groupByCategory keeps the server's order of categories and challenges. */
export function groupByCategory(list) {
  const groups = new Map();
  for (const ch of list) {
    const cat = ch.category || 'Other';
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat).push(ch);
  }
  return groups;
}

/**
 * challengeCard is the control that opens a challenge: a div with the
 * class cursor-pointer around the title heading. The old engine's browser
 * test suite finds it by exactly that shape (heading → ancestor
 * div[contains(@class,"cursor-pointer")]; see docs/API.md, "Compatibility
 * with the old engine's browser tests"), so keep both. As a link it stays
 * reachable with Tab and opens with Enter; its name is its whole text,
 * title first (what a speech user says), then the badges (WCAG 2.5.3:
 * the visible text is part of the name).
 */
function challengeCard(ch, meId) {
  const href = `#challenge/${ch.id}`;
  const open = () => {
    location.hash = href;
  };
  return h('div', {
    class: `card cursor-pointer${isSolved(ch) ? ' solved' : ''}`,
    role: 'link', tabindex: 0, 'data-challenge-id': ch.id,
    onClick: open,
    onKeydown: (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        open();
      }
    },
  },
  h('h3', { text: ch.title }),
  metaLine(ch, meId));
}

/**
 * renderChallengeList fills el with the cards. opts.meId marks the
 * player's first bloods; opts.waiting (a node, e.g. the countdown to the
 * start) stands in for an empty list; opts.notice (a node) goes above the
 * cards.
 */
export function renderChallengeList(el, list, { meId = null, waiting = null, notice = null } = {}) {
  const solved = list.filter(isSolved).length;
  const sections = [];
  for (const [cat, items] of groupByCategory(list)) {
    sections.push(h('section', { class: 'category' },
      h('h2', { text: cat }),
      h('div', { class: 'cards' }, items.map((ch) => challengeCard(ch, meId)))));
  }
  let empty = null;
  if (!list.length) empty = waiting || h('p', { class: 'empty', text: 'No challenges are available yet.' });
  replace(el,
    bannerImage('banner page-banner'),
    h('div', { class: 'page-head' },
      h('h1', { text: 'Challenges' }),
      h('p', { class: 'muted', text: `${solved} of ${list.length} solved` })),
    notice,
    list.length ? sections : empty);
}

// Without Retry-After, wait as long as the flag bucket takes to refill
// one guess (SPEC §6: one per 2 s).
const retryWait = (err) => Math.min(err.retryAfter || 2, 30);

function submitMessage(err) {
  switch (err.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 403:
      if (err.code === 'no_team') return NO_TEAM_REASON;
      return clockRefusal(err.code) || 'This challenge is locked: solve the challenges it requires first.';
    case 429: {
      const wait = retryWait(err);
      return `Too many attempts. Wait ${wait} second${wait === 1 ? '' : 's'} and try again.`;
    }
    case 400:
      return err.code === 'unknown_id' ? 'This challenge does not exist any more.' : `The flag was not accepted (${err.code}).`;
    default:
      return `Something went wrong (${err.code}). Try again.`;
  }
}

function hintMessage(err, hint, total) {
  switch (err.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 402:
      return `You need at least ${formatPoints(hint.cost)} to buy this hint (you have ${formatPoints(total)}).`;
    case 403:
      if (err.code === 'no_team') return NO_TEAM_REASON;
      return clockRefusal(err.code) || 'Reveal the earlier hints first.';
    case 429:
      return 'Too many requests. Wait a moment and try again.';
    default:
      return `Could not reveal the hint (${err.code}).`;
  }
}

const SOLVERS_SHOWN = 50; // the rest behind a button: a popular challenge has hundreds

/**
 * solversSection lists a challenge's solvers (GET /api/challenges/{id}/
 * solvers, the public board's: frozen during a freeze) in order, the
 * first three marked, the viewer's own entry with the class "me", each
 * name a link to their page. It loads by itself, and again when the board
 * has a solve of the challenge while it is shown. ctx: meId, teams,
 * onSolves(fn) (fn(ids): solves of these challenges, or of any: null).
 */
function solversSection(ch, ctx) {
  const body = h('div', {}, h('p', { class: 'muted', text: 'Loading the solvers…' }));
  const section = h('section', { class: 'solvers', 'aria-labelledby': 'solvers-title' },
    h('h3', { id: 'solvers-title', text: 'Solvers' }), body);
  let last = '';
  let all = false;
  let list = [];
  let asked = 0; // only the newest reply counts
  const draw = () => {
    // A redraw keeps the keyboard on the link (or button) it was on.
    const active = document.activeElement;
    const focused = active && body.contains(active) ? active.getAttribute('href') || 'button' : null;
    const shown = all ? list : list.slice(0, SOLVERS_SHOWN);
    const more = list.length - shown.length;
    const you = ctx.teams ? ' (your team)' : ' (you)';
    replace(body,
      h('p', { class: 'solves-count muted', text: list.length ? plural(list.length, 'solve') : 'No solves yet.' }),
      shown.length ? h('ol', { class: 'solver-list' }, shown.map((sv) => {
        const me = sv.player_id === ctx.meId;
        const mark = bloodLabel(sv.first_blood);
        return h('li', { class: me ? 'me' : null, 'data-player-id': sv.player_id },
          mark ? h('span', { class: `fb-place place-${sv.first_blood}`, text: mark }) : null, mark ? ' ' : null,
          h('a', { class: 'fb-name', href: href.page(sv.player_id, ctx.teams), text: pageName({ ...sv, team: ctx.teams }) }),
          me ? h('span', { class: 'you', text: you }) : null,
          solvedAt(sv.ts));
      })) : null,
      more > 0 ? h('button', {
        type: 'button', class: 'ghost', text: `Show all ${list.length} solvers`,
        onClick: () => {
          all = true;
          draw();
          const next = body.querySelectorAll('.solver-list a')[SOLVERS_SHOWN];
          if (next) next.focus();
        },
      }) : null);
    const again = focused && [...body.querySelectorAll('a[href], button')].find((a) => (a.getAttribute('href') || 'button') === focused);
    if (again) again.focus();
  };
  const load = async () => {
    if (last && !section.isConnected) return;
    const n = ++asked;
    let reply;
    try {
      reply = await api.solvers(ch.id);
    } catch (err) {
      if (n === asked && err.status !== 401 && !last) replace(body, h('p', { class: 'muted', text: 'The solvers could not be loaded.' }));
      return;
    }
    if (n !== asked) return;
    const text = JSON.stringify(reply && reply.solvers);
    if (text === last) return;
    last = text;
    list = reply && Array.isArray(reply.solvers) ? reply.solvers : [];
    draw();
  };
  load();
  if (ctx.onSolves) {
    // Only a solve of this challenge (or a new snapshot: the unfreeze)
    // changes the list: most players sit on a challenge's page.
    const refetch = new Refetcher({ run: load });
    ctx.onSolves((ids) => {
      if (!ids || ids.has(ch.id)) refetch.trigger();
    });
  }
  return section;
}

/** solvedAt renders a first blood's time (Unix ms, or an RFC 3339 string), or null. */
function solvedAt(ts) {
  const ms = typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return h('time', { class: 'muted', datetime: new Date(ms).toISOString(), text: ` ${formatClock(ms)}` });
}

const OPEN_GATE = () => ({ open: true, practice: false, reason: null });

/**
 * renderChallengeDetail fills el with one challenge. ctx: {total(),
 * setTotal(n), onSolved(ch) (may return a promise of the server's fresh
 * entry of ch), onBack(), reload(), and optionally gate()
 * → {open, reason, practice} (whether the clock lets flags in),
 * onGate(fn) to hear when that changes, clockRefused() after a 403 of
 * the clock, frozen() (the board is frozen), meId, and for the solvers
 * teams (the game is played in teams) and onSolves(fn) (solves on the board)}.
 */
export function renderChallengeDetail(el, ch, ctx) {
  const gate = ctx.gate || OPEN_GATE;
  const back = h('button', { id: 'back-btn', type: 'button', class: 'ghost', onClick: ctx.onBack }, '← Back');
  const description = h('div', { class: 'prose description' });
  renderInto(description, ch.description);
  let content = null;
  if (ch.content) {
    content = h('div', { class: 'prose content' });
    renderInto(content, ch.content);
  }
  const hintsBox = h('section', { class: 'hints', 'aria-labelledby': 'hints-title' });
  const flagBox = h('section', { class: 'flag-box', 'aria-label': 'Flag' });
  const meta = h('div', {}, metaLine(ch, ctx.meId));

  replace(el,
    // The view's level-1 heading, for screen readers: the title stays a
    // level-2 heading, where the old engine's browser tests look for it
    // (docs/API.md), and is not read twice.
    h('h1', { class: 'sr-only', text: 'Challenge' }),
    back,
    h('article', { class: 'panel detail' },
      h('header', { class: 'detail-head' },
        h('p', { class: 'eyebrow', text: ch.category || '' }),
        h('h2', { text: ch.title }),
        meta),
      description,
      content,
      hintsBox,
      flagBox,
      solversSection(ch, ctx)));

  // The flag form follows the clock: closed while paused, before the
  // start and after the end (open again in practice mode).
  let onGate = null;
  if (ctx.onGate) {
    ctx.onGate(() => {
      if (onGate) onGate();
      renderHints();
    });
  }

  renderHints();
  renderFlag();

  /**
   * renderHints redraws the hints; focusHint (an id) gets the keyboard
   * focus, so that a screen reader reads the hint just revealed.
   */
  function renderHints(focusHint = null) {
    const hints = [...(ch.hints || [])].sort((a, b) => a.id - b.id);
    if (!hints.length) {
      hintsBox.replaceChildren();
      return;
    }
    const error = h('p', { class: 'form-error', role: 'alert' });
    const items = [];
    let earlierBought = true;
    hints.forEach((hint, i) => {
      const n = i + 1;
      const cost = hint.cost > 0 ? formatPoints(hint.cost) : 'free';
      const bought = typeof hint.text === 'string';
      if (bought) {
        const body = h('div', { class: 'prose hint-text' });
        renderInto(body, hint.text);
        items.push(h('li', { class: 'hint open', 'data-hint-id': hint.id, tabindex: hint.id === focusHint ? -1 : null },
          h('div', { class: 'hint-head' }, h('strong', { text: `Hint ${n}` }), h('span', { class: 'muted', text: cost })),
          body));
      } else if (earlierBought) {
        items.push(h('li', { class: 'hint next' },
          h('div', { class: 'hint-head' }, h('strong', { text: `Hint ${n}` }), h('span', { class: 'muted', text: cost })),
          buyControls(hint, n, error)));
      } else {
        items.push(h('li', { class: 'hint locked' },
          h('div', { class: 'hint-head' }, h('strong', { text: `Hint ${n}` }), h('span', { class: 'muted', text: cost })),
          h('p', { class: 'muted', text: `Locked: reveal hint ${n - 1} first.` })));
      }
      earlierBought = earlierBought && bought;
    });
    replace(hintsBox, h('h3', { id: 'hints-title', text: 'Hints' }), h('ol', { class: 'hint-list' }, items), error);
    if (focusHint !== null) {
      const li = hintsBox.querySelector(`[data-hint-id="${focusHint}"]`);
      if (li) li.focus();
    }
  }

  function buyControls(hint, n, error) {
    const box = h('div', { class: 'hint-buy' });
    const free = !(hint.cost > 0);
    // The buttons replace each other: the focus moves along with them
    // (else it would fall back to the top of the page).
    const hadFocus = () => box.contains(document.activeElement);
    const ask = (focus = hadFocus()) => {
      const g = gate();
      const button = h('button', {
        type: 'button', class: 'secondary', disabled: !g.open,
        'aria-describedby': g.open ? null : 'flag-gate',
        text: free ? `Reveal hint ${n}` : `Buy hint ${n} for ${formatPoints(hint.cost)}`,
        onClick: free ? buy : () => confirm(),
      });
      replace(box, button);
      if (focus) button.focus();
    };
    const confirm = () => {
      const q = `hint-confirm-${hint.id}`;
      const ok = h('button', {
        type: 'button', class: 'primary', text: `Confirm: spend ${formatPoints(hint.cost)}`, 'aria-describedby': q, onClick: buy,
      });
      replace(box,
        h('span', { id: q, class: 'muted', text: `Spend ${formatPoints(hint.cost)} of your ${formatPoints(ctx.total())}?` }),
        ok,
        h('button', { type: 'button', class: 'ghost', text: 'Cancel', onClick: () => ask() }));
      ok.focus();
    };
    // Escape backs out of the confirmation, like Cancel.
    box.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && box.querySelector('button.ghost')) {
        ev.preventDefault();
        ask(true);
      }
    });
    async function buy(ev) {
      // A disabled button loses the focus: remember who had it.
      const focus = hadFocus();
      ev.currentTarget.disabled = true;
      error.textContent = '';
      try {
        const reply = await api.hint(ch.id, hint.id);
        hint.text = typeof reply.text === 'string' ? reply.text : '';
        if (typeof reply.total === 'number') ctx.setTotal(reply.total);
        renderHints(hint.id);
      } catch (err) {
        if (err.status === 401) return;
        if (err.code === 'already_purchased') {
          ctx.reload();
          return;
        }
        error.textContent = hintMessage(err, hint, ctx.total());
        if (clockRefusal(err.code) && ctx.clockRefused) ctx.clockRefused();
        ask(focus);
      }
    }
    ask();
    return box;
  }

  // Not a live region: the solve is announced (live.js) as it happens.
  function solvedBanner(extra) {
    return h('div', { class: 'solved-banner', tabindex: -1 },
      h('strong', { text: 'Challenge Solved!' }),
      extra ? h('span', { text: extra }) : null);
  }

  function renderFlag(extra) {
    if (isSolved(ch)) {
      onGate = null;
      let note = extra;
      if (!note && ch.practice) note = 'Practice mode: not scored.';
      else if (!note && ch.pending) note = 'Solved during the freeze: not on the board yet.';
      // The form that had the focus is gone: the banner takes it.
      const focus = flagBox.contains(document.activeElement);
      const banner = solvedBanner(note);
      replace(flagBox, banner);
      if (focus) banner.focus();
      return;
    }
    const input = h('input', {
      name: 'flag', placeholder: 'Enter FLAG text here', 'aria-label': 'Flag',
      autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
    });
    const button = h('button', { type: 'submit', class: 'primary', text: 'Submit', 'aria-describedby': 'flag-gate' });
    // A live region from the start: each answer is spoken, a repeated one
    // too ("Checking…" comes between).
    const feedback = h('p', { class: 'feedback', role: 'status', 'aria-live': 'polite' });
    // Why the form is closed (or what practice mode means); the header's
    // status line announces the change itself.
    const gateNote = h('p', { class: 'gate-note', id: 'flag-gate' });
    let busy = false; // a request or a rate-limit wait holds the button
    const say = (kind, text) => {
      feedback.className = `feedback ${kind}`;
      feedback.textContent = text;
    };
    const form = h('form', { class: 'flag-form', novalidate: true, onSubmit: submit },
      h('div', { class: 'flag-row' }, input, button));
    replace(flagBox, h('h3', { text: 'Submit the flag' }), gateNote, form, feedback);
    const update = () => {
      const g = gate();
      gateNote.textContent = g.reason || '';
      gateNote.className = `gate-note${g.open ? (g.practice ? ' practice' : '') : ' closed'}`;
      button.disabled = busy || !g.open;
    };
    onGate = update;
    update();
    const release = () => {
      busy = false;
      update();
    };

    async function submit(ev) {
      ev.preventDefault();
      const flag = input.value.trim();
      if (!flag) {
        say('warn', 'Enter a flag first.');
        return;
      }
      if (!gate().open) {
        say('err', gate().reason);
        return;
      }
      busy = true;
      update();
      say('', 'Checking…');
      try {
        const reply = await api.submit(ch.id, flag);
        if (typeof reply.total === 'number') ctx.setTotal(reply.total);
        if (reply.result === 'correct') {
          ch.solved = true;
          // During a freeze the solve counts but the board shows it later.
          const frozen = ctx.frozen ? ctx.frozen() : false;
          if (frozen) ch.pending = true;
          const points = reply.points ?? ch.points;
          const pts = `+${formatPoints(points)}`;
          const pendingNote = `${pts} — not on the board yet: the scoreboard is frozen.`;
          // The form (and its live region) gives way to the banner: the
          // app-wide region says it.
          announce(`Correct flag: ${ch.title} solved, ${points} points${frozen ? ', on the board when it is unfrozen' : ''}.`);
          renderFlag(frozen ? pendingNote : pts);
          // The freeze may have begun a moment ago, before our clock knew:
          // the refetched list says whether this solve waits for the board.
          const fresh = ctx.onSolved(ch);
          if (!frozen && fresh && typeof fresh.then === 'function') {
            fresh.then((f) => {
              if (f && f.pending && !ch.pending && flagBox.isConnected) {
                ch.pending = true;
                renderFlag(pendingNote);
              }
            }, () => {});
          }
          return;
        }
        if (reply.result === 'practice') {
          ch.solved = true;
          ch.practice = true;
          announce(`Correct flag: ${ch.title} solved in practice mode, not scored.`);
          renderFlag('Correct — practice mode: solves are not scored.');
          ctx.onSolved(ch);
          return;
        }
        if (reply.result === 'already_solved') {
          ch.solved = true;
          announce(`Correct flag: ${ch.title} was already solved.`);
          renderFlag('You had already solved this one.');
          ctx.onSolved(ch);
          return;
        }
        say('err', 'Incorrect flag. Try again.');
        release();
        input.select();
      } catch (err) {
        if (err.status === 401) return;
        say(err.status === 429 ? 'warn' : 'err', submitMessage(err));
        // Back to the field, the guess selected (Enter sends it again,
        // typing replaces it), unless the player went elsewhere; the
        // Submit button that had the focus was disabled and lost it.
        const active = document.activeElement;
        if (!active || active === document.body || active === input) {
          input.focus();
          input.select();
        }
        // Refused by the clock: our idea of it is stale; the fresh one
        // closes the form (or reopens it) through onGate.
        if (clockRefusal(err.code) && ctx.clockRefused) ctx.clockRefused();
        const wait = err.status === 429 ? retryWait(err) * 1000 : 0;
        setTimeout(release, wait);
      }
    }
  }
}

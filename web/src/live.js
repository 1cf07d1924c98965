// Spoken notices for screen readers: one polite live region (and one
// assertive, for what must interrupt) outside the app's root, so that the
// views replacing their content never remove it. Each notice is a new
// paragraph in the region: the same words twice in a row (a second wrong
// flag) are spoken again, and a notice that follows another quickly (a
// solve, then the rank it brings) does not cut the first one off.

import { h } from './dom.js';
import { compareStandings } from './model.js';

const KEEP = 4; // notices kept in a region; older ones are removed

let regions = null;

/**
 * liveRegions puts the two regions in the page once. A region must be in
 * the page before text is added to it, or screen readers miss the text:
 * the app calls this at start.
 */
export function liveRegions() {
  if (regions && regions.polite.isConnected) return regions;
  const make = (id, politeness) => h('div', {
    id, class: 'sr-only', 'aria-live': politeness, 'aria-relevant': 'additions', 'aria-atomic': 'false',
  });
  regions = { polite: make('live-polite', 'polite'), assertive: make('live-assertive', 'assertive') };
  document.body.append(regions.polite, regions.assertive);
  return regions;
}

/** announce says text politely (after what is being read), or at once with assertive. */
export function announce(text, { assertive = false } = {}) {
  if (!text) return;
  const el = liveRegions()[assertive ? 'assertive' : 'polite'];
  el.append(h('p', { text }));
  while (el.childElementCount > KEEP) el.firstElementChild.remove();
}

/**
 * rankOf is the rank of player id in model (1 = first), or null when
 * the board does not list them. It counts who is ahead: no sort.
 */
export function rankOf(model, id) {
  const me = model.players.get(id);
  if (!me) return null;
  let rank = 1;
  for (const p of model.players.values()) if (p !== me && compareStandings(p, me) < 0) rank++;
  return rank;
}

/** rankMessage is the notice for a move from rank `from` to `to` ("Your team" in team mode). */
export function rankMessage(to, from, who = 'You') {
  return `${who} moved to rank ${to} (${to < from ? 'up' : 'down'} from ${from}).`;
}

/**
 * watchRank announces the player's moves on the board: say(text) runs when
 * their rank changes after it was first known. meId() is who stands for
 * the player on the board (their team in team mode); who() names them in
 * the notice. A new id (a team joined or left) starts over, unsaid.
 * It returns the unsubscribe.
 */
export function watchRank(model, meId, say = announce, who = () => 'You') {
  let last = null;
  let lastId = null;
  return model.subscribe(() => {
    if (!model.ready) return;
    const id = meId();
    if (id !== lastId) {
      lastId = id;
      last = null;
    }
    const rank = id === null || id === undefined ? null : rankOf(model, id);
    if (rank !== null && last !== null && rank !== last) say(rankMessage(rank, last, who()));
    if (rank !== null) last = rank;
  });
}

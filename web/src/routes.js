// The app's views by location hash, both ways: parseRoute reads a hash,
// href writes one. No DOM here: the unit tests drive it.
//
//   #challenges            the list (also the default)
//   #challenge/<id>        one challenge
//   #scoreboard            the ranking and the chart
//   #announcements         every announcement
//   #team                  the player's own team: make, join, leave
//   #player/<id>           a player's page (solves, rank, score over time)
//   #team/<id>             a team's page (the same, and its members)

/** parseRoute reads a location hash into {name, id?}; anything unknown is the list. */
export function parseRoute(hash) {
  const h = String(hash || '').replace(/^#\/?/, '');
  if (h === 'scoreboard') return { name: 'scoreboard' };
  if (h === 'announcements') return { name: 'announcements' };
  if (h === 'team') return { name: 'team' };
  const m = /^(challenge|player|team)\/(\d{1,15})$/.exec(h);
  if (m) {
    const id = Number(m[2]);
    if (m[1] === 'challenge') return { name: 'challenge', id };
    return { name: m[1] === 'team' ? 'teamPage' : 'player', id };
  }
  return { name: 'challenges' };
}

/** href writes the hash of a route: the inverse of parseRoute. */
export const href = {
  challenges: () => '#challenges',
  challenge: (id) => `#challenge/${id}`,
  scoreboard: () => '#scoreboard',
  announcements: () => '#announcements',
  team: () => '#team',
  player: (id) => `#player/${id}`,
  teamPage: (id) => `#team/${id}`,
  /** page is where a scoreboard entry leads: a team's page in team mode, else the player's. */
  page: (id, isTeam) => (isTeam ? `#team/${id}` : `#player/${id}`),
};

/** isPage says whether a route is a player's or a team's page. */
export function isPage(route) {
  return route.name === 'player' || route.name === 'teamPage';
}

/**
 * historyDepth is how many of the app's own entries lie behind the
 * current one in the tab's history, kept in history.state: an entry
 * without it is new (one more than where we came from); one with it was
 * visited before (Back, Forward, a reload). A page's back button steps
 * back through history only when depth > 0: else the previous entry is
 * not the app's.
 */
export function historyDepth(state, from) {
  if (state && typeof state.ctfgDepth === 'number') return state.ctfgDepth;
  return from === null || from === undefined ? 0 : from + 1;
}

// The data side of the pages players expect (profile.js draws them): a
// player's or team's page from GET /api/players/{id}, a challenge's
// solvers from GET /api/challenges/{id}/solvers, and when to fetch them
// again. No DOM here: the unit tests drive it.

/** BLOOD_LABELS name a challenge's first three solvers, by place. */
export const BLOOD_LABELS = ['First blood', 'Second solver', 'Third solver'];

/** bloodLabel is the words of a first-blood place (1–3), or null. */
export function bloodLabel(place) {
  return Number.isInteger(place) && place >= 1 && place <= BLOOD_LABELS.length ? BLOOD_LABELS[place - 1] : null;
}

/** sortSolves orders a page's solves as they happened (the server's order is not). */
export function sortSolves(solves) {
  return (Array.isArray(solves) ? [...solves] : []).sort((a, b) => (a.ts || 0) - (b.ts || 0) || a.challenge_id - b.challenge_id);
}

/** pageName is how a page or a solver is named when they have no name yet. */
export function pageName(p) {
  if (p && typeof p.displayname === 'string' && p.displayname !== '') return p.displayname;
  return p && p.team ? `Team #${p.player_id}` : `Player #${p ? p.player_id : '?'}`;
}

/**
 * solvedBy is who made a team's solve: {id, name} from the team's
 * members, name null for one who left since; null for no "by".
 */
export function solvedBy(solve, members) {
  if (!solve || typeof solve.by !== 'number' || solve.by <= 0) return null;
  const m = (Array.isArray(members) ? members : []).find((x) => x.player_id === solve.by);
  if (!m) return { id: solve.by, name: null };
  return { id: solve.by, name: m.displayname || `Player #${m.player_id}` };
}

/**
 * profileSeries is a page's score over time as ScoreChart and chartTable
 * take it ({start, end, lines}): one line from 0 at the left, stepping at
 * each [ts, score] of the page's series, to its score now.
 */
export function profileSeries(page, label, now = Date.now()) {
  const series = Array.isArray(page && page.series) ? page.series.filter((p) => Array.isArray(p) && p.length === 2) : [];
  const score = page && typeof page.score === 'number' ? page.score : 0;
  const first = series.length ? series[0][0] : null;
  const end = Math.max(now, first !== null ? first + 60_000 : now, series.length ? series[series.length - 1][0] : now);
  const start = first !== null ? first - Math.max(30_000, (end - first) * 0.03) : end - 60_000;
  const points = first !== null
    ? [{ x: start, y: 0 }, ...series.map(([x, y]) => ({ x, y })), { x: end, y: score }]
    : [{ x: start, y: score }, { x: end, y: score }];
  return { start, end, lines: [{ player_id: page ? page.player_id : 0, label, points }] };
}

/**
 * boardKey changes whenever the live board may have: a new event, a
 * snapshot (the unfreeze), the freeze. A page refetches when it does.
 */
export function boardKey(model) {
  return `${model.ready ? 1 : 0}|${model.frozen ? 1 : 0}|${model.lastId}|${model.snapshotTs}`;
}

/**
 * onBoardChange calls fn when the live board may have changed (boardKey),
 * until alive() says the view is gone. It returns the unsubscribe.
 */
export function onBoardChange(model, fn, alive = () => true) {
  let key = boardKey(model);
  const off = model.subscribe(() => {
    if (!alive()) {
      off();
      return;
    }
    const k = boardKey(model);
    if (k === key) return;
    key = k;
    fn();
  });
  return off;
}

// Dynamic scoring's scoreboard refetch and the team-mode helpers, without
// a browser: the model taking a /api/scoreboard reply, the refresher's
// pace (debounced, jittered, at most one fetch per few seconds), and who
// stands for the player on the board.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard } from '../../src/model.js';
import { StandingsRefresher, valueFrames } from '../../src/standings.js';
import { boardId, byLine, teamMode } from '../../src/team.js';
import { describeEvent } from '../../src/scoreboard.js';

function board() {
  const m = new Scoreboard();
  m.loadSnapshot({
    type: 'snapshot', last_id: 10, frozen: false,
    players: [
      { player_id: 7, displayname: 'Alice', score: 100, solves: 1, last_solve_ts: 1000 },
      { player_id: 3, displayname: 'Bob', score: 0, solves: 0, last_solve_ts: 0 },
    ],
    series: [{ player_id: 7, points: [[1000, 100]] }],
    events: [{ id: 10, type: 'score', player_id: 7, displayname: 'Alice', ts: 1000, challenge_id: 1, points: 100 }],
  });
  return m;
}

const solveB = { id: 11, type: 'score', player_id: 3, displayname: 'Bob', ts: 2000, challenge_id: 1, points: 90, value: 90 };

test('a scoreboard reply lowers earlier solvers, and the chart follows', () => {
  const m = board();
  m.apply(solveB);
  assert.equal(m.score(7), 100, 'the frame alone does not say Alice fell');
  const ok = m.loadStandings({
    last_id: 11, frozen: false,
    players: [
      { rank: 1, player_id: 3, displayname: 'Bob', score: 90, solves: 1, last_solve_ts: 2000 },
      { rank: 2, player_id: 7, displayname: 'Alice', score: 90, solves: 1, last_solve_ts: 1000 },
    ],
  }, 2000);
  assert.equal(ok, true);
  assert.equal(m.score(7), 90);
  assert.deepEqual(m.ranked().map((p) => p.displayname), ['Alice', 'Bob'], 'equal scores: the earlier last solve first');
  assert.deepEqual(m.series.get(7).points, [[1000, 100], [2000, 90]]);
});

test('a reply behind the stream is refused; one ahead is not counted twice', () => {
  const m = board();
  m.apply(solveB);
  assert.equal(m.loadStandings({ last_id: 10, frozen: false, players: [] }), false, 'stale');
  assert.equal(m.loadStandings({ last_id: 11, frozen: true, players: [] }), false, 'another board');
  // The reply already counts event 12, whose frame is still on its way.
  m.loadStandings({
    last_id: 12, frozen: false,
    players: [
      { player_id: 7, displayname: 'Alice', score: 80, solves: 1, last_solve_ts: 1000 },
      { player_id: 3, displayname: 'Bob', score: 80, solves: 1, last_solve_ts: 2000 },
      { player_id: 5, displayname: 'Carol', score: 80, solves: 1, last_solve_ts: 3000 },
    ],
  });
  m.apply({ id: 12, type: 'score', player_id: 5, displayname: 'Carol', ts: 3000, challenge_id: 1, points: 80, value: 80 });
  assert.equal(m.score(5), 80, 'not 160');
  assert.equal(m.recent.at(-1).id, 12, 'still news');
  m.apply({ id: 13, type: 'hint', player_id: 5, displayname: 'Carol', ts: 3100, challenge_id: 2, hint_id: 1, points: -10 });
  assert.equal(m.score(5), 70, 'later events count');
});

function fakeTimers() {
  const t = { now: 0, timers: [] };
  t.setTimer = (fn, ms) => {
    t.timers.push({ fn, at: t.now + ms });
    return t.timers.length;
  };
  t.clearTimer = () => {};
  // advance runs the timers due within ms in time order, letting each
  // fetch settle before the next.
  t.advance = async (ms) => {
    const end = t.now + ms;
    for (;;) {
      const next = t.timers.filter((x) => !x.done && x.at <= end).sort((x, y) => x.at - y.at)[0];
      if (!next) break;
      t.now = Math.max(t.now, next.at);
      next.done = true;
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
    t.now = end;
  };
  return t;
}

test('a burst of value frames costs one fetch, spread by jitter, then at most one per few seconds', async () => {
  const t = fakeTimers();
  const m = board();
  let fetches = 0;
  let loaded = 0;
  let lastId = 11;
  const r = new StandingsRefresher({
    model: m, now: () => t.now, setTimer: t.setTimer, clearTimer: t.clearTimer, random: () => 0.5,
    fetch: async () => {
      fetches++;
      return { last_id: lastId, frozen: false, players: [{ player_id: 7, displayname: 'Alice', score: 90, solves: 1, last_solve_ts: 1000 }] };
    },
    onLoaded: () => loaded++,
  });
  m.apply(solveB);
  for (let i = 0; i < 5; i++) r.onEvents([solveB]);
  r.onEvents([{ id: 1, type: 'score', player_id: 3, points: 5 }]); // no value: nothing to do
  assert.equal(fetches, 0, 'not at once');
  await t.advance(999);
  assert.equal(fetches, 0);
  await t.advance(1);
  assert.equal(fetches, 1, 'after the jitter (here 1 s)');
  assert.equal(loaded, 1);
  assert.equal(m.score(7), 90);

  // The next burst waits for the gap since the last fetch.
  m.apply({ ...solveB, id: 12 });
  lastId = 12;
  r.onEvents([{ ...solveB, id: 12 }]);
  await t.advance(3999);
  assert.equal(fetches, 1);
  await t.advance(1001);
  assert.equal(fetches, 2);

  // A reply behind the stream: asked again, a few times only.
  m.apply({ ...solveB, id: 13 });
  r.onEvents([{ ...solveB, id: 13 }]);
  await t.advance(60_000);
  assert.equal(fetches, 2 + 4, 'one, then three retries');
  r.stop();
});

test('value frames, team mode and who made a team solve', () => {
  assert.deepEqual(valueFrames([solveB, { type: 'score', points: 1 }, { type: 'hint', value: 3 }]), [solveB]);
  assert.equal(teamMode({ player_id: 1, team_id: null }), true);
  assert.equal(teamMode({ player_id: 1 }), false);
  assert.equal(boardId({ player_id: 1, team_id: 40 }), 40);
  assert.equal(boardId({ player_id: 1, team_id: null }), null, 'no team: not on the board');
  assert.equal(boardId({ player_id: 1 }), 1);
  const ev = { type: 'score', player_id: 40, displayname: 'Crypto Cats', by: 2, by_name: 'Bob', challenge: 'Warm Up', points: 100 };
  assert.equal(byLine(ev), 'Bob (Crypto Cats)');
  assert.equal(describeEvent(ev), 'Bob (Crypto Cats) solved Warm Up (+100 pts)');
  assert.equal(describeEvent({ ...ev, by: undefined, by_name: undefined }), 'Crypto Cats solved Warm Up (+100 pts)');
});

// The data side of the player's and team's pages (pages.js): first-blood
// words, solves in order, who made a team's solve, the chart's one line,
// and when a page fetches again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard } from '../../src/model.js';
import {
  BLOOD_LABELS, bloodLabel, boardKey, onBoardChange, pageName, profileSeries, solvedBy, sortSolves,
} from '../../src/pages.js';
import { Refetcher } from '../../src/refetch.js';

test('bloodLabel names the first three places, nothing else', () => {
  assert.equal(bloodLabel(1), 'First blood');
  assert.equal(bloodLabel(2), 'Second solver');
  assert.equal(bloodLabel(3), 'Third solver');
  for (const v of [0, 4, undefined, null, '1', 1.5]) assert.equal(bloodLabel(v), null, String(v));
  assert.equal(BLOOD_LABELS.length, 3);
});

test('sortSolves orders solves by time, then challenge, without touching the reply', () => {
  const solves = [
    { challenge_id: 3, ts: 3000 }, { challenge_id: 2, ts: 1000 }, { challenge_id: 1, ts: 1000 },
  ];
  assert.deepEqual(sortSolves(solves).map((s) => s.challenge_id), [1, 2, 3]);
  assert.deepEqual(solves.map((s) => s.challenge_id), [3, 2, 1]);
  assert.deepEqual(sortSolves(null), []);
});

test('pageName uses the name, else says what has none', () => {
  assert.equal(pageName({ player_id: 4, displayname: 'Ada' }), 'Ada');
  assert.equal(pageName({ player_id: 4, displayname: '' }), 'Player #4');
  assert.equal(pageName({ player_id: 9, displayname: '', team: true }), 'Team #9');
});

test('solvedBy names the member who made a team\'s solve, or a former one', () => {
  const members = [{ player_id: 1, displayname: 'Ann' }, { player_id: 2, displayname: '' }];
  assert.deepEqual(solvedBy({ by: 1 }, members), { id: 1, name: 'Ann' });
  assert.deepEqual(solvedBy({ by: 2 }, members), { id: 2, name: 'Player #2' });
  assert.deepEqual(solvedBy({ by: 5 }, members), { id: 5, name: null }, 'left the team since');
  assert.equal(solvedBy({}, members), null);
  assert.equal(solvedBy({ by: 0 }, members), null);
});

test('profileSeries is one line from 0, stepping at each point of the series, to the score now', () => {
  const page = { player_id: 7, score: 250, series: [[100_000, 100], [200_000, 300], [300_000, 250]] };
  const s = profileSeries(page, 'Ada', 400_000);
  assert.equal(s.lines.length, 1);
  assert.equal(s.lines[0].label, 'Ada');
  assert.equal(s.lines[0].player_id, 7);
  assert.equal(s.end, 400_000);
  assert.ok(s.start < 100_000, 'room left of the first step');
  assert.deepEqual(s.lines[0].points.map((p) => p.y), [0, 100, 300, 250, 250]);
  assert.deepEqual(s.lines[0].points.slice(1, 4).map((p) => p.x), [100_000, 200_000, 300_000]);
  // The axis reaches at least a minute past the first step.
  const one = { player_id: 7, score: 100, series: [[100_000, 100]] };
  assert.equal(profileSeries(one, 'Ada', 100_500).end, 160_000);
  // A clock behind the server's never cuts the last step off.
  assert.equal(profileSeries(page, 'Ada', 250_000).end, 300_000);
  // No series yet: a flat line at the score.
  const flat = profileSeries({ player_id: 1, score: 0, series: [] }, 'New', 500_000);
  assert.deepEqual(flat.lines[0].points, [{ x: 440_000, y: 0 }, { x: 500_000, y: 0 }]);
});

test('boardKey changes with an event, a snapshot and the freeze; onBoardChange follows it', () => {
  const m = new Scoreboard();
  let calls = 0;
  let alive = true;
  onBoardChange(m, () => calls++, () => alive);
  const k0 = boardKey(m);
  m.loadSnapshot({ last_id: 3, players: [{ player_id: 1, displayname: 'A', score: 10, solves: 1, last_solve_ts: 5 }] });
  assert.notEqual(boardKey(m), k0);
  assert.equal(calls, 1);
  m.apply({ id: 4, type: 'score', player_id: 1, ts: 9, points: 5 });
  assert.equal(calls, 2);
  m.apply({ id: 4, type: 'score', player_id: 1, ts: 9, points: 5 }); // a duplicate: nothing new
  assert.equal(calls, 2);
  m.setFrozen(true);
  assert.equal(calls, 3);
  alive = false; // the view is gone: it stops listening
  m.setFrozen(false);
  assert.equal(calls, 3);
  assert.equal(m.listeners.size, 0);
});

/** fakeClock drives Refetcher's timers by hand. */
function fakeClock() {
  let t = 0;
  const timers = new Map();
  let next = 1;
  return {
    now: () => t,
    setTimer: (fn, ms) => {
      timers.set(next, { fn, at: t + ms });
      return next++;
    },
    clearTimer: (id) => timers.delete(id),
    advance(ms) {
      t += ms;
      for (const [id, tm] of [...timers]) {
        if (tm.at <= t) {
          timers.delete(id);
          tm.fn();
        }
      }
    },
    pending: () => timers.size,
  };
}

test('Refetcher makes one fetch of a burst, at most one per gap, and none once stopped', () => {
  const clock = fakeClock();
  let runs = 0;
  const r = new Refetcher({
    run: () => runs++, gapMs: 2000, jitterMs: 1000, random: () => 0.5, now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer,
  });
  r.trigger();
  r.trigger();
  r.trigger();
  assert.equal(clock.pending(), 1, 'one timer for the burst');
  clock.advance(499);
  assert.equal(runs, 0, 'waits its jitter');
  clock.advance(1);
  assert.equal(runs, 1);
  // Right after a fetch the next one waits out the gap.
  r.trigger();
  clock.advance(2000);
  assert.equal(runs, 1);
  clock.advance(500);
  assert.equal(runs, 2);
  r.trigger();
  r.stop();
  clock.advance(10_000);
  assert.equal(runs, 2);
  r.trigger();
  assert.equal(clock.pending(), 0);
});

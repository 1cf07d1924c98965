// The scoreboard fold and the stream's pure helpers, without a browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard, compareStandings } from '../../src/model.js';
import { backoffDelay, streamUrl } from '../../src/stream.js';

const snapshot = {
  type: 'snapshot',
  last_id: 10,
  players: [
    { rank: 1, player_id: 7, displayname: 'Alice', score: 300, solves: 2, last_solve_ts: 2000 },
    { rank: 2, player_id: 3, displayname: 'Bob', score: 100, solves: 1, last_solve_ts: 1500 },
  ],
  series: [{ player_id: 7, displayname: 'Alice', points: [[1000, 100], [2000, 300]] }],
  events: [
    { id: 9, type: 'rename', player_id: 3, displayname: 'Bob', ts: 1400 },
    { id: 10, type: 'score', player_id: 7, displayname: 'Alice', ts: 2000, challenge_id: 2, challenge: 'Two', points: 200 },
  ],
};

test('a snapshot replaces the model', () => {
  const m = new Scoreboard();
  m.apply({ id: 1, type: 'score', player_id: 99, displayname: 'Ghost', ts: 1, points: 5 });
  m.loadSnapshot(snapshot);
  assert.equal(m.ready, true);
  assert.equal(m.lastId, 10);
  assert.equal(m.score(99), null);
  assert.deepEqual(m.ranked().map((p) => [p.rank, p.displayname, p.score]), [[1, 'Alice', 300], [2, 'Bob', 100]]);
  assert.deepEqual(m.recent.map((e) => e.id), [10], 'renames are not news');
});

test('live events fold in once, in id order', () => {
  const m = new Scoreboard();
  m.loadSnapshot(snapshot);
  let notified = 0;
  m.subscribe(() => notified++);
  assert.equal(m.apply({ id: 11, type: 'score', player_id: 3, displayname: 'Bob', ts: 3000, challenge_id: 1, points: 250 }), true);
  assert.equal(m.apply({ id: 11, type: 'score', player_id: 3, displayname: 'Bob', ts: 3000, challenge_id: 1, points: 250 }), false, 'a duplicate id is ignored');
  assert.equal(m.apply({ id: 5, type: 'score', player_id: 3, ts: 3000, points: 1000 }), false, 'an old id is ignored');
  assert.equal(m.score(3), 350);
  assert.equal(notified, 1);
  m.apply({ id: 12, type: 'hint', player_id: 3, displayname: 'Bob', ts: 3100, challenge_id: 1, hint_id: 1, points: -25 });
  assert.equal(m.score(3), 325);
  const bob = m.ranked()[0];
  assert.deepEqual([bob.displayname, bob.solves, bob.last_solve_ts], ['Bob', 2, 3000], 'a hint is not a solve');
});

test('renames apply by player id, also to new players', () => {
  const m = new Scoreboard();
  m.loadSnapshot(snapshot);
  m.apply({ id: 11, type: 'rename', player_id: 7, displayname: 'Alice B', ts: 3000 });
  m.apply({ id: 12, type: 'rename', player_id: 42, displayname: 'Newcomer', ts: 3001 });
  assert.deepEqual(m.ranked().map((p) => p.displayname), ['Alice B', 'Bob', 'Newcomer']);
  assert.equal(m.chartSeries(10).lines[0].label, 'Alice B');
});

test('ties rank by the earlier last solve, then player id', () => {
  const list = [
    { player_id: 1, score: 100, last_solve_ts: 500 },
    { player_id: 2, score: 100, last_solve_ts: 400 },
    { player_id: 3, score: 200, last_solve_ts: 900 },
    { player_id: 0, score: 100, last_solve_ts: 500 },
  ].sort(compareStandings);
  assert.deepEqual(list.map((p) => p.player_id), [3, 2, 0, 1]);
});

test('chart lines run from the first event to now, top 10 only', () => {
  const m = new Scoreboard();
  m.loadSnapshot(snapshot);
  for (let i = 0; i < 12; i++) {
    m.apply({ id: 20 + i, type: 'score', player_id: 100 + i, displayname: `P${i}`, ts: 5000 + i, points: 10 + i });
  }
  const { start, end, lines } = m.chartSeries(10, 100_000);
  assert.equal(lines.length, 10);
  assert.equal(end, 100_000);
  assert.ok(start < 1000, 'room before the first event');
  const alice = lines.find((l) => l.label === 'Alice');
  assert.deepEqual(alice.points, [{ x: start, y: 0 }, { x: 1000, y: 100 }, { x: 2000, y: 300 }, { x: 100_000, y: 300 }]);
  // Bob was in the snapshot without history: his line starts at the snapshot.
  m.apply({ id: 40, type: 'score', player_id: 3, displayname: 'Bob', ts: 9000, points: 500 });
  const bob = m.chartSeries(10, 100_000).lines.find((l) => l.label === 'Bob');
  assert.deepEqual(bob.points, [{ x: 2000, y: 100 }, { x: 9000, y: 600 }, { x: 100_000, y: 600 }]);
});

test('backoff grows, is capped and jittered', () => {
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(50, () => 1), 15_000);
  assert.equal(backoffDelay(50, () => 0), 7500);
});

test('stream URLs get ws schemes and since', () => {
  const base = 'http://ctf.test:8080/#scoreboard';
  assert.equal(streamUrl('ws://ctf.test:8080/scorestream?token=abc', 0, base), 'ws://ctf.test:8080/scorestream?token=abc');
  assert.equal(streamUrl('ws://ctf.test:8080/scorestream?token=abc&since=3', 17, base), 'ws://ctf.test:8080/scorestream?token=abc&since=17');
  assert.equal(streamUrl('/scorestream?token=a%2Bb', 5, 'https://ctf.test/'), 'wss://ctf.test/scorestream?token=a%2Bb&since=5');
});

// The rank notices of live.js ("you moved to rank N"), without a
// browser: the rank counted as the scoreboard orders players, and a
// notice only when it changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard } from '../../src/model.js';
import { rankOf, rankMessage, watchRank } from '../../src/live.js';

const snapshot = {
  type: 'snapshot',
  last_id: 2,
  players: [
    { player_id: 7, displayname: 'Alice', score: 300, solves: 2, last_solve_ts: 2000 },
    { player_id: 3, displayname: 'Bob', score: 100, solves: 1, last_solve_ts: 1500 },
    { player_id: 5, displayname: 'Carol', score: 100, solves: 1, last_solve_ts: 1200 },
  ],
};

test('rankOf agrees with the ranked board, ties broken by the earlier solve', () => {
  const m = new Scoreboard();
  m.loadSnapshot(snapshot);
  for (const p of m.ranked()) assert.equal(rankOf(m, p.player_id), p.rank, p.displayname);
  assert.equal(rankOf(m, 5), 2, 'Carol reached 100 first');
  assert.equal(rankOf(m, 42), null, 'not on the board');
});

test('rankMessage says where to and from which rank', () => {
  assert.equal(rankMessage(2, 5), 'You moved to rank 2 (up from 5).');
  assert.equal(rankMessage(3, 1), 'You moved to rank 3 (down from 1).');
  assert.equal(rankMessage(1, 2, 'Your team'), 'Your team moved to rank 1 (up from 2).');
});

test('watchRank speaks when the rank changes, not before it is known nor when it stays', () => {
  const m = new Scoreboard();
  const said = [];
  const stop = watchRank(m, () => 3, (t) => said.push(t));
  m.loadSnapshot(snapshot); // first known: rank 3, nothing said
  assert.deepEqual(said, []);
  m.apply({ id: 3, type: 'score', player_id: 3, displayname: 'Bob', ts: 3000, points: 10 });
  assert.deepEqual(said, ['You moved to rank 2 (up from 3).']);
  m.apply({ id: 4, type: 'score', player_id: 3, displayname: 'Bob', ts: 3100, points: 10 });
  assert.deepEqual(said.length, 1, 'still second: no notice');
  m.apply({ id: 5, type: 'score', player_id: 5, displayname: 'Carol', ts: 3200, points: 50 });
  assert.deepEqual(said.slice(1), ['You moved to rank 3 (down from 2).']);
  stop();
  m.apply({ id: 6, type: 'score', player_id: 3, displayname: 'Bob', ts: 3300, points: 500 });
  assert.equal(said.length, 2, 'unsubscribed');
});

test('watchRank follows the id that stands for the player: a new one (a team joined) starts over', () => {
  const m = new Scoreboard();
  const said = [];
  let id = 3;
  watchRank(m, () => id, (t) => said.push(t), () => 'Your team');
  m.loadSnapshot(snapshot); // Bob: 3rd
  id = 7; // joined Alice's team, first: no notice for the change of id
  m.apply({ id: 3, type: 'score', player_id: 5, displayname: 'Carol', ts: 3000, points: 1 });
  assert.deepEqual(said, []);
  m.apply({ id: 4, type: 'score', player_id: 5, displayname: 'Carol', ts: 3100, points: 500 });
  assert.deepEqual(said, ['Your team moved to rank 2 (down from 1).']);
  id = null; // left the team: not on the board, nothing to say
  m.apply({ id: 5, type: 'score', player_id: 3, displayname: 'Bob', ts: 3200, points: 900 });
  assert.equal(said.length, 1);
});

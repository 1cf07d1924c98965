// Issue 12's frames through the real stream client and model, without a
// browser: announcements (snapshot, frames, GET), clock and release
// signals, a second snapshot (the unfreeze) replacing the board, the
// frozen flag and first bloods.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard, firstBloods } from '../../src/model.js';
import { ScoreStream } from '../../src/stream.js';
import { describeEvent } from '../../src/scoreboard.js';

const ann = (id, ts, message, challengeId) => ({
  id, type: 'announcement', ts, message, ...(challengeId ? { challenge_id: challengeId } : {}),
});
const score = (id, pid, name, ts, points, extra = {}) => ({
  id, type: 'score', player_id: pid, displayname: name, ts, challenge_id: 1, challenge: 'One', points, ...extra,
});

const snapshot = (over = {}) => ({
  type: 'snapshot',
  last_id: 10,
  players: [
    { player_id: 7, displayname: 'Alice', score: 300, solves: 2, last_solve_ts: 2000 },
    { player_id: 3, displayname: 'Bob', score: 100, solves: 1, last_solve_ts: 1500 },
  ],
  series: [{ player_id: 7, displayname: 'Alice', points: [[1000, 100], [2000, 300]] }],
  events: [score(10, 7, 'Alice', 2000, 200)],
  announcements: [ann(4, 900, 'Welcome! **Have fun.**'), ann(8, 1800, 'Flag of *One* is case-sensitive.', 1)],
  ...over,
});

/** harness runs a ScoreStream on a fake socket and records its callbacks. */
function harness() {
  const model = new Scoreboard();
  const calls = { events: [], snapshots: [], states: [] };
  const stream = new ScoreStream({
    model,
    onEvents: (evs) => calls.events.push(evs),
    onSnapshot: (first) => calls.snapshots.push(first),
    onState: (st) => calls.states.push(st),
  });
  const ws = { readyState: 1 };
  stream.ws = ws;
  const send = (...objs) => stream.onMessage(ws, { data: JSON.stringify(objs) });
  return { model, stream, calls, send };
}

test('announcements come from the snapshot, then from frames, each once', () => {
  const { model, calls, send } = harness();
  send(snapshot());
  assert.deepEqual(calls.snapshots, [true]);
  assert.deepEqual(model.announcements.map((a) => a.message), ['Welcome! **Have fun.**', 'Flag of *One* is case-sensitive.']);
  assert.equal(model.announcements[1].challenge_id, 1);
  assert.equal('challenge_id' in model.announcements[0], false);

  send(ann(11, 3000, 'Challenge 2 is fixed.', 2));
  assert.equal(calls.events.length, 1);
  assert.deepEqual(calls.events[0].map((e) => e.type), ['announcement']);
  assert.equal(model.announcements.at(-1).message, 'Challenge 2 is fixed.');
  // A resume may repeat it: no second callback, no duplicate.
  send(ann(11, 3000, 'Challenge 2 is fixed.', 2));
  assert.equal(calls.events.length, 1);
  assert.equal(model.announcements.length, 3);
  // GET /api/announcements has every one, possibly under other ids (a
  // freeze hides the log's ids from the stream): merged by content.
  const added = model.mergeAnnouncements([
    { id: 2, ts: 500, message: 'Older than the snapshot.' },
    { id: 4, ts: 900, message: 'Welcome! **Have fun.**' },
    { id: 99, ts: 3000, message: 'Challenge 2 is fixed.', challenge_id: 2 },
  ]);
  assert.deepEqual(added.map((a) => a.message), ['Older than the snapshot.']);
  assert.deepEqual(model.announcements.map((a) => a.ts), [500, 900, 1800, 3000], 'oldest first');
});

test('a later snapshot (the unfreeze) replaces board, series and events but keeps announcements', () => {
  const { model, calls, send } = harness();
  send(snapshot({ frozen: true }));
  assert.equal(model.frozen, true);
  send(score(11, 3, 'Bob', 2500, 50));
  assert.equal(model.score(3), 150);
  model.mergeAnnouncements([{ id: 1, ts: 100, message: 'The very first.' }]);

  // The true board: Bob solved twice more during the freeze, Carol joined.
  send(snapshot({
    frozen: false,
    last_id: 40,
    players: [
      { player_id: 3, displayname: 'Bob', score: 500, solves: 3, last_solve_ts: 5000 },
      { player_id: 7, displayname: 'Alice', score: 300, solves: 2, last_solve_ts: 2000 },
      { player_id: 9, displayname: 'Carol', score: 120, solves: 1, last_solve_ts: 4500 },
    ],
    series: [{ player_id: 3, displayname: 'Bob', points: [[1500, 100], [5000, 500]] }],
    events: [score(39, 9, 'Carol', 4500, 120), score(40, 3, 'Bob', 5000, 250)],
    announcements: [ann(8, 1800, 'Flag of *One* is case-sensitive.', 1)],
  }));
  assert.deepEqual(calls.snapshots, [true, false], 'the second snapshot is not the first');
  assert.equal(model.frozen, false);
  assert.equal(model.lastId, 40);
  assert.deepEqual(model.ranked().map((p) => [p.displayname, p.score]), [['Bob', 500], ['Alice', 300], ['Carol', 120]]);
  assert.deepEqual(model.recent.map((e) => e.id), [39, 40], 'events replaced, not appended');
  assert.deepEqual([...model.series.keys()], [3], 'series replaced');
  assert.equal(model.announcements.length, 3, 'announcements survive a snapshot');
  // Events after it apply; ones before it do not.
  send(score(40, 3, 'Bob', 5000, 250), score(41, 7, 'Alice', 6000, 100));
  assert.equal(model.score(3), 500);
  assert.equal(model.score(7), 400);
});

test('clock and release frames reach the app without touching the board', () => {
  const { model, calls, send } = harness();
  send(snapshot());
  let notified = 0;
  model.subscribe(() => notified++);
  send({ type: 'clock', id: 11, ts: 3000 }, { type: 'release', id: 12, ts: 3001, challenge_id: 4, challenge: 'Late One' });
  assert.deepEqual(calls.events.at(-1).map((e) => e.type), ['clock', 'release']);
  assert.equal(model.lastId, 12, 'their ids count for since=');
  assert.equal(notified, 0, 'no redraw of the board');
  assert.equal(model.players.size, 2);
  // Repeated after a resume: ignored.
  send({ type: 'clock', id: 11, ts: 3000 });
  assert.equal(calls.events.length, 1);
});

test('the frozen flag follows the snapshot and the clock', () => {
  const m = new Scoreboard();
  m.loadSnapshot(snapshot());
  assert.equal(m.frozen, false, 'absent means not frozen');
  let notified = 0;
  m.subscribe(() => notified++);
  m.setFrozen(true);
  m.setFrozen(true);
  assert.deepEqual([m.frozen, notified], [true, 1]);
  m.loadSnapshot(snapshot({ frozen: false }));
  assert.equal(m.frozen, false);
});

test('first bloods: picked for the toast, told in the latest events', () => {
  const { model, calls, send } = harness();
  send(snapshot());
  send(score(11, 3, 'Bob', 3000, 100, { first_blood: 1 }), score(12, 7, 'Alice', 3100, 100, { first_blood: 2 }),
    score(13, 9, 'Carol', 3200, 100));
  const fresh = calls.events.at(-1);
  assert.deepEqual(firstBloods(fresh).map((e) => e.displayname), ['Bob']);
  assert.equal(model.recent.at(-3).first_blood, 1, 'kept on the event');
  assert.equal(describeEvent(model.recent.at(-3)), 'Bob solved One (+100 pts, first blood)');
  assert.equal(describeEvent(model.recent.at(-2)), 'Alice solved One (+100 pts, second solver)');
  assert.equal(describeEvent(model.recent.at(-1)), 'Carol solved One (+100 pts)');
  // The snapshot's events are history: the app toasts only live frames.
  assert.deepEqual(firstBloods([{ type: 'hint', first_blood: 1 }, null]), []);
});

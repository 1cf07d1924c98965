// The competition clock under Node: the offset from the server's `now`,
// the countdown, the gate for flags, and the watcher's timers, all with
// an injected local clock (no waiting).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClockWatcher, RESYNC_MS, clockRefusal, describe, formatDuration, gate, phase, readClock,
} from '../../src/clock.js';

const T0 = Date.parse('2025-06-01T09:00:00Z');
const iso = (ms) => new Date(ms).toISOString();

/** fakeTime is a local clock and timers that move only when told. */
function fakeTime(start) {
  const t = { now: start, timers: new Map(), next: 1 };
  t.setTimer = (fn, ms) => {
    const id = t.next++;
    t.timers.set(id, { at: t.now + ms, fn });
    return id;
  };
  t.clearTimer = (id) => t.timers.delete(id);
  t.pending = () => [...t.timers.values()].map((x) => x.at - t.now).sort((a, b) => a - b);
  // advance moves time on and runs the timers that come due, in order.
  t.advance = async (ms) => {
    const until = t.now + ms;
    for (;;) {
      const due = [...t.timers.entries()].filter(([, x]) => x.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      t.timers.delete(due[0]);
      t.now = due[1].at;
      due[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    t.now = until;
  };
  return t;
}

test('the offset is server now minus local now, so a wrong browser clock counts right', () => {
  // The browser's clock is 10 minutes fast; the server says 09:00:00.
  const local = T0 + 10 * 60_000;
  const c = readClock({ now: iso(T0), start: iso(T0 + 90_000), end: null, state: 'before', frozen: false }, local);
  assert.equal(c.offset, -10 * 60_000);
  const serverNow = local + c.offset;
  assert.equal(phase(c, serverNow), 'before');
  assert.deepEqual(describe(c, serverNow), { phase: 'before', text: 'Starts in 1:30', until: 90_000 });
  // Half a second later by the (wrong) local clock: still counted from the server's.
  assert.equal(describe(c, local + 500 + c.offset).text, 'Starts in 1:30', 'rounds up');
  assert.equal(describe(c, local + 1000 + c.offset).text, 'Starts in 1:29');
  assert.equal(phase(c, T0 + 90_000), 'starting', 'at the start it waits for the server');
});

test('fields the server does not send yet read as absent', () => {
  const c = readClock({ now: iso(T0), start: null, end: null, state: 'running', frozen: false }, T0);
  assert.deepEqual(
    [c.freeze, c.nextRelease, c.practice, c.paused, c.frozen],
    [null, null, false, false, false]);
  assert.equal(describe(c, T0).text, '', 'a game without an end shows no clock');
  const junk = readClock(null, T0);
  assert.equal(junk.state, 'running');
  assert.equal(junk.offset, 0);
});

test('countdowns format days, hours, minutes', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(-5000), '0:00');
  assert.equal(formatDuration(59_001), '1:00');
  assert.equal(formatDuration(3_723_000), '1:02:03');
  assert.equal(formatDuration(2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5000), '2d 03:04:05');
});

test('the gate closes before the start, while paused and after the end, unless practice', () => {
  const base = { now: iso(T0), start: iso(T0 - 1000), end: iso(T0 + 60_000), frozen: false };
  const running = readClock({ ...base, state: 'running' }, T0);
  assert.equal(gate(running, T0).open, true);
  // Past the end by our clock: closed at once, before the server says so.
  assert.equal(phase(running, T0 + 60_000), 'ended');
  assert.equal(gate(running, T0 + 60_000).open, false);
  const paused = readClock({ ...base, state: 'paused', paused: true }, T0);
  assert.deepEqual([gate(paused, T0).open, describe(paused, T0).text], [false, 'Paused']);
  assert.match(gate(paused, T0).reason, /paused/);
  const before = readClock({ ...base, start: iso(T0 + 5000), state: 'before' }, T0);
  assert.equal(gate(before, T0).open, false);
  const ended = readClock({ ...base, end: iso(T0 - 500), state: 'ended' }, T0);
  assert.equal(gate(ended, T0).open, false);
  const practice = readClock({ ...base, end: iso(T0 - 500), state: 'ended', practice: true }, T0);
  const g = gate(practice, T0);
  assert.deepEqual([g.open, g.practice], [true, true]);
  assert.match(g.reason, /not scored/);
  assert.equal(describe(practice, T0).text, 'Ended · practice mode');
});

test('403 codes of the clock have sentences; others do not', () => {
  assert.match(clockRefusal('not_started'), /not started/);
  assert.match(clockRefusal('paused'), /paused/);
  assert.match(clockRefusal('ended'), /ended/);
  assert.equal(clockRefusal('locked'), null);
});

test('the watcher refetches at the start, and retries until the server has crossed it', async () => {
  const t = fakeTime(T0 + 3_600_000); // the browser is an hour off
  let serverOffset = -3_600_000;
  let serverStarted = false;
  const start = T0 + 5000;
  const replies = [];
  const w = new ClockWatcher({
    now: () => t.now, setTimer: t.setTimer, clearTimer: t.clearTimer,
    fetch: async () => {
      const now = t.now + serverOffset;
      const r = { now: iso(now), start: iso(start), end: null, state: serverStarted ? 'running' : 'before', frozen: false };
      replies.push(r);
      return r;
    },
    onChange: () => {},
  });
  const changes = [];
  w.onChange = (c, prev) => changes.push([prev && prev.state, c.state]);
  await w.refresh();
  assert.equal(w.clock.offset, -3_600_000);
  assert.equal(Math.round(w.serverNow()), T0);
  // One timer, just after the start in server time (not local time).
  assert.deepEqual(t.pending(), [5150]);
  // The server is a little late crossing the start: the watcher asks again.
  await t.advance(5150);
  assert.equal(replies.length, 2);
  assert.equal(w.clock.state, 'before');
  assert.ok(t.pending()[0] <= 500, `retry soon, not ${t.pending()[0]}`);
  serverStarted = true;
  await t.advance(500);
  assert.equal(w.clock.state, 'running');
  assert.deepEqual(changes.at(-1), ['before', 'running']);
  // Nothing ahead: the next fetch is the regular resync.
  assert.deepEqual(t.pending(), [RESYNC_MS]);
  serverOffset = -3_600_000 + 2000; // the server's clock moved: the offset follows
  await t.advance(RESYNC_MS);
  assert.equal(w.clock.offset, -3_598_000);
  w.stop();
  assert.deepEqual(t.pending(), []);
});

test('the watcher wakes for the next release, the freeze and the end', async () => {
  const t = fakeTime(T0);
  const w = new ClockWatcher({
    now: () => t.now, setTimer: t.setTimer, clearTimer: t.clearTimer,
    fetch: async () => ({
      now: iso(t.now), start: iso(T0 - 1000), end: iso(T0 + 50_000), freeze: iso(T0 + 20_000),
      next_release: iso(T0 + 10_000), state: 'running', frozen: false,
    }),
  });
  await w.refresh();
  assert.deepEqual(t.pending(), [10_150], 'the release comes first');
  w.clock.nextRelease = null;
  w.schedule(false);
  assert.deepEqual(t.pending(), [20_150], 'then the freeze');
  w.clock.freeze = null;
  w.schedule(false);
  assert.deepEqual(t.pending(), [50_150], 'then the end');
  // An old boundary (an admin unfroze after the freeze time) is no reason to retry.
  w.clock.freeze = T0 - 120_000;
  w.schedule(false);
  assert.deepEqual(t.pending(), [50_150]);
  w.stop();
});

test('a burst of refreshes costs two fetches; a failed fetch keeps the clock and retries', async () => {
  const t = fakeTime(T0);
  let calls = 0;
  let fail = false;
  let release;
  const w = new ClockWatcher({
    now: () => t.now, setTimer: t.setTimer, clearTimer: t.clearTimer,
    fetch: () => {
      calls++;
      if (fail) return Promise.reject(new Error('network'));
      return new Promise((r) => {
        release = () => r({ now: iso(t.now), start: null, end: null, state: 'paused', paused: true, frozen: true });
      });
    },
  });
  const first = w.refresh();
  w.refresh();
  w.refresh();
  release();
  await first;
  await new Promise((r) => setImmediate(r));
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 2);
  assert.equal(w.clock.state, 'paused');
  assert.equal(w.clock.frozen, true);
  fail = true;
  await w.refresh();
  assert.equal(w.clock.state, 'paused', 'kept');
  assert.ok(t.pending()[0] <= 1000, 'retried soon');
  w.stop();
});

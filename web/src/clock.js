// The competition clock as the browser sees it: GET /api/clock read into
// numbers, the offset between the server's clock and ours (a browser's
// clock may be minutes off, so every countdown counts in server time),
// and a watcher that refetches at the moments the state changes (start,
// end, freeze, the next scheduled release), when a "clock" frame says so,
// and once a minute in case a frame was missed. No DOM here: the unit
// tests run it under Node with their own time.

const STATES = new Set(['before', 'running', 'paused', 'ended']);

/** RESYNC_MS: the longest the watcher goes without asking the server. */
export const RESYNC_MS = 60_000;
// Timers wake a little after a boundary, so that the server has crossed
// it too (our offset is only as good as half a round trip).
const WAKE_LATE_MS = 150;
// setTimeout misbehaves past 2³¹−1 ms; far boundaries are reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRIES = 6; // 0.5 s … 16 s after a boundary the server has not crossed yet
// A boundary further back than this is history (an admin unfroze after
// the freeze time, a release waits for a prerequisite), not a retry.
const OVERDUE_MS = 30_000;

/** parseTime reads an RFC 3339 time (or null) into Unix ms, else null. */
export function parseTime(v) {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * readClock turns a GET /api/clock reply into numbers. localAt is our
 * clock when the server read its own (the middle of the request), so
 * offset = server now − local now, and server time = Date.now() + offset.
 * Fields the server does not send yet read as absent (null, false).
 */
export function readClock(reply, localAt) {
  const r = reply && typeof reply === 'object' ? reply : {};
  const now = parseTime(r.now);
  const state = STATES.has(r.state) ? r.state : 'running';
  return {
    offset: now === null ? 0 : now - localAt,
    state,
    start: parseTime(r.start),
    end: parseTime(r.end),
    freeze: parseTime(r.freeze),
    nextRelease: parseTime(r.next_release),
    frozen: r.frozen === true,
    paused: r.paused === true || state === 'paused',
    practice: r.practice === true,
  };
}

/**
 * phase is the state the player sees at server time t: the server's
 * state, except that a running game whose end has passed shows "ended"
 * at once (closing early is safe), and a game whose start has passed
 * shows "starting" until the server confirms it runs.
 */
export function phase(c, t) {
  if (!c) return 'running';
  if ((c.state === 'running' || c.state === 'paused') && c.end !== null && t >= c.end) return 'ended';
  if (c.state === 'before' && c.start !== null && t >= c.start) return 'starting';
  return c.state;
}

/**
 * gate says whether flags (and hints) may be sent at server time t:
 * {open, reason, practice}. reason explains a closed gate (or, in
 * practice mode, what a solve means then).
 */
export function gate(c, t) {
  switch (phase(c, t)) {
    case 'before':
    case 'starting':
      return { open: false, practice: false, reason: 'The game has not started yet: flags are accepted from the start.' };
    case 'paused':
      return { open: false, practice: false, reason: 'The game is paused: flags and hints are not accepted until the organizers resume it.' };
    case 'ended':
      if (c.practice) return { open: true, practice: true, reason: 'Practice mode: the game has ended, flags are still checked but solves are not scored.' };
      return { open: false, practice: false, reason: 'The game has ended: flags are no longer accepted.' };
    default:
      return { open: true, practice: false, reason: null };
  }
}

/** clockRefusal is the player's sentence for a 403 from submit or hint, or null. */
export function clockRefusal(code) {
  switch (code) {
    case 'not_started':
      return 'The game has not started yet: flags are accepted from the start.';
    case 'paused':
      return 'The game is paused: flags and hints are not accepted until the organizers resume it.';
    case 'ended':
      return 'The game has ended: flags are no longer accepted.';
    default:
      return null;
  }
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * formatDuration renders a countdown: "4:05", "1:02:03", "2d 03:04:05".
 * It rounds up, so "0:01" shows until the moment itself.
 */
export function formatDuration(ms) {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h) return `${h}:${pad(m)}:${pad(s)}`;
  return `${m}:${pad(s)}`;
}

/**
 * describe is the short line for the header or the board at server time
 * t: {phase, text, until} where until is the ms left to the next
 * boundary shown (null when none).
 */
export function describe(c, t) {
  const p = phase(c, t);
  if (!c) return { phase: p, text: '', until: null };
  switch (p) {
    case 'before':
      return c.start !== null
        ? { phase: p, text: `Starts in ${formatDuration(c.start - t)}`, until: c.start - t }
        : { phase: p, text: 'Not started yet', until: null };
    case 'starting':
      return { phase: p, text: 'Starting…', until: 0 };
    case 'paused':
      return { phase: p, text: 'Paused', until: null };
    case 'ended':
      return { phase: p, text: c.practice ? 'Ended · practice mode' : 'Ended', until: null };
    default:
      // A game without an end needs no clock on screen.
      return c.end !== null
        ? { phase: p, text: `Ends in ${formatDuration(c.end - t)}`, until: c.end - t }
        : { phase: p, text: '', until: null };
  }
}

/**
 * ClockWatcher keeps the clock current. opts: fetch() → the /api/clock
 * reply; onChange(clock, prev) after every successful fetch; now,
 * setTimer, clearTimer for tests.
 */
export class ClockWatcher {
  constructor(opts) {
    this.fetchClock = opts.fetch;
    this.onChange = opts.onChange || (() => {});
    this.now = opts.now || (() => Date.now());
    this.setTimer = opts.setTimer || ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer || ((id) => clearTimeout(id));
    this.clock = null;
    this.timer = null;
    this.retries = 0;
    this.inflight = null;
    this.again = false;
    this.stopped = false;
  }

  /** serverNow is our best guess of the server's time (Unix ms). */
  serverNow() {
    return this.now() + (this.clock ? this.clock.offset : 0);
  }

  /**
   * refresh fetches the clock now; calls while one is in flight fold into
   * one more fetch after it (a burst of "clock" frames costs two).
   */
  refresh() {
    if (this.stopped) return Promise.resolve(this.clock);
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = this.fetchOnce().finally(() => {
      this.inflight = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.refresh();
      }
    });
    return this.inflight;
  }

  async fetchOnce() {
    const t0 = this.now();
    let reply;
    try {
      reply = await this.fetchClock();
    } catch {
      if (!this.stopped) this.schedule(true);
      return this.clock;
    }
    if (this.stopped) return this.clock;
    const t1 = this.now();
    const prev = this.clock;
    this.clock = readClock(reply, (t0 + t1) / 2);
    this.schedule(false);
    this.onChange(this.clock, prev);
    return this.clock;
  }

  /** boundaries are the times at which the server's answer will change. */
  boundaries() {
    const c = this.clock;
    if (!c) return [];
    const out = [];
    if (c.state === 'before' && c.start !== null) out.push(c.start);
    if ((c.state === 'running' || c.state === 'paused') && c.end !== null) out.push(c.end);
    if (!c.frozen && c.freeze !== null && c.state !== 'ended') out.push(c.freeze);
    if (c.nextRelease !== null) out.push(c.nextRelease);
    return out;
  }

  /** nextDelay is how long to wait before the next fetch (ms). */
  nextDelay(failed) {
    const t = this.serverNow();
    const times = this.boundaries();
    // A boundary we passed that the server's answer does not show yet:
    // our offset is a little off, or the server is slow; ask again soon,
    // a few times, then leave it to the regular resync.
    const overdue = failed || times.some((x) => x <= t && t - x < OVERDUE_MS);
    if (overdue && this.retries < RETRIES) return 500 * 2 ** this.retries++;
    if (!overdue) this.retries = 0;
    const future = times.filter((x) => x > t);
    const next = future.length ? Math.min(...future) - t + WAKE_LATE_MS : Infinity;
    return Math.min(next, RESYNC_MS, MAX_TIMER_MS);
  }

  schedule(failed) {
    if (this.timer !== null) this.clearTimer(this.timer);
    const delay = this.nextDelay(failed);
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.refresh();
    }, delay);
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}

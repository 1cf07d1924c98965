// Refetching after live frames, spread out: a burst of frames makes one
// request, at most one per gap, at a random moment within the jitter, so
// that a thousand open browsers hearing the same frame do not ask at
// once. No DOM here: the unit tests drive it with a fake clock.

const GAP_MS = 2000; // at most one fetch per this, from its start
const JITTER_MS = 1000; // spread of a fetch: a thousand open pages hear the same frame

/**
 * Refetcher runs fetch() again after trigger(), at most once every
 * GAP_MS and at a random moment within JITTER_MS, so that a burst of
 * frames makes one request and open browsers do not ask at once. opts:
 * run (async), gapMs, jitterMs; now, setTimer, clearTimer, random (for
 * tests).
 */
export class Refetcher {
  constructor(opts) {
    this.runFn = opts.run;
    this.gap = opts.gapMs ?? GAP_MS;
    this.jitter = opts.jitterMs ?? JITTER_MS;
    this.now = opts.now || (() => Date.now());
    this.setTimer = opts.setTimer || ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer || ((id) => clearTimeout(id));
    this.random = opts.random || Math.random;
    this.timer = null;
    this.last = -Infinity;
    this.stopped = false;
  }

  /** trigger schedules one fetch; calls before it runs make no more. */
  trigger() {
    if (this.stopped || this.timer !== null) return;
    const wait = Math.max(0, this.last + this.gap - this.now()) + this.random() * this.jitter;
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (this.stopped) return;
      this.last = this.now();
      this.runFn();
    }, wait);
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}

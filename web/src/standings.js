// Dynamic scoring: a solve lowers the score of every earlier solver of
// its challenge, and its frame says only the new value ("value"). Browsers
// then fetch GET /api/scoreboard again — each at most once every few
// seconds, at a random moment, so that a thousand open apps hearing the
// same frame do not ask at once. No DOM here: the unit tests drive it.

import { Refetcher } from './refetch.js';

const MIN_GAP_MS = 4000; // at most one fetch per this, from its start
const JITTER_MS = 2000; // spread of the first fetch after a quiet time
const STALE_RETRIES = 3; // replies older than the stream: ask again, a few times

/** valueFrames picks the score frames that changed a challenge's value. */
export function valueFrames(events) {
  return events.filter((ev) => ev && ev.type === 'score' && typeof ev.value === 'number');
}

/**
 * StandingsRefresher refetches the scoreboard into a model after value
 * frames. opts: model (a Scoreboard), fetch() → the /api/scoreboard reply,
 * onLoaded() after the model took one; now, setTimer, clearTimer, random
 * for tests.
 */
export class StandingsRefresher {
  constructor(opts) {
    this.model = opts.model;
    this.fetch = opts.fetch;
    this.onLoaded = opts.onLoaded || (() => {});
    this.refetch = new Refetcher({
      run: () => this.run(),
      gapMs: MIN_GAP_MS,
      jitterMs: JITTER_MS,
      now: opts.now,
      setTimer: opts.setTimer,
      clearTimer: opts.clearTimer,
      random: opts.random,
    });
    this.ts = 0; // the newest value frame's time: when the scores fell
    this.stale = 0;
    this.stopped = false;
  }

  /** onEvents looks at a frame's events; value frames schedule a fetch. */
  onEvents(events) {
    const frames = valueFrames(events);
    if (!frames.length) return;
    for (const ev of frames) this.ts = Math.max(this.ts, ev.ts || 0);
    this.stale = 0;
    this.trigger();
  }

  /** trigger schedules one fetch (a burst of calls makes one). */
  trigger() {
    this.refetch.trigger();
  }

  async run() {
    let reply;
    try {
      reply = await this.fetch();
    } catch {
      return; // the next value frame asks again
    }
    if (this.stopped) return;
    if (this.model.loadStandings(reply, this.ts || undefined)) {
      this.onLoaded();
    } else if (this.stale++ < STALE_RETRIES) {
      this.trigger();
    }
  }

  stop() {
    this.stopped = true;
    this.refetch.stop();
  }
}

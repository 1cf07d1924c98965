// The scorestream client: a snapshot, then live events; reconnects forever
// with capped exponential backoff and jitter, asking for a fresh URL (the
// token lives an hour) before every attempt and resuming with since=<id>.

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;
const CLIENT_PING_MS = 25_000; // lets the browser notice a dead TCP path

/**
 * streamUrl turns the server's websocket_url into an absolute ws(s) URL,
 * with since=<lastId> when lastId > 0.
 */
export function streamUrl(raw, lastId, base = location.href) {
  const u = new URL(raw, base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (lastId > 0) u.searchParams.set('since', String(lastId));
  else u.searchParams.delete('since');
  return u.toString();
}

/** backoffDelay is attempt n's wait: min(cap, base·2ⁿ), jittered to 50–100 %. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class ScoreStream {
  /**
   * opts.model: the Scoreboard to feed.
   * opts.getUrl(): resolves to a websocket_url; rejects with an ApiError
   *   (status 401 = the session is gone).
   * opts.initialUrl: a URL fresh from login, used for the first attempt.
   * opts.onState(state): 'connecting' | 'live' | 'reconnecting'.
   * opts.onReset(): the admin reset the game (the stream has stopped).
   * opts.onUnauthorized(): the session is gone (the stream has stopped).
   * opts.onEvents(events): after live events were applied, with the new
   *   ones (score, hint, rename, announcement, clock, release).
   * opts.onSnapshot(first): after a snapshot replaced the model; first is
   *   false for a later one (a resume too old, the unfreeze).
   */
  constructor(opts) {
    this.opts = opts;
    this.model = opts.model;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.state = 'idle';
    this.pendingUrl = opts.initialUrl || null;
    this.onOnline = () => {
      if (!this.stopped && !this.ws) {
        this.attempt = 0;
        this.connectSoon(0);
      }
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.setState('connecting');
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.setState('idle');
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    if (this.opts.onState) this.opts.onState(state);
  }

  connectSoon(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  retry() {
    if (this.stopped) return;
    this.setState('reconnecting');
    this.connectSoon(backoffDelay(this.attempt++));
  }

  async connect() {
    if (this.stopped || this.ws) return;
    let raw = this.pendingUrl;
    this.pendingUrl = null;
    if (!raw) {
      try {
        raw = await this.opts.getUrl();
      } catch (err) {
        if (this.stopped) return;
        if (err && err.status === 401) {
          this.stop();
          if (this.opts.onUnauthorized) this.opts.onUnauthorized();
          return;
        }
        this.retry();
        return;
      }
      if (this.stopped || this.ws) return;
    }
    let ws;
    try {
      ws = new WebSocket(streamUrl(raw, this.model.ready ? this.model.lastId : 0));
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (msg) => this.onMessage(ws, msg);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      this.retry();
    };
    ws.onopen = () => {
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('ping');
      }, CLIENT_PING_MS);
    };
  }

  onMessage(ws, msg) {
    if (this.ws !== ws || typeof msg.data !== 'string') return;
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (!Array.isArray(frame)) frame = [frame];
    // A frame proves the connection works: the next outage starts its
    // backoff from the beginning.
    this.attempt = 0;
    this.setState('live');
    const live = [];
    for (const item of frame) {
      if (!item || typeof item !== 'object') continue;
      if (item.type === 'system') {
        if (item.event === 'reset' || item.logout) {
          this.stop();
          if (this.opts.onReset) this.opts.onReset();
          return;
        }
        continue;
      }
      if (item.type === 'snapshot') {
        // Also mid-connection: at the unfreeze every socket gets the true
        // board as a fresh snapshot, which replaces everything.
        const first = !this.model.ready;
        this.model.loadSnapshot(item);
        if (this.opts.onSnapshot) this.opts.onSnapshot(first);
        continue;
      }
      live.push(item);
    }
    if (!live.length) return;
    const fresh = this.model.applyAll(live);
    if (fresh.length && this.opts.onEvents) this.opts.onEvents(fresh);
  }
}

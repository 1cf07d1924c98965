// The live scoreboard: a fold over the scorestream's snapshot and events.
// Players are identified by player_id only; names are labels that rename
// events may change at any time. It also keeps the announcements and
// whether the public board is frozen.

const RECENT_MAX = 50;

// Frames that carry no score but that the app acts on ("clock": refetch
// the clock; "release": refetch the challenges).
const SIGNALS = new Set(['clock', 'release']);

/**
 * announcementKey identifies an announcement whatever id it arrived with:
 * during a freeze the stream's ids are not the log's, so the same
 * announcement can come with one id in a frame and another from GET
 * /api/announcements.
 */
function announcementKey(a) {
  return `${a.ts}|${a.challenge_id ?? ''}|${a.message}`;
}

function compareAnnouncements(a, b) {
  return (a.ts || 0) - (b.ts || 0) || (a.id || 0) - (b.id || 0);
}

/** firstBloods picks the score events that are a challenge's first solve. */
export function firstBloods(events) {
  return events.filter((ev) => ev && ev.type === 'score' && ev.first_blood === 1);
}

/** compareStandings orders players as the server does (docs/API.md). */
export function compareStandings(a, b) {
  return (
    b.score - a.score ||
    (a.last_solve_ts || 0) - (b.last_solve_ts || 0) ||
    a.player_id - b.player_id
  );
}

export class Scoreboard {
  constructor() {
    this.listeners = new Set();
    this.clear();
  }

  clear() {
    this.announcements = []; // {id, ts, message, challenge_id?}, oldest first
    this.announcementKeys = new Set();
    this.frozen = false; // the public board is frozen (snapshot or clock)
    this.players = new Map(); // player_id → {player_id, displayname, score, solves, last_solve_ts}
    // player_id → {points: [[ts, score]], complete}; complete means the
    // history goes back to the start of the game (from the snapshot, or a
    // player first seen live), so the line may start at zero.
    this.series = new Map();
    this.recent = []; // newest last
    this.lastId = 0;
    // The last event id a GET /api/scoreboard reply already counted
    // (loadStandings): a later frame of such an event must not count again.
    this.scoredThrough = 0;
    this.ready = false; // a snapshot has been applied
    this.snapshotTs = 0;
    this.rankedCache = null;
  }

  /** subscribe calls fn after every change; it returns the unsubscribe. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    this.rankedCache = null;
    for (const fn of this.listeners) fn(this);
  }

  /** loadSnapshot replaces everything with the server's snapshot. */
  loadSnapshot(snap) {
    // Announcements outlive snapshots: a snapshot carries only the latest,
    // and they are never withdrawn but by a reset, which logs everyone out.
    const { announcements, announcementKeys } = this;
    this.clear();
    this.announcements = announcements;
    this.announcementKeys = announcementKeys;
    for (const p of snap.players || []) {
      this.players.set(p.player_id, {
        player_id: p.player_id,
        displayname: p.displayname ?? '',
        score: p.score | 0,
        solves: p.solves | 0,
        last_solve_ts: p.last_solve_ts || 0,
      });
    }
    for (const s of snap.series || []) {
      this.series.set(s.player_id, {
        points: (s.points || []).map(([ts, score]) => [ts, score]),
        complete: true,
      });
    }
    this.recent = (snap.events || []).filter((e) => e && (e.type === 'score' || e.type === 'hint')).slice(-RECENT_MAX);
    this.lastId = snap.last_id || 0;
    this.frozen = snap.frozen === true;
    this.mergeAnnouncements(snap.announcements, false);
    let newest = 0;
    for (const e of this.recent) newest = Math.max(newest, e.ts || 0);
    // What the snapshot says held at its newest event (server time).
    this.snapshotTs = newest || Date.now();
    this.ready = true;
    this.changed();
  }

  /**
   * apply folds one live event in and reports whether anything changed.
   * Events at or below the last applied id are duplicates and ignored.
   */
  apply(ev, notify = true) {
    if (!ev || typeof ev !== 'object') return false;
    if (typeof ev.id === 'number') {
      if (ev.id <= this.lastId) return false;
      this.lastId = ev.id;
    }
    if (ev.type === 'announcement') return this.addAnnouncement(ev, notify);
    if (SIGNALS.has(ev.type)) return true;
    if (typeof ev.player_id !== 'number') return false;
    let p = this.players.get(ev.player_id);
    const isNew = !p;
    if (isNew) {
      p = { player_id: ev.player_id, displayname: '', score: 0, solves: 0, last_solve_ts: 0 };
      this.players.set(ev.player_id, p);
    }
    if (typeof ev.displayname === 'string' && ev.displayname !== '') p.displayname = ev.displayname;
    const before = p.score;
    // Already counted by a scoreboard reply that was ahead of the stream:
    // only the news is new.
    const counted = ev.id <= this.scoredThrough && (ev.type === 'score' || ev.type === 'hint');
    switch (counted ? 'counted' : ev.type) {
      case 'counted':
        break;
      case 'score':
        p.score += ev.points | 0;
        p.solves += 1;
        p.last_solve_ts = ev.ts || Date.now();
        break;
      case 'hint':
        p.score += ev.points | 0;
        break;
      case 'rename':
        break;
      default:
        return false;
    }
    if (p.score !== before) this.extendSeries(p, before, ev.ts || Date.now(), isNew);
    if (ev.type !== 'rename') {
      this.recent.push(ev);
      if (this.recent.length > RECENT_MAX) this.recent.splice(0, this.recent.length - RECENT_MAX);
    }
    if (notify) this.changed();
    return true;
  }

  /**
   * applyAll folds a frame's events in, notifies once, and returns the
   * events that were new (duplicates of a resume left out).
   */
  applyAll(events) {
    const fresh = [];
    for (const ev of events) if (this.apply(ev, false)) fresh.push(ev);
    if (fresh.some((ev) => !SIGNALS.has(ev.type))) this.changed();
    return fresh;
  }

  /**
   * loadStandings takes the scores of a GET /api/scoreboard reply (under
   * dynamic scoring a solve lowers every earlier solver's score, which no
   * frame tells). ts is when that happened (server time), for the chart.
   * It returns false, changing nothing, for a reply that misses events the
   * model has (events arrived meanwhile: ask again) or that is of another
   * board (frozen or not).
   */
  loadStandings(reply, ts = Date.now()) {
    if (!this.ready || !reply || !Array.isArray(reply.players)) return false;
    const id = Number(reply.last_id) || 0;
    if (id < this.lastId || (reply.frozen === true) !== this.frozen) return false;
    for (const r of reply.players) {
      if (!r || typeof r.player_id !== 'number') continue;
      let p = this.players.get(r.player_id);
      const isNew = !p;
      if (isNew) {
        p = { player_id: r.player_id, displayname: '', score: 0, solves: 0, last_solve_ts: 0 };
        this.players.set(r.player_id, p);
      }
      if (typeof r.displayname === 'string' && r.displayname !== '') p.displayname = r.displayname;
      const before = p.score;
      p.score = r.score | 0;
      p.solves = r.solves | 0;
      p.last_solve_ts = r.last_solve_ts || 0;
      if (p.score !== before) this.extendSeries(p, before, ts, isNew);
    }
    this.scoredThrough = Math.max(this.scoredThrough, id);
    this.changed();
    return true;
  }

  /** setFrozen records the board's freeze as GET /api/clock reports it. */
  setFrozen(frozen) {
    if (this.frozen === !!frozen) return;
    this.frozen = !!frozen;
    this.changed();
  }

  /**
   * addAnnouncement keeps one announcement (from a frame, a snapshot or
   * GET /api/announcements) and reports whether it was new.
   */
  addAnnouncement(a, notify = true) {
    if (!a || typeof a.message !== 'string') return false;
    const key = announcementKey(a);
    if (this.announcementKeys.has(key)) return false;
    this.announcementKeys.add(key);
    const item = { id: a.id, ts: a.ts || 0, message: a.message };
    if (typeof a.challenge_id === 'number' && a.challenge_id > 0) item.challenge_id = a.challenge_id;
    this.announcements.push(item);
    // Usually the newest: sort only when it is not.
    const n = this.announcements.length;
    if (n > 1 && compareAnnouncements(this.announcements[n - 2], item) > 0) this.announcements.sort(compareAnnouncements);
    if (notify) this.changed();
    return true;
  }

  /** mergeAnnouncements adds a list; it returns the ones that were new. */
  mergeAnnouncements(list, notify = true) {
    const added = [];
    for (const a of Array.isArray(list) ? list : []) if (this.addAnnouncement(a, false)) added.push(a);
    if (added.length && notify) this.changed();
    return added;
  }

  extendSeries(p, before, ts, isNew) {
    let s = this.series.get(p.player_id);
    if (!s) {
      // Without history, the line starts where we first saw the player.
      s = isNew ? { points: [], complete: true } : { points: [[this.snapshotTs || ts, before]], complete: false };
      this.series.set(p.player_id, s);
    }
    s.points.push([ts, p.score]);
  }

  /** ranked returns every player in scoreboard order, with rank set. */
  ranked() {
    if (!this.rankedCache) {
      const list = [...this.players.values()].sort(compareStandings);
      this.rankedCache = list.map((p, i) => ({ ...p, rank: i + 1 }));
    }
    return this.rankedCache;
  }

  /** score returns a player's current score, or null when unknown. */
  score(playerId) {
    const p = this.players.get(playerId);
    return p ? p.score : null;
  }

  /**
   * chartSeries returns the score-over-time lines of the top n players,
   * {start, end, lines: [{player_id, label, points: [{x, y}]}]}, each line
   * running to `end` (now).
   */
  chartSeries(n = 10, now = Date.now()) {
    const top = this.ranked().slice(0, n);
    let start = Infinity;
    for (const p of top) {
      const s = this.series.get(p.player_id);
      if (s && s.points.length) start = Math.min(start, s.points[0][0]);
    }
    const end = Math.max(now, Number.isFinite(start) ? start + 60_000 : now);
    // A little room left of the first event, so the first step shows.
    start = Number.isFinite(start) ? start - Math.max(30_000, (end - start) * 0.03) : end - 60_000;
    const lines = top.map((p) => {
      const s = this.series.get(p.player_id);
      const pts = [];
      if (!s || s.points.length === 0) {
        pts.push({ x: start, y: p.score });
      } else {
        if (s.complete) pts.push({ x: start, y: 0 });
        for (const [x, y] of s.points) pts.push({ x, y });
      }
      pts.push({ x: end, y: p.score });
      return { player_id: p.player_id, label: p.displayname || `#${p.player_id}`, points: pts };
    });
    return { start, end, lines };
  }
}

// Announcements: the organizers' messages (Markdown, sanitized like a
// description), as a dismissible banner when one arrives and as a list
// of all of them (#announcements in the app, a panel on /board).

import { h, replace, formatClock } from './dom.js';
import { renderInto } from './markdown.js';

const SEEN_KEY = 'ctfg.announcements.seen';
const MAX_BANNERS = 3;

/** seenTs is the newest announcement time the player has seen (dismissed or listed). */
export function seenTs() {
  try {
    return Number(localStorage.getItem(SEEN_KEY)) || 0;
  } catch {
    return 0;
  }
}

export function markSeen(ts) {
  if (!(ts > seenTs())) return;
  try {
    localStorage.setItem(SEEN_KEY, String(ts));
  } catch {
    /* private mode: the banner comes back on the next visit */
  }
}

/**
 * announcementItem renders one announcement. challengeTitle(id) names
 * the challenge it is about (null when unknown); linkChallenges makes
 * that name a link to the challenge.
 */
export function announcementItem(a, { challengeTitle = () => null, linkChallenges = true, headingLevel = 'h2' } = {}) {
  const body = h('div', { class: 'prose announcement-text' });
  renderInto(body, a.message);
  let about = null;
  if (a.challenge_id) {
    const title = challengeTitle(a.challenge_id) || `challenge ${a.challenge_id}`;
    about = h('span', { class: 'about' }, 'About ',
      linkChallenges ? h('a', { href: `#challenge/${a.challenge_id}`, text: title }) : title);
  }
  return h('article', { class: 'announcement', 'data-announcement-ts': a.ts },
    h(headingLevel, { class: 'announcement-head' },
      h('span', { class: 'sr-only', text: 'Announcement at ' }),
      h('time', { datetime: new Date(a.ts || Date.now()).toISOString(), text: formatClock(a.ts || Date.now()) })),
    about,
    body);
}

/** announcementSpeech is an announcement as one line of plain text, for a live region. */
export function announcementSpeech(a, challengeTitle = () => null) {
  const body = h('div');
  renderInto(body, a.message);
  const text = body.textContent.replace(/\s+/g, ' ').trim();
  const about = a.challenge_id ? ` About ${challengeTitle(a.challenge_id) || `challenge ${a.challenge_id}`}:` : '';
  return `New announcement.${about} ${text}`;
}

/**
 * Banners shows new announcements in a polite live region at the top of
 * the app, each until dismissed. The region stays in the page, empty, so
 * that screen readers announce what is put in it. opts: challengeTitle,
 * listHref (a link to all of them), focusAfter() (where the keyboard goes
 * when the last one is dismissed), onDismiss(a).
 */
export class Banners {
  constructor(opts = {}) {
    this.opts = opts;
    this.el = h('div', { class: 'announce-banners', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  }

  /** show adds a banner for a; older banners beyond a few are dropped. */
  show(a) {
    const box = h('section', { class: 'announce-banner', 'aria-label': 'New announcement' });
    const dismiss = h('button', {
      type: 'button', class: 'ghost dismiss', 'aria-label': 'Dismiss this announcement', text: '✕',
      onClick: () => {
        markSeen(a.ts);
        const next = box.nextElementSibling || box.previousElementSibling;
        box.remove();
        // Keep the keyboard somewhere sensible once the button is gone.
        const target = next ? next.querySelector('button.dismiss') : this.opts.focusAfter && this.opts.focusAfter();
        if (target) target.focus();
        if (this.opts.onDismiss) this.opts.onDismiss(a);
      },
    });
    const all = this.opts.listHref ? h('a', { href: this.opts.listHref, class: 'all', text: 'All announcements' }) : null;
    box.append(
      h('div', { class: 'announce-banner-head' },
        h('strong', { text: 'Announcement' }), all, dismiss),
      announcementItem(a, { ...this.opts, headingLevel: 'h2' }));
    this.el.prepend(box);
    while (this.el.children.length > MAX_BANNERS) this.el.lastElementChild.remove();
  }

  clear() {
    this.el.replaceChildren();
  }
}

/** renderAnnouncementList fills el with every announcement, newest first. */
export function renderAnnouncementList(el, list, opts = {}) {
  const items = [...list].reverse().map((a) => h('li', {}, announcementItem(a, opts)));
  replace(el,
    h('div', { class: 'page-head' }, h('h1', { text: 'Announcements' }),
      h('p', { class: 'muted', text: `${list.length} announcement${list.length === 1 ? '' : 's'}` })),
    items.length
      ? h('ol', { class: 'announcement-list', 'aria-label': 'Announcements, newest first' }, items)
      : h('p', { class: 'empty', text: 'No announcements yet.' }));
}

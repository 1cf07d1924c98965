// axe-core in the browser tests: inject node_modules/axe-core into a page
// (through the DevTools protocol, so the app's Content-Security-Policy
// does not refuse it), run the WCAG 2.2 A/AA rules and the best practices,
// and fail on every serious or critical violation, and on a view without
// its level-1 heading or with headings that skip a level.
//
// axe cannot judge text contrast over a gradient (it reports such text as
// "needs review", not as a violation), and most of the app's panels,
// cards and buttons are gradients. So the contrast rule also runs twice
// more on a flattened copy of the styles: every gradient replaced by its
// lightest stop, then by its darkest, so that light text is checked on
// the lightest part of what is behind it and dark text on the darkest.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rule sets run: WCAG 2.0–2.2 levels A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

const FAILING = new Set(['serious', 'critical']);
// Moderate in axe, but a screen reader's user finds their way by headings:
// every view has its level-1 heading and headings do not skip levels.
const STRUCTURE = new Set(['page-has-heading-one', 'heading-order']);
const fails = (v) => FAILING.has(v.impact) || STRUCTURE.has(v.id.split(' ')[0]);

async function inject(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  await page.evaluate(AXE_SOURCE);
}

/** runAxe runs axe on the page and returns its violations, simplified. */
export async function runAxe(page, { tags = AXE_TAGS, rules = null } = {}) {
  await inject(page);
  return page.evaluate(async ({ tags, rules, reviewed }) => {
    const options = { resultTypes: ['violations', 'incomplete'], elementRef: true };
    options.runOnly = rules ? { type: 'rule', values: rules } : { type: 'tag', values: tags };
    const r = await window.axe.run(document, options);
    const simplify = (list) => list.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.slice(0, 160),
        why: n.failureSummary || (n.any[0] && n.any[0].message) || '',
        reviewed: !!(n.element && n.element.matches(reviewed)),
      })),
    }));
    return { violations: simplify(r.violations), incomplete: simplify(r.incomplete) };
  }, { tags, rules, reviewed: REVIEWED.join(', ') });
}

/**
 * flattenGradients replaces, in the page, every element's gradient
 * background by one of its colour stops: the lightest ("light") or the
 * darkest ("dark"). It returns a function that puts the styles back.
 */
export async function flattenGradients(page, which) {
  await page.evaluate((which) => {
    const parse = (s) => {
      const m = /rgba?\(([^)]+)\)/.exec(s);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a, css: s };
    };
    const lin = (c) => {
      const v = c / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    // Luminance over black for a translucent stop: what it adds.
    const lum = (c) => c.a * (0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b));
    window.__a11yFlattened = [];
    for (const el of document.querySelectorAll('*')) {
      const cs = getComputedStyle(el);
      if (!cs.backgroundImage.includes('gradient(')) continue;
      // Text filled with a gradient (the brand) keeps it: its colour is the gradient.
      if (cs.backgroundClip === 'text' || cs.webkitBackgroundClip === 'text') continue;
      const stops = (cs.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse).filter((c) => c && c.a > 0);
      const own = parse(cs.backgroundColor);
      if (own && own.a > 0) stops.push(own);
      if (!stops.length) continue;
      stops.sort((x, y) => lum(x) - lum(y));
      const pick = which === 'light' ? stops[stops.length - 1] : stops[0];
      window.__a11yFlattened.push([el, el.style.backgroundImage, el.style.backgroundColor, el.style.transition]);
      // No transition: axe would read a colour half-way.
      el.style.transition = 'none';
      el.style.backgroundImage = 'none';
      el.style.backgroundColor = pick.css;
    }
  }, which);
  return () => page.evaluate(() => {
    for (const [el, image, color, transition] of window.__a11yFlattened || []) {
      el.style.backgroundImage = image;
      el.style.backgroundColor = color;
      el.style.transition = transition;
    }
    window.__a11yFlattened = [];
  });
}

export function describeFindings(list) {
  return list.map((v) => `  ${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 6).map((n) => `    ${n.target}\n      ${n.html}\n      ${n.why.replace(/\n/g, ' ')}`).join('\n')}`).join('\n');
}

/**
 * REVIEWED is text whose contrast axe cannot compute even on the
 * flattened page, checked by hand (docs/ACCESSIBILITY.md): the brand is
 * filled with its gradient (#22d3ee to #a78bfa, bold 21 px: large
 * text, and at least 6:1 on the header), the ✕ of a banner's Dismiss
 * button is a symbol in the body text colour (#e2e8f0, over 10:1 on the
 * banner). Anything else axe cannot judge
 * fails the test: add it here only after measuring it.
 */
export const REVIEWED = ['.brand', '.dismiss'];

/**
 * checkAccessible runs what expectAccessible checks and returns
 * {failing, minor, incomplete, review} without asserting (review: the
 * text whose contrast axe could not judge on the flattened page).
 */
export async function checkAccessible(page) {
  const full = await runAxe(page);
  const found = [...full.violations];
  const review = []; // text whose contrast axe could not judge even so
  for (const which of ['light', 'dark']) {
    const restore = await flattenGradients(page, which);
    try {
      const r = await runAxe(page, { rules: ['color-contrast'] });
      for (const v of r.violations) found.push({ ...v, id: `${v.id} (gradients at their ${which}est)` });
      for (const v of r.incomplete) {
        const nodes = v.nodes.filter((n) => !n.reviewed);
        if (nodes.length) review.push({ ...v, nodes, id: `${v.id} (gradients at their ${which}est)` });
      }
    } finally {
      await restore();
    }
  }
  return {
    failing: found.filter(fails),
    minor: found.filter((v) => !fails(v)),
    incomplete: full.incomplete,
    review,
  };
}

/**
 * expectAccessible fails when axe finds a serious or critical violation on
 * the page (the whole rule set, then the contrast rule on the lightest and
 * the darkest flattening of the gradients). Lesser findings are logged.
 * It returns everything found, for tests that look further.
 */
export async function expectAccessible(page, view) {
  const r = await checkAccessible(page);
  if (r.minor.length) console.log(`axe, ${view}: minor findings\n${describeFindings(r.minor)}`);
  assert.equal(r.failing.length, 0, `axe, ${view}: serious or critical violations\n${describeFindings(r.failing)}`);
  return r;
}

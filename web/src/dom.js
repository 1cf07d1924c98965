// Tiny DOM helpers. Everything that comes from the server or from other
// players is inserted as text, never as HTML; the one exception is the
// sanitized Markdown in markdown.js.

/**
 * h creates an element. props: class, id, text, attributes, and on<Event>
 * handlers (onClick, onSubmit, ...). Children are nodes, strings (as text)
 * or null/false (skipped); arrays are flattened.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** replace empties el and puts children in it. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** formatPoints renders a score: "120 pts", "1 pt". */
export function formatPoints(n) {
  return `${n} ${Math.abs(n) === 1 ? 'pt' : 'pts'}`;
}

/** formatClock renders a Unix-ms time as HH:MM (with the day when not today). */
export function formatClock(ms, withSeconds = false) {
  const d = new Date(ms);
  const opts = { hour: '2-digit', minute: '2-digit', hour12: false };
  if (withSeconds) opts.second = '2-digit';
  const time = d.toLocaleTimeString([], opts);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

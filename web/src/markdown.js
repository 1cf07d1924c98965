// Challenge descriptions and hints are Markdown mixed with HTML, written by
// the organizer but treated as untrusted: rendered with marked, sanitized
// with DOMPurify, code blocks highlighted with highlight.js.

import { marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import go from 'highlight.js/lib/languages/go';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, go, javascript, json, plaintext, python, sql, xml, yaml };
for (const [name, def] of Object.entries(languages)) hljs.registerLanguage(name, def);
hljs.registerAliases(['sh', 'shell'], { languageName: 'bash' });
hljs.registerAliases(['js'], { languageName: 'javascript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html'], { languageName: 'xml' });
hljs.registerAliases(['text', 'txt'], { languageName: 'plaintext' });
// Sanitized code may still hold harmless markup; highlighting works on its text.
hljs.configure({ ignoreUnescapedHTML: true });

const purifyConfig = {
  USE_PROFILES: { html: true },
  // Inline styles would only trip the Content-Security-Policy; forms and
  // inputs in a description invite phishing for flags or passwords.
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option'],
  FORBID_ATTR: ['style'],
};

// Links open in a new tab and leak nothing about the game page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** renderMarkdown returns safe HTML for a description or hint. */
export function markdownToSafeHtml(src) {
  const html = marked.parse(String(src ?? ''), { gfm: true, breaks: false, async: false });
  return DOMPurify.sanitize(html, purifyConfig);
}

/** renderInto fills el with the rendered, sanitized, highlighted Markdown. */
export function renderInto(el, src) {
  el.innerHTML = markdownToSafeHtml(src);
  for (const code of el.querySelectorAll('pre code')) {
    const lang = [...code.classList].find((c) => c.startsWith('language-'));
    if (lang && !hljs.getLanguage(lang.slice(9))) code.classList.add('nohighlight');
    hljs.highlightElement(code);
  }
  return el;
}

import { html, type TemplateResult } from 'lit';

// http(s) and mailto only: anything else (javascript:, data:, vbscript:…) stays plain text.
const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
// Punctuation that usually ends a sentence rather than a URL.
const TRAIL = /[.,;:!?')\]}]+$/;

/** A link target that is safe to render: an absolute http(s) or mailto URL, else undefined. */
export function safeHref(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return /^(https?|mailto):$/.test(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Plain message text as Lit template parts: text stays text (Lit escapes it; no innerHTML
 * anywhere), http(s) and mailto URLs become links that open in a new tab without an opener.
 * Newlines are kept by the `white-space: pre-wrap` of the message styles.
 */
export function renderText(text: string): Array<string | TemplateResult> {
  const out: Array<string | TemplateResult> = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    let url = match[0].replace(TRAIL, '');
    // Give back a ")" that closes a "(" inside the URL, e.g. wiki/Foo_(bar).
    if (match[0][url.length] === ')' && url.split('(').length > url.split(')').length) url += ')';
    const href = safeHref(url);
    if (!href) continue;
    out.push(text.slice(at, match.index), html`<a part="link" href=${href} target="_blank" rel="noopener noreferrer nofollow">${url}</a>`);
    at = match.index + url.length;
  }
  out.push(text.slice(at));
  return out.filter((part) => part !== '');
}

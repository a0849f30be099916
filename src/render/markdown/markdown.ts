import { html, nothing, type TemplateResult } from 'lit';
import { Lexer, type Token, type Tokens } from 'marked';
import { safeHref } from '../message-text.js';
export { styles } from './markdown.styles.js';

/** Rendered block depth (lists in lists, quotes in quotes) beyond which the rest shows as its source text. */
export const MAX_DEPTH = 8;
/** Table rows and columns rendered as a table; further rows show as their source text, a wider table as text. */
export const MAX_ROWS = 100;
export const MAX_COLUMNS = 20;

type Part = TemplateResult | string | typeof nothing;
type Emoji = ReadonlyMap<string, string> | undefined;

// Before lexing, hostile nesting is flattened: marked's lexer takes seconds on 500 nested list
// levels and overflows the stack on a few thousand `>`. A list item's indentation is capped
// (lists nested deeper become siblings at the deepest level) and so is a line's run of `>`.
const INDENT = /^[ \t]{17,}(?=[-*+] |\d+[.)] )/gm;
const QUOTES = new RegExp(`^((?:[ \\t]*>){${MAX_DEPTH}})(?:[ \\t]*>)+`, 'gm');
const SHORTCODE = /:([a-z0-9_+-]+):/g;
const link = (href: string, content: Part[] | Part) =>
  html`<a part="link" href=${href} target="_blank" rel="noopener noreferrer nofollow">${content}</a>`;

/** Text with the known `:shortcodes:` replaced by their emoji (unknown ones stay as written). */
function text(s: string, emoji: Emoji): string {
  return emoji && s.includes(':') ? s.replace(SHORTCODE, (m, name: string) => emoji.get(name) ?? m) : s;
}

/** Inline tokens as template parts. */
function inline(tokens: Token[] | undefined, emoji: Emoji, depth: number): Part[] {
  return (tokens ?? []).map((t) => {
    if (depth > MAX_DEPTH) return t.raw;
    const kids = () => inline((t as Tokens.Generic).tokens, emoji, depth + 1);
    switch (t.type) {
      case 'strong':
        return html`<strong>${kids()}</strong>`;
      case 'em':
        return html`<em>${kids()}</em>`;
      // Mattermost strikes through with `~~` only: a single `~` starts a channel link, kept as text.
      case 'del':
        return t.raw.startsWith('~~') ? html`<del>${kids()}</del>` : text(t.raw, emoji);
      case 'codespan':
        return html`<code part="code">${t.text}</code>`;
      case 'br':
        return html`<br />`;
      case 'link': {
        const href = safeHref(t.href);
        return href ? link(href, kids()) : text(t.raw, emoji);
      }
      // Images are never loaded: a link to them (alt text, else the URL), or their source text.
      case 'image': {
        const href = safeHref(t.href);
        return href ? link(href, t.text || href) : text(t.raw, emoji);
      }
      case 'text':
        // (Text marked escaped, inside raw HTML, is shown as written.)
        return 'tokens' in t && t.tokens ? kids() : text(t.escaped ? t.raw : t.text, emoji);
      case 'escape':
        return t.text;
      // Raw HTML (and anything this renderer does not know) shows as the text it was written as.
      default:
        return text(t.raw, emoji);
    }
  });
}

const raw = (s: string) => html`<p class="raw">${s}</p>`;

function table(t: Tokens.Table, emoji: Emoji, depth: number): Part {
  if (t.header.length > MAX_COLUMNS) return raw(t.raw);
  const cell = (c: Tokens.TableCell) => inline(c.tokens, emoji, depth + 1);
  const rest =
    t.rows.length > MAX_ROWS
      ? t.raw
          .trimEnd()
          .split('\n')
          .slice(2 + MAX_ROWS)
          .join('\n')
      : '';
  const head = t.header.map((c) => html`<th scope="col" class=${c.align ?? ''}>${cell(c)}</th>`);
  // prettier-ignore
  const body = t.rows.slice(0, MAX_ROWS).map((row) => html`<tr>${row.map((c) => html`<td class=${c.align ?? ''}>${cell(c)}</td>`)}</tr>`);
  // (No whitespace inside these templates: it would be text in the message.)
  // prettier-ignore
  return html`<div class="tw"><table part="table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${rest ? raw(rest) : nothing}`;
}

/** Block tokens as template parts. */
function blocks(tokens: Token[], emoji: Emoji, depth: number): Part[] {
  return tokens.map((t) => {
    if (depth > MAX_DEPTH) return raw(t.raw);
    switch (t.type) {
      case 'space':
      case 'def':
        return nothing;
      case 'paragraph':
        return html`<p>${inline(t.tokens, emoji, depth)}</p>`;
      // A heading inside a message ranks just below the panel's title (h2), whatever its `#`s: level 3, so a message's
      // `###` (or a `#` after a `###`) never skips a level of the page's outline (axe's heading-order). Its depth is
      // kept for the styles as `data-depth`.
      case 'heading':
        return html`<p part="heading" role="heading" aria-level="3" data-depth=${t.depth}>${inline(t.tokens, emoji, depth)}</p>`;
      case 'code':
        return html`<pre part="code-block"><code>${t.text}</code></pre>`;
      case 'blockquote':
        return html`<blockquote part="quote">${blocks(t.tokens ?? [], emoji, depth + 1)}</blockquote>`;
      case 'list': {
        const items = (t as Tokens.List).items.map((item) => {
          const box = item.task ? (item.checked ? '☑ ' : '☐ ') : nothing;
          const kids = blocks(
            item.tokens.filter((k) => k.type !== 'checkbox'),
            emoji,
            depth + 1,
          );
          return html`<li>${box}${kids}</li>`;
        });
        // prettier-ignore
        return t.ordered ? html`<ol part="list" start=${(t as Tokens.List).start || 1}>${items}</ol>` : html`<ul part="list">${items}</ul>`;
      }
      case 'table':
        return table(t as Tokens.Table, emoji, depth);
      case 'hr':
        return html`<hr />`;
      // A tight list item's text: inline content, no paragraph.
      case 'text':
        return 'tokens' in t && t.tokens ? inline(t.tokens, emoji, depth) : text(t.text, emoji);
      default:
        return raw(t.raw);
    }
  }) as Part[];
}

const cache = new Map<string, TemplateResult>();

/**
 * Mattermost markdown as a Lit template: marked's lexer (GFM, newlines as line breaks) and a
 * renderer of its tokens. Text stays text (never innerHTML); links only for http(s) and mailto;
 * images, raw HTML, @mentions and ~channels as text; `:shortcodes:` from `emoji` when given.
 * Results are cached by text (the last 200).
 */
export function renderMarkdown(source: string, emoji?: ReadonlyMap<string, string>): TemplateResult {
  const key = (emoji ? '1' : '0') + source;
  let out = cache.get(key);
  if (!out) {
    let tokens: Token[] | undefined;
    try {
      tokens = new Lexer({ gfm: true, breaks: true }).lex(source.replace(INDENT, ' '.repeat(16)).replace(QUOTES, '$1'));
    } catch {
      // (Whatever still defeats the lexer shows as text.)
    }
    out = html`<div class="md">${tokens ? blocks(tokens, emoji, 0) : raw(source)}</div>`;
    if (cache.size >= 200) cache.delete(cache.keys().next().value!);
    cache.set(key, out);
  }
  return out;
}

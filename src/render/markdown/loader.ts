import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import { renderText } from '../message-text.js';

// The panel's side of markdown (always loaded, so tiny): a cheap test of whether a message needs
// the markdown chunk, the chunk's loader, and a controller that re-renders its host once it is here.

/** Markdown punctuation or a `:shortcode:`: text without any renders as plain text, no chunk loaded. */
const MARKDOWN = /[*`|]|~~|_\S|\]\(|^ {0,3}(?:[#>]|[-+] |\d+[.)] )|:[a-z0-9_+-]+:/m;
const SHORTCODE = /:[a-z0-9_+-]+:/;

type Chunk = typeof import('./markdown.js');
let chunk: Chunk | undefined;
let emoji: ReadonlyMap<string, string> | undefined;
let loading: Promise<unknown> | undefined;
let loadingEmoji: Promise<unknown> | undefined;
const hosts = new Set<MarkdownController>();

/** Whether `text` needs the markdown chunk to render. */
export const needsMarkdown = (text: string): boolean => MARKDOWN.test(text);

/** Every host re-renders with what has arrived; a failed load is forgotten, so the next message retries. */
const arrived = (p: Promise<unknown>, forget: () => void) =>
  p.then(
    () => hosts.forEach((h) => h.update()),
    () => forget(),
  );

/**
 * Loads the markdown chunk (and its emoji sub-chunk when `withEmoji`): memoised, cleared on failure.
 * Resolves once they are here (tests and Storybook await it).
 */
export function loadMarkdown(withEmoji = true): Promise<unknown> {
  loading ??= arrived(
    import('./markdown.js').then((m) => (chunk = m)),
    () => (loading = undefined),
  );
  if (withEmoji)
    loadingEmoji ??= arrived(
      import('./emoji.js').then((m) => (emoji = m.emojiMap())),
      () => (loadingEmoji = undefined),
    );
  return Promise.all([loading, loadingEmoji]);
}

/**
 * A message's text as template parts: plain text (renderText) when it has no markdown or until
 * the chunk is here (loading it), then Mattermost markdown.
 */
export function richText(text: string): Array<string | TemplateResult> | TemplateResult {
  if (!needsMarkdown(text)) return renderText(text);
  if (!chunk || (!emoji && SHORTCODE.test(text))) void loadMarkdown(SHORTCODE.test(text));
  return chunk ? chunk.renderMarkdown(text, emoji) : renderText(text);
}

/**
 * Re-renders its host when the markdown chunk (or the emoji sub-chunk) arrives, after adding the
 * chunk's styles to the host's shadow root. `version` changes each time: a `guard` that lists it
 * re-renders its messages.
 *
 * @example
 * #markdown = new MarkdownController(this);
 * guard([m, this.#markdown.version], () => renderMessage(…));
 */
export class MarkdownController implements ReactiveController {
  constructor(private readonly host: ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment }) {
    host.addController(this);
  }

  /** What has arrived: 0 nothing, 1 the markdown chunk, 2 the emoji table too. */
  get version(): number {
    return (chunk ? 1 : 0) + (emoji ? 1 : 0);
  }

  hostConnected(): void {
    hosts.add(this);
    if (chunk) this.update();
  }

  hostDisconnected(): void {
    hosts.delete(this);
  }

  /** (Called by the loader.) */
  update(): void {
    const root = this.host.renderRoot;
    if (chunk && root instanceof ShadowRoot && !root.adoptedStyleSheets.includes(chunk.styles.styleSheet!))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, chunk.styles.styleSheet!];
    this.host.requestUpdate();
  }
}

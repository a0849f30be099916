// Page reports (opt-in: the launcher's `report-pages`): the pages an SPA visitor moves through,
// told to the team in the conversation's thread. A lazy chunk, loaded by the panel once the session
// starts (or `update({ page })` is called) with the attribute set.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Clock } from '../controllers/clock.js';
import type { SessionController } from '../controllers/session-controller.js';
import type { PortholePage } from '../element/update.js';

/** Navigations within this many milliseconds make one report (the last page). */
export const PAGE_REPORT_DEBOUNCE_MS = 1500;

/**
 * The page as reported by default: origin and path, plus a fragment only when it is a route
 * (`#/…`, `#!/…`: hash routers). A query, or another fragment (`#access_token=…`), may hold the
 * site's own secrets: pass `update({ page: { url } })` to report more.
 */
export function currentPage(): { url: string; title: string } {
  const { origin, pathname, hash } = location;
  return { url: origin + pathname + (/^#!?\//.test(hash) ? hash : ''), title: document.title };
}

/**
 * Watches client-side navigations (`popstate`, `hashchange`, the Navigation API's
 * `navigatesuccess` where present) and `update({ page })`, and reports the page through the
 * session's transport, debounced, while `enabled()` (the attribute is read at each report) and once
 * the conversation has messages (a report never starts one). A page equal to the last reported is
 * skipped. Best effort: a failed report is forgotten (the next navigation tries again).
 */
export class PageReporter implements ReactiveController {
  #session: SessionController;
  #clock: Clock;
  #enabled: () => boolean;
  #timer?: unknown;
  #next?: PortholePage;
  #last?: string;
  readonly #onNavigate = (): void => this.report();

  constructor(host: ReactiveControllerHost, session: SessionController, clock: Clock, enabled: () => boolean) {
    this.#session = session;
    this.#clock = clock;
    this.#enabled = enabled;
    host.addController(this);
  }

  hostConnected(): void {
    addEventListener('popstate', this.#onNavigate);
    addEventListener('hashchange', this.#onNavigate);
    navigationApi()?.addEventListener('navigatesuccess', this.#onNavigate);
  }

  hostDisconnected(): void {
    removeEventListener('popstate', this.#onNavigate);
    removeEventListener('hashchange', this.#onNavigate);
    navigationApi()?.removeEventListener('navigatesuccess', this.#onNavigate);
    this.#clock.clearTimeout(this.#timer);
  }

  /** Reports `page` (fields default to the current page's) after the debounce. */
  report(page?: PortholePage): void {
    this.#next = page;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.#send(), PAGE_REPORT_DEBOUNCE_MS);
  }

  /** Forgets the last page reported (another visitor: `shutdown()`). */
  reset(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#last = undefined;
  }

  #send(): void {
    const transport = this.#session.transport;
    if (!this.#enabled() || !transport?.reportPage || !this.#session.conversation.messages.length) return;
    const here = currentPage();
    const page = { url: this.#next?.url ?? here.url, title: (this.#next?.title ?? here.title).slice(0, 1000) };
    // The companion takes http(s) URLs of at most 2,048 characters (an about:blank frame has none).
    if (page.url.length > 2048 || !/^https?:/.test(page.url)) return;
    const key = `${this.#session.current?.channelId}\0${page.url}\0${page.title}`;
    if (key === this.#last) return;
    this.#last = key;
    transport.reportPage(page).catch(() => {
      if (this.#last === key) this.#last = undefined;
    });
  }
}

/** The Navigation API (Chromium), where present. */
function navigationApi(): EventTarget | undefined {
  return (globalThis as { navigation?: EventTarget }).navigation;
}

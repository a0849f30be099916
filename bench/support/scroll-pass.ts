// One scroll pass of the rendering benchmark (bench/render.ts): the page scrolls the message list
// by `step` px every animation frame to one end — upwards to the oldest post, pressing the
// widget's "load older" button whenever it is at the top — while Node watches it.
//
// The page never holds a promise open for the whole pass: a long `page.evaluate` has no time limit
// of its own, and a loop that checks its time-out only inside requestAnimationFrame callbacks
// never checks it when frames stop. Instead Node asks the page every second for a few numbers (each
// question with a time limit; the full snapshot only for a progress line or a stall, so the
// frames measured do not pay for it) and ends the pass itself:
//
// - at the end (the oldest post in the DOM, or the bottom): the frame times;
// - at the pass's time limit while it still moves: the frame times so far, `reached: false`;
// - when it has not moved (scroll position, scroll height) for `stallMs`, when no animation frame
//   ran for `stallMs`, or when the page stops answering: PassStalledError, saying what the pass was
//   waiting for — the button and the last press, the posts shown, the last history request
//   answered (Mattermost in direct mode, the companion in gateway mode; seen from Node, on the network), the widget's errors and connection.
import type { Page, Request } from 'playwright-core';
import { num } from './stats.ts';
import { withTimeout } from './timeout.ts';

export interface PassOptions {
  /** Named in messages: `pass 1 (up, loading the history)`. */
  name: string;
  dir: 'up' | 'down';
  /** Pixels per animation frame. */
  step: number;
  /** The oldest post: an upward pass ends when it is in the DOM. */
  oldestId: string;
  /** Posts in the conversation ("1,230 of 5,000 posts shown"). */
  total: number;
  /** A pass still moving after this long ends with `reached: false`. */
  timeoutMs: number;
  /** A pass that has not moved for this long fails with PassStalledError. */
  stallMs: number;
  /** Progress lines, every 30 s of a long pass. */
  log?: (line: string) => void;
}

export interface Pass {
  /** Intervals between consecutive animation frames, ms. */
  intervals: number[];
  /** Durations of long animation frames (> 50 ms), ms. */
  longFrames: number[];
  reached: boolean;
  /** "Load older" presses. */
  loads: number;
  ms: number;
}

/** A pass stopped moving before its end; the message says what it was waiting for. */
export class PassStalledError extends Error {
  override name = 'PassStalledError';
}

/** What the page says every second about a running pass: cheap to answer (times on the page's clock, ms). */
interface Beat {
  now: number;
  t0: number;
  done: { reached: boolean; ms: number } | null;
  lastFrameAt: number;
  lastMoveAt: number;
  presses: number;
}

/** All the page can say about the pass, for a progress line or a stall. */
interface Snapshot extends Beat {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  connected: boolean;
  /** Message elements with a post id in the DOM now. */
  shown: number;
  /** The "load older" button: absent, hidden, disabled or ready to press. */
  button: 'none' | 'hidden' | 'disabled' | 'ready';
  /** The last press: when, at which scroll height, with how many posts shown. */
  press: { at: number; height: number; shown: number } | null;
  /** Posts the last press added: counted when the list's height next changed. */
  lastLoad: { added: number; at: number } | null;
  errors: { t: number; code?: string; message?: string }[];
  connection?: string;
}

const POLL_MS = 1000;
const PROGRESS_MS = 30_000;

/** Runs one pass; throws PassStalledError when it stops moving before its end. */
export async function scrollPass(page: Page, opts: PassOptions): Promise<Pass> {
  const history = watchHistory(page);
  try {
    const started = Date.now();
    let reported = started;
    const problem = await withTimeout(
      page.evaluate(startPass, { dir: opts.dir, step: opts.step, oldestId: opts.oldestId }),
      opts.stallMs,
      `${opts.name}: starting`,
    );
    if (problem) throw new Error(`${opts.name}: ${problem}`);
    const ask = <T>(fn: () => T) =>
      withTimeout(page.evaluate(fn), opts.stallMs, 'the page').catch((err: Error): never => {
        const why = err.message.startsWith('the page: no answer')
          ? `the page has not answered for ${num(opts.stallMs / 1000, 0)} s (its main thread is blocked)`
          : `the page failed: ${err.message}`;
        throw new PassStalledError(`${opts.name} stalled: ${why}; ${history.describe()}`);
      });
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const beat = await ask(() => (window as any).__pass.beat() as Beat);
      if (beat.done) break;
      if (Date.now() - started > opts.timeoutMs) {
        await ask(() => (window as any).__pass.finish(false));
        break;
      }
      if (opts.log && Date.now() - reported >= PROGRESS_MS) {
        reported = Date.now();
        const s = await ask(() => (window as any).__pass.snapshot() as Snapshot);
        opts.log(
          `${opts.name}: ${num((s.now - s.t0) / 1000, 0)} s, ${s.shown.toLocaleString('en-US')} of ${opts.total.toLocaleString('en-US')} posts shown${s.presses ? `, ${s.presses} "load older" presses` : ''}`,
        );
      }
      if (beat.now - beat.lastFrameAt > opts.stallMs || beat.now - beat.lastMoveAt > opts.stallMs) {
        const s = await ask(() => (window as any).__pass.snapshot() as Snapshot);
        await ask(() => (window as any).__pass.finish(false));
        throw new PassStalledError(`${opts.name} stalled: ${stallOf(s, opts)}; ${history.describe()}`);
      }
    }
    return await withTimeout(
      page.evaluate(() => (window as any).__pass.result() as Pass),
      opts.stallMs,
      `${opts.name}: collecting the frame times`,
    );
  } finally {
    history.stop();
  }
}

/** Why the pass stands still (no frames, or no movement for `stallMs`), said from the page's side. */
function stallOf(s: Snapshot, opts: PassOptions): string {
  const sec = (ms: number) => `${num(ms / 1000, 1)} s`;
  const shown = `${s.shown.toLocaleString('en-US')} of ${opts.total.toLocaleString('en-US')} posts shown`;
  const widget = `widget errors: ${
    s.errors.length
      ? s.errors
          .slice(-3)
          .map((e) => `${e.code} "${e.message}"`)
          .join(', ')
      : 'none'
  }; connection ${s.connection ?? 'unknown'}`;
  if (s.now - s.lastFrameAt > opts.stallMs) {
    return `no animation frame for ${sec(s.now - s.lastFrameAt)} while the page still answers (it does not render: hidden, or its compositor stopped); ${shown}; ${widget}`;
  }
  const still = s.now - s.lastMoveAt;
  const where = `scrollTop ${num(s.scrollTop, 0)} of ${num(s.scrollHeight - s.clientHeight, 0)}`;
  if (!s.connected) return `the message list left the DOM ${sec(still)} ago (${where}); ${shown}; ${widget}`;
  if (opts.dir === 'down' || s.scrollTop > 0)
    return `the list has not scrolled for ${sec(still)} (${where}, scrollHeight ${num(s.scrollHeight, 0)}); ${shown}; ${widget}`;
  const waiting =
    s.button === 'none'
      ? 'the widget shows no "load older" button (it says there is no older history)'
      : s.button !== 'ready'
        ? `the "load older" button is ${s.button}`
        : s.press && s.press.height === s.scrollHeight
          ? `"load older" pressed ${sec(s.now - s.press.at)} ago at scrollHeight ${num(s.press.height, 0)} (${s.press.shown.toLocaleString('en-US')} posts shown then) and the list has not grown since`
          : '"load older" is ready but was not pressed';
  const last = s.lastLoad
    ? `the last load that changed the list added ${s.lastLoad.added} posts ${sec(s.now - s.lastLoad.at)} ago`
    : 'no load changed the list yet';
  return `at the top for ${sec(still)} with the oldest post not shown: ${waiting}; ${s.presses} press${s.presses === 1 ? '' : 'es'}; ${last}; ${shown}; ${widget}`;
}

/**
 * The answers to the widget's history requests — Mattermost's `/channels/{id}/posts?…` in direct
 * mode, the companion's `GET /v1/messages?…` in gateway mode — seen on the network from Node:
 * they are known even when the page's main thread is blocked.
 */
function watchHistory(page: Page) {
  interface Seen {
    query: string;
    sentAt: number;
    answeredAt?: number;
    status?: number;
    posts?: number;
    failure?: string;
  }
  const seen = new Map<Request, Seen>();
  let last: Seen | undefined;
  let lastOlder: Seen | undefined;
  let count = 0;
  const isHistory = (r: Request) =>
    /\/api\/v4\/channels\/[^/]+\/posts\?/.test(r.url()) || (r.method() === 'GET' && /\/v1\/messages(\?|$)/.test(r.url()));
  const onRequest = (r: Request) => {
    if (!isHistory(r)) return;
    count++;
    const query = new URL(r.url()).searchParams;
    const cursor = ['before', 'after', 'since'].find((k) => query.has(k));
    last = { query: cursor ? `${cursor}=${query.get(cursor)}` : 'latest page', sentAt: Date.now() };
    if (cursor === 'before') lastOlder = last;
    seen.set(r, last);
  };
  const onFinished = async (r: Request) => {
    const s = seen.get(r);
    if (!s) return;
    seen.delete(r);
    const res = await r.response().catch(() => null);
    const body = (await res?.json().catch(() => null)) as { order?: unknown[]; messages?: unknown[] } | null;
    s.status = res?.status();
    s.posts = Array.isArray(body?.order) ? body.order.length : Array.isArray(body?.messages) ? body.messages.length : undefined;
    s.answeredAt = Date.now();
  };
  const onFailed = (r: Request) => {
    const s = seen.get(r);
    if (!s) return;
    seen.delete(r);
    s.failure = r.failure()?.errorText ?? 'failed';
    s.answeredAt = Date.now();
  };
  const ago = (t: number) => `${num((Date.now() - t) / 1000, 1)} s ago`;
  const state = (s: Seen) =>
    s.failure
      ? `sent ${ago(s.sentAt)}, failed: ${s.failure}`
      : s.answeredAt === undefined
        ? `sent ${ago(s.sentAt)}, no answer yet`
        : `answered ${s.status} with ${s.posts ?? 'no readable list of'} posts ${ago(s.answeredAt)}`;
  page.on('request', onRequest);
  page.on('requestfinished', onFinished);
  page.on('requestfailed', onFailed);
  return {
    describe(): string {
      if (!last) return 'no history request during the pass';
      const older = lastOlder ? `the last older page (${lastOlder.query}) ${state(lastOlder)}` : 'no older page asked for';
      const other = last === lastOlder ? '' : `; the last history request (${last.query}) ${state(last)}`;
      return `${count} history request${count === 1 ? '' : 's'}; ${older}${other}`;
    },
    stop() {
      page.off('request', onRequest);
      page.off('requestfinished', onFinished);
      page.off('requestfailed', onFailed);
    },
  };
}

/**
 * Page side: installs `window.__pass` and starts scrolling; returns a problem or undefined. Runs
 * in the page (no closures over Node's scope).
 */
function startPass({ dir, step, oldestId }: { dir: 'up' | 'down'; step: number; oldestId: string }): string | undefined {
  const pb = (window as any).__pb;
  const sc: HTMLElement | null = pb.scroller();
  if (!sc) return 'no scrollable message list found (expected a scrollable ancestor of [part~="message"] or [part~="log"])';
  const now = () => performance.now();
  const t0 = now();
  const errorsBefore = pb.errors.length;
  const shownNow = () => pb.all('[part~="message"][data-post-id]').length;
  const oldestShown = () => pb.all(`[part~="message"][data-post-id="${oldestId}"]`).length > 0;
  const buttonState = (): { state: Snapshot['button']; el?: HTMLButtonElement } => {
    const all: HTMLButtonElement[] = pb.all('[part~="load-older"]');
    if (!all.length) return { state: 'none' };
    const el = all.find((b) => pb.visible(b));
    if (!el) return { state: 'hidden' };
    return el.disabled ? { state: 'disabled' } : { state: 'ready', el };
  };
  const st = {
    done: null as Snapshot['done'],
    lastFrameAt: t0,
    lastMoveAt: t0,
    top: sc.scrollTop,
    height: sc.scrollHeight,
    presses: 0,
    press: null as Snapshot['press'],
    settled: false,
    lastLoad: null as Snapshot['lastLoad'],
    frames: null as { intervals: number[]; longFrames: number[] } | null,
  };
  // The frame recorder stops with the pass, not when Node next asks.
  const finish = (reached: boolean) => {
    if (st.done) return;
    st.done = { reached, ms: now() - t0 };
    st.frames = pb.frames.stop();
  };
  const tick = () => {
    if (st.done) return;
    const t = (st.lastFrameAt = now());
    const top = sc.scrollTop;
    const height = sc.scrollHeight;
    if (top !== st.top || height !== st.height) {
      if (height !== st.height && st.press && !st.settled) {
        st.settled = true;
        st.lastLoad = { added: shownNow() - st.press.shown, at: t };
      }
      st.top = top;
      st.height = height;
      st.lastMoveAt = t;
    }
    if (dir === 'up') {
      if (top > 0) sc.scrollTop = Math.max(0, top - step);
      else if (oldestShown()) return finish(true);
      else {
        // At the top with more to load: the widget's "load older" button, once per page.
        const b = buttonState();
        if (b.el && st.press?.height !== height) {
          st.presses++;
          st.press = { at: t, height, shown: shownNow() };
          st.settled = false;
          b.el.click();
        }
      }
    } else {
      if (top + sc.clientHeight >= height - 1) return finish(true);
      sc.scrollTop = Math.min(height, top + step);
    }
    requestAnimationFrame(tick);
  };
  (window as any).__pass = {
    finish,
    beat: (): Beat => ({ now: now(), t0, done: st.done, lastFrameAt: st.lastFrameAt, lastMoveAt: st.lastMoveAt, presses: st.presses }),
    snapshot: (): Snapshot => ({
      now: now(),
      t0,
      done: st.done,
      lastFrameAt: st.lastFrameAt,
      lastMoveAt: st.lastMoveAt,
      scrollTop: sc.scrollTop,
      scrollHeight: sc.scrollHeight,
      clientHeight: sc.clientHeight,
      connected: sc.isConnected,
      shown: shownNow(),
      button: buttonState().state,
      presses: st.presses,
      press: st.press,
      lastLoad: st.lastLoad,
      errors: pb.errors.slice(errorsBefore),
      connection: pb.chat()?.connectionState,
    }),
    result: (): Pass => (finish(false), { ...st.frames!, reached: st.done!.reached, loads: st.presses, ms: st.done!.ms }),
  };
  pb.frames.start();
  requestAnimationFrame(tick);
  return undefined;
}

// 6. Rendering: a conversation of 5,000 messages in the real Mattermost — time to first render,
// frame times while scrolling through all of it, JS heap before and after.
import { median, medianSpread, num, percentile, summarize, verdict } from './support/stats.ts';
import { addVisitorCookie, BARE_PAGE_URL, cdnMissing, mintVisitor, PAGE_URL, seedPosts, startStack } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';
import { bareOpen } from './open-ready.ts';

const FRAME_MS = 1000 / 60;
/** A frame interval within this counts as on time at 60 Hz (one vsync plus timer jitter). */
const ON_TIME_MS = FRAME_MS + 1;
const HEAP_GROWTH_LIMIT = 1024 * 1024;

interface Pass {
  intervals: number[];
  longFrames: number[];
  reached: boolean;
  loads: number;
  ms: number;
}

/** Scrolls the message list by `step` px each animation frame until the end (`up`: the oldest post). */
function scrollPass(page: import('playwright-core').Page, dir: 'up' | 'down', step: number, oldestId: string, timeoutMs: number): Promise<Pass> {
  return page.evaluate(
    ({ dir, step, oldestId, timeoutMs }) =>
      new Promise<Pass>((resolve, reject) => {
        const pb = (window as any).__pb;
        const sc: HTMLElement | null = pb.scroller();
        if (!sc) return reject(new Error('no scrollable message list found (expected a scrollable ancestor of [part~="message"] or [part~="log"])'));
        const t0 = performance.now();
        let loads = 0;
        let clickedAtHeight = -1;
        let stuckSince = 0;
        pb.frames.start();
        const done = (reached: boolean) => resolve({ ...pb.frames.stop(), reached, loads, ms: performance.now() - t0 });
        const tick = () => {
          if (performance.now() - t0 > timeoutMs) return done(false);
          if (dir === 'up') {
            if (sc.scrollTop > 0) sc.scrollTop = Math.max(0, sc.scrollTop - step);
            else if (pb.all(`[part~="message"][data-post-id="${oldestId}"]`).length) return done(true);
            else {
              // At the top with more to load: the widget's "load older" button, once per page.
              const btn = pb.all('[part~="load-older"]').find((b: HTMLButtonElement) => pb.visible(b) && !b.disabled);
              if (btn && clickedAtHeight !== sc.scrollHeight) {
                clickedAtHeight = sc.scrollHeight;
                loads++;
                btn.click();
              }
              // Nothing left to load and still no oldest post: give up after 5 s rather than wait.
              if (btn) stuckSince = 0;
              else if (!stuckSince) stuckSince = performance.now();
              else if (performance.now() - stuckSince > 5000) return done(false);
            }
          } else {
            if (sc.scrollTop + sc.clientHeight >= sc.scrollHeight - 1) return done(true);
            sc.scrollTop = Math.min(sc.scrollHeight, sc.scrollTop + step);
          }
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    { dir, step, oldestId, timeoutMs },
  );
}

/**
 * The browser's floor for the same scroll: a plain fixed-position scrollable list of the same
 * number of messages (static paragraphs, no framework) on the page without the widget.
 */
async function plainList(stack: Awaited<ReturnType<typeof startStack>>, n: number, step: number, timeoutMs: number) {
  const v = await stack.visitor();
  await v.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
  await v.page.evaluate((n) => {
    const list = document.createElement('div');
    list.style.cssText = 'position:fixed;right:16px;bottom:16px;width:360px;height:520px;overflow-y:auto;background:#fff;border:1px solid #ddd;font:14px/1.4 system-ui;padding:8px';
    for (let i = 0; i < n; i++) {
      const p = document.createElement('p');
      p.setAttribute('part', 'message');
      if (i === 0) p.setAttribute('data-post-id', 'plain-oldest');
      p.textContent = `History message ${i + 1} of ${n}: could you tell me which order number this is about? I have checked, and the parcel left our warehouse yesterday.`;
      list.append(p);
    }
    document.body.append(list);
    list.scrollTop = list.scrollHeight;
  }, n);
  const up = await scrollPass(v.page, 'up', step, 'plain-oldest', timeoutMs);
  const down = await scrollPass(v.page, 'down', step, 'plain-oldest', timeoutMs);
  await v.context.close();
  return [...up.intervals, ...down.intervals];
}

/** Clicks the launcher; ms from the click until the newest post is shown, online, input visible. */
async function openOnce(page: import('playwright-core').Page, newestId: string): Promise<number> {
  await page.waitForFunction(() => !!customElements.get('porthole-chat'));
  const ready = page.evaluate((last) => (window as any).__pb.waitFor(() => (window as any).__pb.isReady(last), 60_000), newestId);
  await page.locator('[part~="launcher"]').click();
  const tReady: number = await ready;
  return tReady - (await page.evaluate(() => (window as any).__pb.clicks.at(-1)));
}

export default async function render({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const n = smoke ? 150 : 5000;
  const step = 200;
  const opens = smoke ? 1 : 5;
  const method = [
    `A returning visitor whose conversation holds ${n.toLocaleString('en-US')} messages in the real Mattermost: the companion creates the visitor (from Node, with the page's Origin), an agent posts the messages with @mattermost/client, one after the other, and the visitor cookie is handed to a fresh Chromium context. No in-memory transport: the widget pages through Mattermost's history as a visitor would.`,
    `First render: from the click on the launcher until the newest post is in the DOM, the socket is online and the input visible (the probe of benchmark 3); ${opens} time${opens === 1 ? '' : 's'}, each in a fresh browser context holding only the visitor cookie. Reference: the bare client of benchmark 3 on the same conversation, as often.`,
    `Scrolling: the page scrolls the message list (the scrollable ancestor of \`[part~="message"]\`) by ${step} px every animation frame — a fast, steady fling — to the top, pressing the widget's \`[part~="load-older"]\` button whenever it is at the top and the oldest post is not shown yet (pass 1, loads the whole history); then to the bottom (pass 2) and to the top again (pass 3). Frame times are the intervals between consecutive \`requestAnimationFrame\` callbacks (headless Chromium, 60 Hz); a frame counts as on time within ${num(ON_TIME_MS, 1)} ms (one 16.7 ms vsync plus timer jitter). Long animation frames (> 50 ms, Long Animation Frames API) are counted too.`,
    'Heap: `Runtime.getHeapUsage` (used JS heap) over the DevTools protocol after `HeapProfiler.collectGarbage`, at first render and after each pass. "Not growing while scrolling" compares pass 3 with pass 2, when the whole history is loaded in both; the growth from first render to pass 1 is the history itself.',
    `Reference, same run: the page without the widget with a plain fixed-position scrollable list (360×520 px) of the same number of static paragraphs, scrolled the same way up and down — the browser's own floor on this machine.`,
    `Targets: frame interval p95 ≤ ${num(ON_TIME_MS, 1)} ms over all passes; heap growth from pass 2 to pass 3 ≤ 1 MiB.`,
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '6. Rendering a long conversation', skipped: missing, rows: [], method };

  const stack = await startStack();
  defer(() => stack.close());
  const visitor = await mintVisitor();
  stack.track(visitor.userId);
  const t0 = Date.now();
  // One poster: every post gets its own creation millisecond, as in a real conversation.
  const posts = await seedPosts(stack.mm, visitor.channelId, n, 'History message', 1);
  log(`seeded ${n} posts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const byTime = [...posts].sort((x, y) => x.createAt - y.createAt || x.id.localeCompare(y.id));
  const newestId = byTime.at(-1)!.id;
  const oldestId = byTime[0]!.id;
  const sameMs = byTime.filter((p, i) => (i > 0 && byTime[i - 1]!.createAt === p.createAt) || (i + 1 < byTime.length && byTime[i + 1]!.createAt === p.createAt)).length;

  const v = await stack.visitor();
  await addVisitorCookie(v.context, visitor.cookie);
  await v.page.goto(PAGE_URL, { waitUntil: 'load' });
  const cdp = await v.context.newCDPSession(v.page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  const heapPage = await heap();

  const firstRender = await openOnce(v.page, newestId);
  const domAtOpen: number = await v.page.evaluate(() => (window as any).__pb.messageEls().length);
  const heap0 = await heap();
  log(`first render ${num(firstRender)} ms, ${domAtOpen} messages in the DOM, heap ${num(heap0 / 1e6, 1)} MB`);

  const passTimeout = smoke ? 20_000 : 300_000;
  const p1 = await scrollPass(v.page, 'up', step, oldestId, passTimeout);
  const heap1 = await heap();
  const dom1: number = await v.page.evaluate(() => (window as any).__pb.messageEls().length);
  log(`pass 1 (up, loading): ${p1.reached ? 'reached the oldest post' : 'DID NOT reach the oldest post'} in ${num(p1.ms / 1000, 1)} s, ${p1.loads} loads, ${dom1} messages in the DOM, heap ${num(heap1 / 1e6, 1)} MB`);
  const p2 = await scrollPass(v.page, 'down', step, oldestId, passTimeout);
  const heap2 = await heap();
  const p3 = await scrollPass(v.page, 'up', step, oldestId, passTimeout);
  const heap3 = await heap();
  log(`passes 2 and 3: ${num(p2.ms / 1000, 1)} s and ${num(p3.ms / 1000, 1)} s; heap ${num(heap2 / 1e6, 1)} → ${num(heap3 / 1e6, 1)} MB`);

  // Every seeded post should have been in the DOM at some moment of the passes.
  const never: string[] = await v.page.evaluate((ids) => ids.filter((id) => !(window as any).__pb.seen.has(id)), posts.map((p) => p.id));
  const sharesMs = (id: string) => {
    const t = posts.find((p) => p.id === id)!.createAt;
    return posts.filter((p) => p.createAt === t).length > 1;
  };
  const neverSameMs = never.filter(sharesMs).length;
  if (never.length) log(`${never.length} post(s) never shown (${neverSameMs} of them share their creation millisecond with another post): ${never.slice(0, 5).join(', ')}`);
  await v.context.close();

  // First render again, each time in a fresh context holding only the visitor cookie; the bare client as often.
  const firstRenders = [firstRender];
  const bareMs: number[] = [];
  for (let i = 0; i < opens; i++) {
    if (i > 0) {
      const w = await stack.visitor();
      await addVisitorCookie(w.context, visitor.cookie);
      await w.page.goto(PAGE_URL, { waitUntil: 'load' });
      firstRenders.push(await openOnce(w.page, newestId));
      await w.context.close();
    }
    const b = await stack.visitor();
    await addVisitorCookie(b.context, visitor.cookie);
    await b.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
    bareMs.push((await bareOpen(b.page)).ms);
    await b.context.close();
  }
  log(`first renders ${firstRenders.map((x) => num(x)).join(', ')} ms; bare ${bareMs.map((x) => num(x)).join(', ')} ms`);

  const plain = await plainList(stack, n, step, passTimeout);
  log(`plain list reference: p95 ${num(percentile(plain, 95), 1)} ms`);

  const all = [...p1.intervals, ...p2.intervals, ...p3.intervals];
  const loaded = [...p2.intervals, ...p3.intervals];
  const s = summarize(all);
  const onTime = (xs: number[]) => xs.filter((x) => x <= ON_TIME_MS).length / Math.max(1, xs.length);
  const growth = heap3 - heap2;
  const framesOk = s.p95 <= ON_TIME_MS;
  const heapOk = growth <= HEAP_GROWTH_LIMIT;
  const reachedAll = p1.reached && p2.reached && p3.reached;
  const mb = (b: number) => `${num(b / 2 ** 20, 1)} MiB`;
  const frameLine = (xs: number[]) => {
    const t = summarize(xs);
    return `p50 ${num(t.median, 1)} · p95 ${num(t.p95, 1)} · p99 ${num(t.p99, 1)} · max ${num(t.max, 0)} ms; ${num(onTime(xs) * 100, 1)}% on time (n=${t.n})`;
  };

  const limits: string[] = [];
  if (!framesOk) {
    limits.push(
      `Frames miss the 60 Hz budget (p95 ${num(s.p95, 1)} ms; pass 1 while loading: ${num(percentile(p1.intervals, 95), 1)} ms, passes 2–3 with everything loaded: ${num(percentile(loaded, 95), 1)} ms). With ${dom1.toLocaleString('en-US')} message elements in the DOM after loading the history, every scroll frame pays style, layout and paint for a list that is not virtualised; each "load older" also inserts a page of messages and restores the scroll position in the same frame.`,
    );
  }
  if (!heapOk) limits.push(`The heap grew by ${mb(growth)} between two passes over a fully loaded history: something is retained per scroll (listeners, cached templates or observers).`);
  if (!reachedAll) limits.push('A pass did not reach its end within its time limit; the figures cover what was scrolled.');
  if (never.length) limits.push(`${never.length} of ${n} posts were never shown while scrolling through the whole history${neverSameMs ? ` (${neverSameMs} of them share their creation millisecond with another post, which paging by time can skip at a page boundary)` : ''}.`);

  return {
    title: '6. Rendering a long conversation',
    rows: [
      {
        figure: `First render of a ${n.toLocaleString('en-US')}-message conversation (click → newest shown, online)`,
        porthole: `${medianSpread(firstRenders)}; ${domAtOpen} messages rendered at open`,
        reference: `bare client (session, socket, latest 60 posts; see benchmark 3) ${medianSpread(bareMs)}`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure: 'Frame interval while scrolling through all of it',
        porthole: frameLine(all),
        reference: `a plain scrollable list of ${n.toLocaleString('en-US')} paragraphs, same scroll: ${frameLine(plain)}`,
        target: `p95 ≤ ${num(ON_TIME_MS, 1)} ms`,
        verdict: verdict(framesOk && reachedAll),
      },
      {
        figure: 'Posts shown while scrolling through the whole history',
        porthole: `${n - never.length} of ${n}`,
        reference: `${n} in Mattermost`,
        target: 'all',
        verdict: verdict(never.length === 0),
      },
      {
        figure: 'JS heap (used, after GC)',
        porthole: `page ${mb(heapPage)} → first render ${mb(heap0)} → history loaded ${mb(heap1)} → pass 2 ${mb(heap2)} → pass 3 ${mb(heap3)}`,
        reference: `the page before the widget opened ${mb(heapPage)}`,
        target: 'no growth from pass 2 to pass 3 (≤ 1 MiB)',
        verdict: verdict(heapOk && reachedAll),
      },
    ],
    method,
    details: [
      '| pass | duration | "load older" presses | frame intervals | long animation frames |',
      '|---|---|---|---|---|',
      ...[
        ['1: up, loading the history', p1],
        ['2: down', p2],
        ['3: up', p3],
      ].map(([name, p]) => {
        const q = p as Pass;
        return `| ${name} | ${num(q.ms / 1000, 1)} s${q.reached ? '' : ' (time limit)'} | ${q.loads} | ${frameLine(q.intervals)} | ${q.longFrames.length}${q.longFrames.length ? ` (median ${num(median(q.longFrames))} ms)` : ''} |`;
      }),
      '',
      `Message elements in the DOM: ${domAtOpen} at open, ${dom1.toLocaleString('en-US')} after loading the history. Posts never shown during the passes: ${never.length} of ${n}${sameMs ? ` (${sameMs} of the posts share their creation millisecond with another)` : ''}.`,
    ].join('\n'),
    limits: limits.join(' '),
  };
}

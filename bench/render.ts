// 6. Rendering: a conversation of 5,000 messages in the real Mattermost, in gateway mode (a
// thread in the support channel, read through the companion) and in direct mode (the visitor's
// channel, read from Mattermost) — time to first render, frame times while scrolling through all
// of it, JS heap before and after.
import os from 'node:os';
import { median, medianSpread, num, percentile, summarize, verdict } from './support/stats.ts';
import { addVisitorCookie, BARE_PAGE_URL, cdnMissing, MODES, PAGE_URL, seedPosts, startStack, type Mode } from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';
import { scrollPass, type Pass, type PassOptions } from './support/scroll-pass.ts';
import { withTimeout } from './support/timeout.ts';
import { bareOpen } from './open-ready.ts';

const FRAME_MS = 1000 / 60;
/** A frame interval within this counts as on time at 60 Hz (one vsync plus timer jitter). */
const ON_TIME_MS = FRAME_MS + 1;
const HEAP_GROWTH_LIMIT = 1024 * 1024;

/**
 * Time limits of the passes. Pass 1 loads the history (about 70–120 s here); the others scroll the
 * loaded list (about 40 s: 2,400 frames at 60 Hz). All of them together stay well inside the
 * runner's 20 minutes, so a slow run ends with its figures rather than being killed. A pass that
 * stops moving fails after `stallMs` (see support/scroll-pass.ts).
 */
const LIMITS = {
  smoke: { loading: 20_000, scroll: 20_000, stallMs: 10_000 },
  full: { loading: 300_000, scroll: 120_000, stallMs: 15_000 },
};

/**
 * The browser's floor for the same scroll: a plain fixed-position scrollable list of the same
 * number of messages (static paragraphs, no framework) on the page without the widget.
 */
async function plainList(
  stack: Awaited<ReturnType<typeof startStack>>,
  n: number,
  pass: Omit<PassOptions, 'name' | 'dir' | 'oldestId' | 'total'>,
) {
  const v = await stack.visitor();
  await v.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
  await v.page.evaluate((n) => {
    const list = document.createElement('div');
    list.style.cssText =
      'position:fixed;right:16px;bottom:16px;width:360px;height:520px;overflow-y:auto;background:#fff;border:1px solid #ddd;font:14px/1.4 system-ui;padding:8px';
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
  const plain = { ...pass, oldestId: 'plain-oldest', total: n };
  const up = await scrollPass(v.page, { ...plain, name: 'plain list, up', dir: 'up' });
  const down = await scrollPass(v.page, { ...plain, name: 'plain list, down', dir: 'down' });
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

interface ModeRun {
  n: number;
  firstRenders: number[];
  bareMs: number[];
  domAtOpen: number;
  dom1: number;
  p1: Pass;
  p2: Pass;
  p3: Pass;
  heapPage: number;
  heap0: number;
  heap1: number;
  heap2: number;
  heap3: number;
  never: number;
  neverSameMs: number;
  sameMs: number;
  seedS: number;
  load: string;
  /** The plain list's frame intervals, when this mode's stack measured it. */
  plain?: number[];
}

/** The whole benchmark in one mode, with a stack of its own; `plain`: also measure the plain list. */
async function runMode(
  mode: Mode,
  o: { n: number; step: number; opens: number; smoke: boolean; plain: boolean; log: BenchContext['log']; defer: BenchContext['defer'] },
): Promise<ModeRun> {
  const { n, step, opens, log } = o;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const stack = await startStack(mode);
  o.defer(() => stack.close());
  const visitor = await stack.mintVisitor();
  const conversation = await stack.conversation(visitor);
  const t0 = Date.now();
  // One poster: every post gets its own creation millisecond, as in a real conversation. In gateway
  // mode the visitor's first message (which created the thread) is the conversation's oldest.
  const seeded = await seedPosts(stack.mm, conversation, conversation.firstMessageId ? n - 1 : n, 'History message', 1);
  const seedS = (Date.now() - t0) / 1000;
  log(`${mode}: seeded ${seeded.length} posts in ${seedS.toFixed(1)} s`);
  const posts = conversation.firstMessageId ? [{ id: conversation.firstMessageId, createAt: -Infinity }, ...seeded] : seeded;
  const byTime = [...posts].sort((x, y) => x.createAt - y.createAt || x.id.localeCompare(y.id));
  const newestId = byTime.at(-1)!.id;
  const oldestId = byTime[0]!.id;
  const sameMs = seeded.filter((p) => seeded.some((q) => q !== p && q.createAt === p.createAt)).length;

  const v = await stack.visitor();
  await addVisitorCookie(v.context, visitor.cookie);
  await v.page.goto(PAGE_URL, { waitUntil: 'load' });
  const cdp = await v.context.newCDPSession(v.page);
  const heap = (when: string) =>
    withTimeout(
      (async () => {
        await cdp.send('HeapProfiler.collectGarbage');
        await cdp.send('HeapProfiler.collectGarbage');
        return (await cdp.send('Runtime.getHeapUsage')).usedSize;
      })(),
      30_000,
      `${mode}: heap ${when}`,
    );
  const heapPage = await heap('before the widget opened');

  const firstRender = await openOnce(v.page, newestId);
  const domAtOpen: number = await v.page.evaluate(() => (window as any).__pb.messageEls().length);
  const heap0 = await heap('at first render');
  log(`${mode}: first render ${num(firstRender)} ms, ${domAtOpen} messages in the DOM, heap ${num(heap0 / 1e6, 1)} MB`);

  const time = o.smoke ? LIMITS.smoke : LIMITS.full;
  const pass = { step, oldestId, total: n, stallMs: time.stallMs, log };
  const p1 = await scrollPass(v.page, { ...pass, name: `${mode} pass 1 (up, loading the history)`, dir: 'up', timeoutMs: time.loading });
  const heap1 = await heap('after pass 1');
  const dom1: number = await v.page.evaluate(() => (window as any).__pb.messageEls().length);
  log(
    `${mode} pass 1 (up, loading): ${p1.reached ? 'reached the oldest post' : 'DID NOT reach the oldest post'} in ${num(p1.ms / 1000, 1)} s, ${p1.loads} loads, ${dom1} messages in the DOM, heap ${num(heap1 / 1e6, 1)} MB`,
  );
  const p2 = await scrollPass(v.page, { ...pass, name: `${mode} pass 2 (down)`, dir: 'down', timeoutMs: time.scroll });
  const heap2 = await heap('after pass 2');
  const p3 = await scrollPass(v.page, { ...pass, name: `${mode} pass 3 (up)`, dir: 'up', timeoutMs: time.scroll });
  const heap3 = await heap('after pass 3');
  log(
    `${mode} passes 2 and 3: ${num(p2.ms / 1000, 1)} s and ${num(p3.ms / 1000, 1)} s; heap ${num(heap2 / 1e6, 1)} → ${num(heap3 / 1e6, 1)} MB`,
  );

  // Every post of the conversation should have been in the DOM at some moment of the passes.
  const never: string[] = await v.page.evaluate(
    (ids) => ids.filter((id) => !(window as any).__pb.seen.has(id)),
    posts.map((p) => p.id),
  );
  const sharesMs = (id: string) => {
    const t = posts.find((p) => p.id === id)!.createAt;
    return posts.filter((p) => p.createAt === t).length > 1;
  };
  const neverSameMs = never.filter(sharesMs).length;
  if (never.length)
    log(
      `${mode}: ${never.length} post(s) never shown (${neverSameMs} of them share their creation millisecond with another post): ${never.slice(0, 5).join(', ')}`,
    );
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
  log(`${mode}: first renders ${firstRenders.map((x) => num(x)).join(', ')} ms; bare ${bareMs.map((x) => num(x)).join(', ')} ms`);

  let plain: number[] | undefined;
  if (o.plain) {
    plain = await plainList(stack, n, { step, stallMs: time.stallMs, timeoutMs: time.scroll });
    log(`plain list reference: p95 ${num(percentile(plain, 95), 1)} ms`);
  }
  await stack.close();
  return {
    n,
    firstRenders,
    bareMs,
    domAtOpen,
    dom1,
    p1,
    p2,
    p3,
    heapPage,
    heap0,
    heap1,
    heap2,
    heap3,
    never: never.length,
    neverSameMs,
    sameMs,
    seedS,
    load,
    plain,
  };
}

export default async function render({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const n = smoke ? 150 : 5000;
  const step = 200;
  const opens = smoke ? 1 : 5;
  const method = [
    `A returning visitor whose conversation holds ${n.toLocaleString('en-US')} messages in the real Mattermost: the companion starts the visitor's session (from Node, with the page's Origin), and the visitor cookie is handed to a fresh Chromium context. Gateway mode: the visitor's first message (\`POST /v1/messages\`) creates the thread, and an agent posts the other ${(n - 1).toLocaleString('en-US')} messages as replies in it; the widget reads them through the companion (\`GET /v1/messages\`, \`before\` for older pages). Direct mode: an agent posts ${n.toLocaleString('en-US')} messages in the visitor's channel, which the widget reads from Mattermost. Posts are made with @mattermost/client, one after the other. No in-memory transport: the widget pages through the history as a visitor would. Gateway first, then direct, each with a companion of its own.`,
    `First render: from the click on the launcher until the newest post is in the DOM, the socket is online and the input visible (the probe of benchmark 3); ${opens} time${opens === 1 ? '' : 's'} per mode, each in a fresh browser context holding only the visitor cookie. Reference: the bare client of benchmark 3 on the same conversation, as often.`,
    `Scrolling: the page scrolls the message list (the scrollable ancestor of \`[part~="message"]\`) by ${step} px every animation frame — a fast, steady fling — to the top, pressing the widget's \`[part~="load-older"]\` button whenever it is at the top and the oldest post is not shown yet (pass 1, loads the whole history); then to the bottom (pass 2) and to the top again (pass 3). Frame times are the intervals between consecutive \`requestAnimationFrame\` callbacks (headless Chromium, 60 Hz); a frame counts as on time within ${num(ON_TIME_MS, 1)} ms (one 16.7 ms vsync plus timer jitter). Long animation frames (> 50 ms, Long Animation Frames API) are counted too. A pass still moving at its time limit (${num(LIMITS.full.loading / 1000, 0)} s for pass 1, ${num(LIMITS.full.scroll / 1000, 0)} s for the others) ends there; a pass that stops moving for ${num(LIMITS.full.stallMs / 1000, 0)} s — at the top with no new page, no animation frames, a page that stops answering — fails the benchmark with what it was waiting for.`,
    'Heap: `Runtime.getHeapUsage` (used JS heap) over the DevTools protocol after `HeapProfiler.collectGarbage`, at first render and after each pass. "Not growing while scrolling" compares pass 3 with pass 2, when the whole history is loaded in both; the growth from first render to pass 1 is the history itself.',
    `Reference, same run: the page without the widget with a plain fixed-position scrollable list (360×520 px) of the same number of static paragraphs, scrolled the same way up and down — the browser's own floor on this machine (measured once, it does not depend on the mode).`,
    `Targets: frame interval p95 ≤ ${num(ON_TIME_MS, 1)} ms over all passes; heap growth from pass 2 to pass 3 ≤ 1 MiB.`,
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '6. Rendering a long conversation', skipped: missing, rows: [], method };

  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES) runs[mode] = await runMode(mode, { n, step, opens, smoke, plain: mode === MODES[0], log, defer });
  const plain = runs[MODES[0]].plain!;

  const onTime = (xs: number[]) => xs.filter((x) => x <= ON_TIME_MS).length / Math.max(1, xs.length);
  const mb = (b: number) => `${num(b / 2 ** 20, 1)} MiB`;
  const frameLine = (xs: number[]) => {
    const t = summarize(xs);
    return `p50 ${num(t.median, 1)} · p95 ${num(t.p95, 1)} · p99 ${num(t.p99, 1)} · max ${num(t.max, 0)} ms; ${num(onTime(xs) * 100, 1)}% on time (n=${t.n})`;
  };

  const rows: Row[] = [];
  const limits: string[] = [];
  for (const mode of MODES) {
    const r = runs[mode];
    const Mode = mode === 'gateway' ? 'Gateway' : 'Direct';
    const all = [...r.p1.intervals, ...r.p2.intervals, ...r.p3.intervals];
    const loaded = [...r.p2.intervals, ...r.p3.intervals];
    const s = summarize(all);
    const growth = r.heap3 - r.heap2;
    const framesOk = s.p95 <= ON_TIME_MS;
    const heapOk = growth <= HEAP_GROWTH_LIMIT;
    const reachedAll = r.p1.reached && r.p2.reached && r.p3.reached;
    rows.push(
      {
        figure: `${Mode}: first render of a ${n.toLocaleString('en-US')}-message conversation (click → newest shown, online)`,
        porthole: `${medianSpread(r.firstRenders)}; ${r.domAtOpen} messages rendered at open`,
        reference: `bare client (session, socket, latest 60 messages; see benchmark 3) ${medianSpread(r.bareMs)}`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure: `${Mode}: frame interval while scrolling through all of it`,
        porthole: frameLine(all),
        reference: `a plain scrollable list of ${n.toLocaleString('en-US')} paragraphs, same scroll: ${frameLine(plain)}`,
        target: `p95 ≤ ${num(ON_TIME_MS, 1)} ms`,
        verdict: verdict(framesOk && reachedAll),
      },
      {
        figure: `${Mode}: posts shown while scrolling through the whole history`,
        porthole: `${n - r.never} of ${n}`,
        reference: `${n} in Mattermost`,
        target: 'all',
        verdict: verdict(r.never === 0),
      },
      {
        figure: `${Mode}: JS heap (used, after GC)`,
        porthole: `page ${mb(r.heapPage)} → first render ${mb(r.heap0)} → history loaded ${mb(r.heap1)} → pass 2 ${mb(r.heap2)} → pass 3 ${mb(r.heap3)}`,
        reference: `the page before the widget opened ${mb(r.heapPage)}`,
        target: 'no growth from pass 2 to pass 3 (≤ 1 MiB)',
        verdict: verdict(heapOk && reachedAll),
      },
    );
    if (!framesOk) {
      limits.push(
        `${Mode}: frames miss the 60 Hz budget (p95 ${num(s.p95, 1)} ms; pass 1 while loading: ${num(percentile(r.p1.intervals, 95), 1)} ms, passes 2–3 with everything loaded: ${num(percentile(loaded, 95), 1)} ms). With ${r.dom1.toLocaleString('en-US')} message elements in the DOM after loading the history, every scroll frame pays style, layout and paint for a list that is not virtualised; each "load older" also inserts a page of messages and restores the scroll position in the same frame.`,
      );
    }
    if (!heapOk)
      limits.push(
        `${Mode}: the heap grew by ${mb(growth)} between two passes over a fully loaded history: something is retained per scroll (listeners, cached templates or observers).`,
      );
    if (!reachedAll) limits.push(`${Mode}: a pass did not reach its end within its time limit; the figures cover what was scrolled.`);
    if (r.never)
      limits.push(
        `${Mode}: ${r.never} of ${n} posts were never shown while scrolling through the whole history${r.neverSameMs ? ` (${r.neverSameMs} of them share their creation millisecond with another post, which paging by time can skip at a page boundary)` : ''}.`,
      );
  }

  return {
    title: '6. Rendering a long conversation',
    rows,
    method,
    details: [
      '| mode | pass | duration | "load older" presses | frame intervals | long animation frames |',
      '|---|---|---|---|---|---|',
      ...MODES.flatMap((mode) =>
        (
          [
            ['1: up, loading the history', runs[mode].p1],
            ['2: down', runs[mode].p2],
            ['3: up', runs[mode].p3],
          ] as const
        ).map(
          ([name, q]) =>
            `| ${mode} | ${name} | ${num(q.ms / 1000, 1)} s${q.reached ? '' : ' (time limit)'} | ${q.loads} | ${frameLine(q.intervals)} | ${q.longFrames.length}${q.longFrames.length ? ` (median ${num(median(q.longFrames))} ms)` : ''} |`,
        ),
      ),
      ...MODES.flatMap((mode) => [
        '',
        `${mode === 'gateway' ? 'Gateway' : 'Direct'}: message elements in the DOM: ${runs[mode].domAtOpen} at open, ${runs[mode].dom1.toLocaleString('en-US')} after loading the history. Posts never shown during the passes: ${runs[mode].never} of ${n}${runs[mode].sameMs ? ` (${runs[mode].sameMs} of the posts share their creation millisecond with another)` : ''}. Seeding took ${num(runs[mode].seedS, 1)} s; load average (1 / 5 / 15 min) when the mode started: ${runs[mode].load}.`,
      ]),
    ].join('\n'),
    limits: limits.join(' '),
  };
}

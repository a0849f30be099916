// 3. Open → ready: from a click on the launcher until the history is shown and the socket is
// live, against the real Mattermost, for a new visitor (cold) and a returning one (warm) —
// beside a bare client making the same requests from the same page.
import { medianSpread, median, num, verdict } from './support/stats.ts';
import { BARE_PAGE_URL, cdnMissing, PAGE_URL, seedPosts, startStack, TOKEN_URL, type BenchStack, type Visitor } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const TARGET = { cold: 300, warm: 150 };

interface Open {
  ms: number;
  /** Milestones after the click, ms: panel chunk loaded, session received, socket online, history shown. */
  chunk: number;
  session: number;
  online: number;
  history: number;
}

/** Clicks the launcher; resolves with the time from the click until ready (page clock). */
async function open(v: Visitor, lastPostId: string | undefined): Promise<Open> {
  const { page } = v;
  await page.waitForFunction(() => !!customElements.get('porthole-chat'));
  const ready = page.evaluate((last) => (window as any).__pb.waitFor(() => (window as any).__pb.isReady(last), 30_000), lastPostId);
  await page.locator('[part~="launcher"]').click();
  const tReady: number = await ready;
  return page.evaluate(
    ({ tReady, last, tokenUrl }) => {
      const pb = (window as any).__pb;
      const tClick: number = pb.clicks.at(-1);
      const after = (t: number | undefined) => (t === undefined ? NaN : t - tClick);
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const chunks = res.filter((r) => r.name.includes('/cdn/chunks/') && r.startTime >= tClick - 1);
      const session = res.filter((r) => r.name === tokenUrl && r.startTime >= tClick - 1).at(-1);
      const online = pb.states.find((s: { t: number; state: string }) => s.t >= tClick && s.state === 'online');
      return {
        ms: tReady - tClick,
        chunk: chunks.length ? Math.max(...chunks.map((c) => c.responseEnd)) - tClick : 0,
        session: after(session?.responseEnd),
        online: after(online?.t),
        history: last ? after(pb.seen.get(last)) : NaN,
      };
    },
    { tReady, last: lastPostId, tokenUrl: TOKEN_URL },
  );
}

/**
 * The floor: the same requests with nothing else — mint a session, open the socket and
 * authenticate, fetch the latest page of history (socket and history in parallel).
 */
export async function bareOpen(page: Visitor['page']): Promise<{ ms: number; userId: string; channelId: string }> {
  return page.evaluate(async (tokenUrl) => {
    const t0 = performance.now();
    const res = await fetch(tokenUrl, { method: 'POST', credentials: 'include' });
    const s = await res.json();
    const ws = new WebSocket(`${s.serverUrl.replace(/^http/, 'ws')}/api/v4/websocket`);
    const online = new Promise<void>((resolve, reject) => {
      ws.onopen = () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: s.token } }));
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.seq_reply === 1) (m.status === 'OK' ? resolve() : reject(new Error(JSON.stringify(m))));
      };
      ws.onerror = () => reject(new Error('websocket error'));
    });
    const history = fetch(`${s.serverUrl}/api/v4/channels/${s.channelId}/posts?per_page=60`, { headers: { Authorization: `Bearer ${s.token}` } }).then((r) => r.json());
    await Promise.all([online, history]);
    const ms = performance.now() - t0;
    ws.close();
    return { ms, userId: s.userId, channelId: s.channelId };
  }, TOKEN_URL);
}

export default async function openReady({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const reps = smoke ? 1 : 10;
  const history = smoke ? 3 : 20;
  const method = [
    'Chromium (Debian\'s, headless, through playwright-core) opens `bench/pages/host.html` on localhost:8080, which loads the CDN build; the companion (src/server) runs on localhost:8781 and the browser reaches the real Mattermost through a TCP proxy on 127.0.0.1:18066, all on loopback. A probe installed before the page\'s scripts time-stamps the click on the launcher (the click event\'s own time stamp) and resolves "ready" at the first moment the element\'s `connectionState` is `online`, the `[part~="input"]` is visible and — when the conversation has history — the newest post is in the DOM (`[part~="message"][data-post-id]`, observed with a MutationObserver on every shadow root). Both ends are on the page\'s clock.',
    `Cold: a new browser context (no cookie, empty HTTP cache and storage) — the companion creates the visitor's Mattermost user and channel. Warm: the same context loads the page again after an agent posted ${history} messages; the visitor cookie, the HTTP cache (chunks are served as immutable, as from a CDN) and storage are kept. ${reps} cold and ${reps} warm opens${smoke ? '' : ', after one warm-up pair that is not counted'}.`,
    'Reference, same run: a bare client in the same browser, on the same page origin without the widget, doing the same requests with nothing else — `POST /v1/session` to the companion, then the WebSocket with its `authentication_challenge` and `GET /channels/{id}/posts?per_page=60` in parallel — for a new visitor and, after the same history was posted and the page loaded again, for the returning one.',
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '3. Open → ready', skipped: missing, rows: [], method };

  const stack: BenchStack = await startStack();
  defer(() => stack.close());
  const widget = { cold: [] as Open[], warm: [] as Open[] };
  const bare = { cold: [] as number[], warm: [] as number[] };

  for (let i = smoke ? 0 : -1; i < reps; i++) {
    const counted = i >= 0;
    // Porthole, cold then warm.
    const v = await stack.visitor();
    await v.page.goto(PAGE_URL, { waitUntil: 'load' });
    const cold = await open(v, undefined);
    if (!v.sessions.length) throw new Error('the widget became ready but no session response from the companion was seen');
    const { channelId } = v.sessions.at(-1)!;
    const ids = await seedPosts(stack.mm, channelId, history, 'Earlier message');
    await v.page.goto(PAGE_URL, { waitUntil: 'load' });
    const warm = await open(v, ids.at(-1)!.id);
    await v.context.close();

    // The bare reference, cold then warm.
    const b = await stack.visitor();
    await b.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
    const bc = await bareOpen(b.page);
    stack.track(bc.userId);
    await seedPosts(stack.mm, bc.channelId, history, 'Earlier message');
    await b.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
    const bw = await bareOpen(b.page);
    await b.context.close();

    if (counted) {
      widget.cold.push(cold);
      widget.warm.push(warm);
      bare.cold.push(bc.ms);
      bare.warm.push(bw.ms);
    }
    log(`${counted ? `rep ${i + 1}/${reps}` : 'warm-up'}: cold ${num(cold.ms)} ms (bare ${num(bc.ms)}), warm ${num(warm.ms)} ms (bare ${num(bw.ms)})`);
  }

  const col = (xs: Open[], k: keyof Open) => xs.map((x) => x[k]);
  const coldMed = median(col(widget.cold, 'ms'));
  const warmMed = median(col(widget.warm, 'ms'));
  const limits: string[] = [];
  const explain = (which: 'cold' | 'warm') => {
    const xs = widget[which];
    return `${which}: panel chunk loaded at ${num(median(col(xs, 'chunk')))} ms, session from the companion at ${num(median(col(xs, 'session')))} ms, socket online at ${num(median(col(xs, 'online')))} ms${which === 'warm' ? `, newest post shown at ${num(median(col(xs, 'history')))} ms` : ''} after the click (medians); the bare client needs ${num(median(bare[which]))} ms for the requests alone`;
  };
  if (coldMed > TARGET.cold) limits.push(`Cold misses its target. ${explain('cold')}. A new visitor's first session makes the companion create a Mattermost user, add it to the team, create a private channel with the agents and mint a token — several sequential Mattermost writes.`);
  if (warmMed > TARGET.warm) limits.push(`Warm misses its target. ${explain('warm')}.`);

  return {
    title: '3. Open → ready',
    rows: [
      { figure: 'Click → history shown and socket live, new visitor (cold)', porthole: medianSpread(col(widget.cold, 'ms')), reference: `bare client ${medianSpread(bare.cold)}`, target: `≤ ${TARGET.cold} ms`, verdict: verdict(coldMed <= TARGET.cold) },
      { figure: `Click → history shown and socket live, returning visitor (warm, ${history} messages)`, porthole: medianSpread(col(widget.warm, 'ms')), reference: `bare client ${medianSpread(bare.warm)}`, target: `≤ ${TARGET.warm} ms`, verdict: verdict(warmMed <= TARGET.warm) },
    ],
    method,
    details: [
      'Milestones after the click (medians, ms; resource timings and the probe, page clock):',
      '',
      '| visitor | panel chunk loaded | session received | socket online | newest post shown | ready | bare client |',
      '|---|---|---|---|---|---|---|',
      ...(['cold', 'warm'] as const).map((w) => `| ${w} | ${num(median(col(widget[w], 'chunk')))} | ${num(median(col(widget[w], 'session')))} | ${num(median(col(widget[w], 'online')))} | ${w === 'warm' ? num(median(col(widget[w], 'history'))) : '— (no history)'} | ${num(median(col(widget[w], 'ms')))} | ${num(median(bare[w]))} |`),
    ].join('\n'),
    limits: limits.join('\n\n'),
  };
}

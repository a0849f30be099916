// 3. Open → ready: from a click on the launcher until the history is shown and the socket is
// live, against the real Mattermost, for a new visitor (cold) and a returning one (warm), in
// gateway mode (the browser talks only to the companion) and in direct mode (the browser talks to
// Mattermost) — each beside a bare client making the same requests from the same page.
import os from 'node:os';
import { medianSpread, median, num, verdict } from './support/stats.ts';
import { BARE_PAGE_URL, cdnMissing, MODES, PAGE_URL, seedPosts, startStack, TOKEN_URL, type Mode, type Visitor } from './support/stack.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

const TARGET: Record<Mode, { cold: number; warm: number }> = { gateway: { cold: 150, warm: 60 }, direct: { cold: 300, warm: 150 } };

interface Open {
  ms: number;
  /**
   * Milestones after the click, ms: the last chunk loaded (the panel, then — once the session said
   * the mode — that mode's transport), session received, socket online, history shown.
   */
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
 * authenticate, fetch the latest page of history (socket and history in parallel). The session's
 * `mode` says which server: direct — Mattermost's `/api/v4/websocket` (`authentication_challenge`)
 * and `GET /channels/{id}/posts?per_page=60`; gateway — the companion's `/v1/live` (first frame
 * `auth`, answered `ready`) and `GET /v1/messages?per_page=60`.
 */
export async function bareOpen(
  page: Visitor['page'],
): Promise<{ ms: number; mode: Mode; userId: string; channelId: string; token: string; serverUrl: string }> {
  return page.evaluate(async (tokenUrl) => {
    const t0 = performance.now();
    const res = await fetch(tokenUrl, { method: 'POST', credentials: 'include' });
    const s = await res.json();
    const gateway = s.mode === 'gateway';
    const ws = new WebSocket(`${s.serverUrl.replace(/^http/, 'ws')}${gateway ? '/v1/live' : '/api/v4/websocket'}`);
    const online = new Promise<void>((resolve, reject) => {
      ws.onopen = () =>
        ws.send(
          JSON.stringify(
            gateway ? { type: 'auth', token: s.token } : { seq: 1, action: 'authentication_challenge', data: { token: s.token } },
          ),
        );
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (gateway ? m.type === 'ready' : m.seq_reply === 1)
          gateway || m.status === 'OK' ? resolve() : reject(new Error(JSON.stringify(m)));
      };
      ws.onerror = () => reject(new Error('websocket error'));
      ws.onclose = (e) => reject(new Error(`websocket closed ${e.code} ${e.reason}`));
    });
    const url = gateway ? `${s.serverUrl}/v1/messages?per_page=60` : `${s.serverUrl}/api/v4/channels/${s.channelId}/posts?per_page=60`;
    const history = fetch(url, { headers: { Authorization: `Bearer ${s.token}` } }).then((r) => {
      if (!r.ok) throw new Error(`${url} → ${r.status}`);
      return r.json();
    });
    await Promise.all([online, history]);
    const ms = performance.now() - t0;
    ws.onclose = null;
    ws.close();
    return { ms, mode: gateway ? 'gateway' : 'direct', userId: s.userId, channelId: s.channelId, token: s.token, serverUrl: s.serverUrl };
  }, TOKEN_URL) as Promise<{ ms: number; mode: Mode; userId: string; channelId: string; token: string; serverUrl: string }>;
}

interface ModeRun {
  widget: { cold: Open[]; warm: Open[] };
  bare: { cold: number[]; warm: number[] };
  load: string;
}

/** `reps` cold and warm opens of the widget and of the bare client in one mode (own stack). */
async function runMode(
  mode: Mode,
  reps: number,
  history: number,
  smoke: boolean,
  log: BenchContext['log'],
  defer: BenchContext['defer'],
): Promise<ModeRun> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const stack = await startStack(mode);
  defer(() => stack.close());
  const run: ModeRun = { widget: { cold: [], warm: [] }, bare: { cold: [], warm: [] }, load };
  for (let i = smoke ? 0 : -1; i < reps; i++) {
    const counted = i >= 0;
    // Porthole, cold then warm.
    const v = await stack.visitor();
    await v.page.goto(PAGE_URL, { waitUntil: 'load' });
    const cold = await open(v, undefined);
    if (!v.sessions.length) throw new Error('the widget became ready but no session response from the companion was seen');
    if (v.sessions.at(-1)!.mode !== mode)
      throw new Error(`expected a ${mode} session from the companion; received ${v.sessions.at(-1)!.mode}`);
    const ids = await seedPosts(stack.mm, await stack.conversation(v.sessions.at(-1)!), history, 'Earlier message');
    await v.page.goto(PAGE_URL, { waitUntil: 'load' });
    const warm = await open(v, ids.at(-1)!.id);
    await v.context.close();

    // The bare reference, cold then warm.
    const b = await stack.visitor();
    await b.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
    const bc = await bareOpen(b.page);
    await seedPosts(stack.mm, await stack.conversation(bc), history, 'Earlier message');
    await b.page.goto(BARE_PAGE_URL, { waitUntil: 'load' });
    const bw = await bareOpen(b.page);
    await b.context.close();

    if (counted) {
      run.widget.cold.push(cold);
      run.widget.warm.push(warm);
      run.bare.cold.push(bc.ms);
      run.bare.warm.push(bw.ms);
    }
    log(
      `${mode} ${counted ? `rep ${i + 1}/${reps}` : 'warm-up'}: cold ${num(cold.ms)} ms (bare ${num(bc.ms)}), warm ${num(warm.ms)} ms (bare ${num(bw.ms)})`,
    );
  }
  await stack.close();
  return run;
}

export default async function openReady({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const reps = smoke ? 1 : 10;
  const history = smoke ? 3 : 20;
  const method = [
    'Chromium (Debian\'s, headless, through playwright-core) opens `bench/pages/host.html` on localhost:8080, which loads the CDN build; its `token-url` is the companion (src/server) on localhost:8781, and the server the widget talks to is reached through a TCP proxy on 127.0.0.1:18066 — in gateway mode the companion (`PORTHOLE_PUBLIC_URL`), in direct mode the real Mattermost (`PORTHOLE_MM_PUBLIC_URL`) — all on loopback. A probe installed before the page\'s scripts time-stamps the click on the launcher (the click event\'s own time stamp) and resolves "ready" at the first moment the element\'s `connectionState` is `online`, the `[part~="input"]` is visible and — when the conversation has history — the newest post is in the DOM (`[part~="message"][data-post-id]`, observed with a MutationObserver on every shadow root). Both ends are on the page\'s clock.',
    `Cold: a new browser context (no cookie, empty HTTP cache and storage). In gateway mode the companion signs a token and calls nothing (there is no conversation yet: the first history page is empty without a Mattermost call); in direct mode it creates the visitor's Mattermost user and channel. Warm: the same context loads the page again after the conversation got history — gateway: the visitor's first message (\`POST /v1/messages\`, which creates the thread) and ${history} agent replies in the thread; direct: ${history} agent posts in the visitor's channel. The visitor cookie, the HTTP cache (chunks are served as immutable, as from a CDN) and storage are kept. ${reps} cold and ${reps} warm opens per mode${smoke ? '' : ', after one warm-up pair that is not counted'}; gateway first, then direct, each with a companion of its own.`,
    "Reference, same run: a bare client in the same browser, on the same page origin without the widget, doing the same requests with nothing else — `POST /v1/session` to the companion, then the socket and the latest 60 messages in parallel (gateway: the companion's `/v1/live` with its `auth` frame until `ready`, and `GET /v1/messages?per_page=60`; direct: Mattermost's WebSocket with its `authentication_challenge`, and `GET /channels/{id}/posts?per_page=60`) — for a new visitor and, after the same history was posted and the page loaded again, for the returning one.",
    `Targets: gateway cold ≤ ${TARGET.gateway.cold} ms, warm ≤ ${TARGET.gateway.warm} ms; direct cold ≤ ${TARGET.direct.cold} ms, warm ≤ ${TARGET.direct.warm} ms.`,
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '3. Open → ready', skipped: missing, rows: [], method };

  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES) runs[mode] = await runMode(mode, reps, history, smoke, log, defer);

  const col = (xs: Open[], k: keyof Open) => xs.map((x) => x[k]);
  const rows: Row[] = [];
  const limits: string[] = [];
  for (const mode of MODES) {
    const { widget, bare } = runs[mode];
    const explain = (which: 'cold' | 'warm') => {
      const xs = widget[which];
      return `${which}: session from the companion at ${num(median(col(xs, 'session')))} ms, last chunk (the mode's transport, fetched once the session said the mode) loaded at ${num(median(col(xs, 'chunk')))} ms, socket online at ${num(median(col(xs, 'online')))} ms${which === 'warm' ? `, newest post shown at ${num(median(col(xs, 'history')))} ms` : ''} after the click (medians); the bare client needs ${num(median(bare[which]))} ms for the requests alone`;
    };
    for (const which of ['cold', 'warm'] as const) {
      const med = median(col(widget[which], 'ms'));
      const target = TARGET[mode][which];
      rows.push({
        figure: `${mode === 'gateway' ? 'Gateway' : 'Direct'}: click → history shown and socket live, ${which === 'cold' ? 'new visitor (cold)' : `returning visitor (warm, ${history} messages)`}`,
        porthole: medianSpread(col(widget[which], 'ms')),
        reference: `bare client ${medianSpread(bare[which])}`,
        target: `≤ ${target} ms`,
        verdict: verdict(med <= target),
      });
      if (med > target) {
        const why =
          which === 'warm'
            ? ''
            : mode === 'direct'
              ? " A new visitor's first session makes the companion create a Mattermost user, add it to the team, create a private channel with the agents and mint a token — several sequential Mattermost writes."
              : " A new gateway visitor's session calls no Mattermost API; what remains is one after the other: the panel chunk, the session (a CORS preflight, then the POST), the gateway transport chunk, and the socket with its `auth` round trip (the empty history page runs beside it).";
        limits.push(`${mode === 'gateway' ? 'Gateway' : 'Direct'} ${which} misses its target. ${explain(which)}.${why}`);
      }
    }
  }

  const milestone = (mode: Mode, w: 'cold' | 'warm') => {
    const xs = runs[mode].widget[w];
    return `| ${mode} | ${w} | ${num(median(col(xs, 'chunk')))} | ${num(median(col(xs, 'session')))} | ${num(median(col(xs, 'online')))} | ${w === 'warm' ? num(median(col(xs, 'history'))) : '— (no history)'} | ${num(median(col(xs, 'ms')))} | ${num(median(runs[mode].bare[w]))} |`;
  };
  return {
    title: '3. Open → ready',
    rows,
    method,
    details: [
      'Milestones after the click (medians, ms; resource timings and the probe, page clock):',
      '',
      '| mode | visitor | last chunk loaded (panel, then the transport) | session received | socket online | newest post shown | ready | bare client |',
      '|---|---|---|---|---|---|---|---|',
      ...MODES.flatMap((m) => (['cold', 'warm'] as const).map((w) => milestone(m, w))),
      '',
      `Load average (1 / 5 / 15 min) when each mode started: ${MODES.map((m) => `${m} ${runs[m].load}`).join('; ')}.`,
    ].join('\n'),
    limits: limits.join('\n\n'),
  };
}

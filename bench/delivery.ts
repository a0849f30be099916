// 4. Delivery latency: an agent posts messages through @mattermost/client; the time until each
// is in the widget's DOM, beside a bare WebSocket client on the same server receiving the same
// posts in the same run.
import { Worker } from 'node:worker_threads';
import { num, summarize, tail, verdict } from './support/stats.ts';
import { cdnMissing, clockOffset, epochNow, openConversation, PROXY_PORT, sleep } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const TARGET_RATIO = 1.2;

/**
 * A bare WebSocket client: connect, authenticate, time-stamp every `posted` in one channel. It
 * runs in a worker thread, so its event loop is not the one busy posting.
 */
async function bareClient(token: string, channelId: string) {
  const seen = new Map<string, number>();
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const now = () => performance.timeOrigin + performance.now();
    const ws = new WebSocket(workerData.url);
    ws.onopen = () => ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: workerData.token } }));
    ws.onerror = () => parentPort.postMessage({ error: 'the bare WebSocket client could not connect' });
    ws.onmessage = (e) => {
      const t = now();
      const m = JSON.parse(String(e.data));
      if (m.seq_reply === 1) return parentPort.postMessage(m.status === 'OK' ? { ready: true } : { error: 'authentication_challenge: ' + e.data });
      if (m.event === 'posted') {
        const post = JSON.parse(m.data.post);
        if (post.channel_id === workerData.channelId) parentPort.postMessage({ id: post.id, t });
      }
    };
    parentPort.on('message', () => { ws.close(); process.exit(0); });`,
    { eval: true, workerData: { url: `ws://127.0.0.1:${PROXY_PORT}/api/v4/websocket`, token, channelId } },
  );
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { ready?: boolean; error?: string; id?: string; t?: number }) => {
      if (m.ready) resolve();
      else if (m.error) reject(new Error(m.error));
      else if (m.id && !seen.has(m.id)) seen.set(m.id, m.t!);
    });
    worker.on('error', reject);
  });
  return { seen, close: () => worker.terminate() };
}

export default async function delivery({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const n = smoke ? 10 : 500;
  const gapMs = 20;
  const method = [
    `A new visitor opens the widget (\`bench/pages/host.html\`, Chromium, CDN build, companion and TCP proxy on loopback, as in benchmark 3) and waits until it is online. An agent then posts ${n} messages into the visitor's channel with @mattermost/client (\`Client4.createPost\`, one after the other, ${gapMs} ms apart), directly to Mattermost. Each message's latency runs from just before its \`createPost\` call to the moment its \`[part~="message"][data-post-id]\` element enters the widget's DOM (a MutationObserver on every shadow root, installed before the page's scripts).`,
    `Reference, same run: a bare WebSocket client in Node, in a worker thread of its own (\`WebSocket\`, \`authentication_challenge\` with the agent's token, through the same TCP proxy), that time-stamps each \`posted\` event of the channel the moment it is parsed. Both receive the same posts at the same time. The page's clock is put on Node's with the round trip of least delay among 15 (\`performance.timeOrigin + performance.now()\` on both sides), measured before and after the run, and interpolated.`,
    `Target: widget p99 ≤ ${TARGET_RATIO}× the bare client's p99.`,
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '4. Delivery latency', skipped: missing, rows: [], method };

  const { v, channelId, agent } = await openConversation(defer);
  const bare = await bareClient(agent.getToken(), channelId);
  defer(() => bare.close());

  const off0 = await clockOffset(v.page);
  const t0run = epochNow();
  const sent = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const t = epochNow();
    const post = (await agent.createPost({ channel_id: channelId, message: `Delivery ${i + 1} of ${n}` } as never)) as { id: string };
    sent.set(post.id, t);
    if ((i + 1) % 100 === 0) log(`posted ${i + 1}/${n}`);
    await sleep(gapMs);
  }
  const ids = [...sent.keys()];
  // Wait for the last arrivals (both sides), bounded.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const inPage: number = await v.page.evaluate((ids) => ids.filter((id) => (window as any).__pb.seen.has(id)).length, ids);
    if (inPage === n && ids.every((id) => bare.seen.has(id))) break;
    await sleep(100);
  }
  const off1 = await clockOffset(v.page);
  const t1run = epochNow();
  const page = await v.page.evaluate((ids) => {
    const pb = (window as any).__pb;
    return { origin: performance.timeOrigin, seen: ids.map((id) => pb.seen.get(id) ?? null), counts: pb.postCounts(ids) };
  }, ids);

  // Page time → Node time, with the offset interpolated over the run.
  const toNode = (t: number) => {
    const e = page.origin + t;
    const f = Math.min(1, Math.max(0, (e - t0run) / Math.max(1, t1run - t0run)));
    return e - (off0 + (off1 - off0) * f);
  };
  const widgetLat: number[] = [];
  const bareLat: number[] = [];
  ids.forEach((id, i) => {
    const s = sent.get(id)!;
    if (page.seen[i] !== null) widgetLat.push(toNode(page.seen[i]!) - s);
    if (bare.seen.has(id)) bareLat.push(bare.seen.get(id)! - s);
  });
  const missingW = n - widgetLat.length;
  const missingB = n - bareLat.length;
  const dups = Object.values(page.counts as Record<string, number>).filter((c) => c > 1).length;
  const w = summarize(widgetLat);
  const b = summarize(bareLat);
  const ratio99 = w.p99 / b.p99;
  const ratio50 = w.median / b.median;
  log(`widget ${tail(widgetLat)}; bare ${tail(bareLat)}; p99 ratio ${num(ratio99, 2)}; clock offset ${num(off0, 2)} → ${num(off1, 2)} ms`);

  const limits: string[] = [];
  if (!(ratio99 <= TARGET_RATIO) || missingW) {
    limits.push(
      `The widget's p99 is ${num(ratio99, 2)}× the bare client's (p50 ${num(ratio50, 2)}×). The bare client only parses the event; the widget parses it, validates it (zod at the transport boundary), updates its conversation state and renders through Lit into its shadow DOM — and shares its main thread with everything else on the page. Its tail also carries the browser's own scheduling.${missingW ? ` ${missingW} of ${n} messages never reached the DOM within 15 s.` : ''}`,
    );
  }
  return {
    title: '4. Delivery latency',
    rows: [
      {
        figure: `Agent post → in the widget's DOM (${n} posts)`,
        porthole: tail(widgetLat),
        reference: `bare WebSocket client ${tail(bareLat)}`,
        target: `p99 ≤ ${TARGET_RATIO}× bare`,
        verdict: verdict(ratio99 <= TARGET_RATIO && missingW === 0),
      },
      {
        figure: 'Ratio widget / bare client',
        porthole: `p50 ${num(ratio50, 2)}× · p99 ${num(ratio99, 2)}×`,
        reference: '1.00×',
        target: `p99 ≤ ${TARGET_RATIO}×`,
        verdict: verdict(ratio99 <= TARGET_RATIO),
      },
    ],
    method,
    details: [
      `| client | p50 | p95 | p99 | max | missing | shown twice |`,
      `|---|---|---|---|---|---|---|`,
      `| Porthole widget (DOM) | ${num(w.median)} ms | ${num(w.p95)} ms | ${num(w.p99)} ms | ${num(w.max)} ms | ${missingW} | ${dups} |`,
      `| bare WebSocket client | ${num(b.median)} ms | ${num(b.p95)} ms | ${num(b.p99)} ms | ${num(b.max)} ms | ${missingB} | — |`,
      '',
      `Clock offset page − Node: ${num(off0, 3)} ms before, ${num(off1, 3)} ms after the run.`,
    ].join('\n'),
    limits: limits.join(' '),
  };
}

// 5. Resync: messages posted during an outage of the socket; the time after it returns until
// all are shown; how many are missing and how many are shown twice.
import { medianSpread, median, num, verdict } from './support/stats.ts';
import { cdnMissing, clockOffset, epochNow, openConversation, PROXY_URL, sleep } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const TARGET_MS = 1000;

export default async function resync({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const reps = smoke ? 1 : 5;
  const outageMs = smoke ? 1500 : 10_000;
  const perOutage = smoke ? 3 : 20;
  const method = [
    `A visitor has the widget open and online (Chromium, CDN build, companion and the real Mattermost behind a TCP proxy, as in benchmark 3). The proxy is cut — every open connection reset, new ones refused, REST and WebSocket alike — and once the widget has noticed (its \`connectionState\` leaves \`online\`) an agent posts ${perOutage} messages, spread over a ${outageMs / 1000} s outage, directly to Mattermost. Then the proxy is restored. The figure is the time from the restore until every one of those posts is in the widget's DOM (\`[part~="message"][data-post-id]\`, MutationObserver on every shadow root, page clock put on Node's). Missing: posts not shown 30 s after the restore. Shown twice: post ids with more than one message element, counted 2 s after the last arrival. ${reps} outage${reps === 1 ? '' : 's'} in one conversation.`,
    'Reference, same run: a bare REST client in Node, through the same proxy, that retries `GET /channels/{id}/posts?since=<before the outage>` every 250 ms (no backoff) from before the network returns until all the posts are in its answer — how soon a simple client has the data once the network is back (on average half its retry interval plus one round trip).',
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '5. Resync after an outage', skipped: missing, rows: [], method };

  const { stack, v, channelId, agent } = await openConversation(defer);
  const token = agent.getToken();

  const times: number[] = [];
  const bareTimes: number[] = [];
  const onlineTimes: number[] = [];
  let missingTotal = 0;
  let dupTotal = 0;
  for (let r = 0; r < reps; r++) {
    const before = Date.now() - 1;
    stack.proxy.cut();
    let restored = false;
    try {
      await v.page.waitForFunction(() => (document.querySelector('porthole-chat') as any)?.connectionState !== 'online', null, { timeout: 15_000 });
      const tCut = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < perOutage; i++) {
        const post = (await agent.createPost({ channel_id: channelId, message: `Posted during outage ${r + 1}: ${i + 1} of ${perOutage}` } as never)) as { id: string };
        ids.push(post.id);
        const due = tCut + ((i + 1) * outageMs) / perOutage;
        await sleep(Math.max(0, due - Date.now()));
      }
      // Everything is posted; watch the page for the posts and the bare client for its answer.
      const off = await clockOffset(v.page, 5).catch(() => 0);
      const pageWait = v.page.evaluate(
        ({ ids }) => {
          const pb = (window as any).__pb;
          return pb.waitFor(() => ids.every((id: string) => pb.seen.has(id)), 30_000).then(
            (t: number) => ({ t, origin: performance.timeOrigin }),
            () => ({ t: null, origin: performance.timeOrigin }),
          );
        },
        { ids },
      );
      // The bare client is already retrying when the network comes back, as a real client would be.
      const bareWait = (async () => {
        const deadline = Date.now() + 30_000 + outageMs;
        while (Date.now() < deadline) {
          try {
            const res = await fetch(`${PROXY_URL}/api/v4/channels/${channelId}/posts?since=${before}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) });
            if (res.ok) {
              const body = (await res.json()) as { posts: Record<string, unknown> };
              if (ids.every((id) => body.posts[id])) return epochNow();
            }
          } catch {}
          await sleep(250);
        }
        return null;
      })();
      await sleep(300);
      const tRestore = epochNow();
      stack.proxy.restore();
      restored = true;
      const [p, bareT] = await Promise.all([pageWait, bareWait]);
      const online = await v.page.evaluate((tr) => {
        const pb = (window as any).__pb;
        const s = pb.states.find((x: { t: number; state: string }) => performance.timeOrigin + x.t >= tr && x.state === 'online');
        return s ? performance.timeOrigin + s.t : null;
      }, tRestore + off);
      await sleep(2000);
      const counts: Record<string, number> = await v.page.evaluate((ids) => (window as any).__pb.postCounts(ids), ids);
      const miss = ids.filter((id) => !counts[id]).length;
      const dup = Object.values(counts).filter((c) => c > 1).length;
      missingTotal += miss;
      dupTotal += dup;
      if (p.t !== null) times.push(p.origin + p.t - off - tRestore);
      if (bareT !== null) bareTimes.push(bareT - tRestore);
      if (online !== null) onlineTimes.push(online - off - tRestore);
      log(`outage ${r + 1}/${reps}: all shown ${p.t === null ? 'never' : `${num(p.origin + p.t - off - tRestore)} ms`} after the restore (socket online ${online === null ? '?' : `${num(online - off - tRestore)} ms`}; bare ${bareT === null ? 'never' : `${num(bareT - tRestore)} ms`}); missing ${miss}, twice ${dup}`);
    } finally {
      if (!restored) stack.proxy.restore();
    }
    // Let the widget settle online before the next outage.
    await v.page.waitForFunction(() => (document.querySelector('porthole-chat') as any)?.connectionState === 'online', null, { timeout: 30_000 }).catch(() => {});
  }

  const med = median(times);
  const ok = times.length === reps && med <= TARGET_MS && missingTotal === 0 && dupTotal === 0;
  const limits =
    med > TARGET_MS || times.length < reps
      ? `After the network returns the widget first has to notice: its socket reconnects on reconnecting-websocket's backoff (the next attempt may be seconds away after a ${outageMs / 1000} s outage — the socket was back online ${num(median(onlineTimes))} ms after the restore, median), then it fetches everything since the last post seen over REST. The bare client, retrying every 250 ms, had the data ${num(median(bareTimes))} ms after the restore.`
      : missingTotal || dupTotal
        ? 'Posts were missing or shown twice: the resync after reconnect does not reconcile with what live events delivered.'
        : '';
  return {
    title: '5. Resync after an outage',
    rows: [
      {
        figure: `Network back → all ${perOutage} posts of a ${outageMs / 1000} s outage shown`,
        porthole: times.length ? medianSpread(times) : 'never (none of the outages)',
        reference: `bare REST client retrying every 250 ms ${medianSpread(bareTimes)}`,
        target: `≤ ${TARGET_MS} ms`,
        verdict: verdict(times.length === reps && med <= TARGET_MS),
      },
      {
        figure: `Missing / shown twice (${reps * perOutage} posts over ${reps} outage${reps === 1 ? '' : 's'})`,
        porthole: `${missingTotal} missing, ${dupTotal} shown twice`,
        reference: '—',
        target: '0 and 0',
        verdict: verdict(missingTotal === 0 && dupTotal === 0),
      },
    ],
    method,
    details: `Socket back online after the restore: ${medianSpread(onlineTimes)}. All targets met: ${ok ? 'yes' : 'no'}.`,
    limits,
  };
}

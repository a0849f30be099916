// 12. Upload throughput (files): a visitor's file through the companion (POST /v1/files: checked,
// counted and streamed to Mattermost as the bot) beside the same bytes uploaded straight to
// Mattermost's file API in the same run, on the same machine. Every file is deleted afterwards
// (the companion's through the conversation's erasure, the direct ones through a post deleted for good).
import { randomUUID } from 'node:crypto';
import { adminApi, mattermost } from '../test/support/mattermost.ts';
import { GatewayFixture } from '../src/server/gateway/test-support.ts';
import { medianSpread, median, num, verdict } from './support/stats.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';

/** MB/s of `bytes` sent in `ms`. */
const mbps = (bytes: number, ms: number) => bytes / 1_048_576 / (ms / 1000);

export default async function upload({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const title = '12. Upload throughput';
  const size = smoke ? 64 * 1024 : 8 * 1_048_576;
  const runs = smoke ? 3 : 10;
  const method = `${runs} uploads of ${num(size / 1024, 0)} KiB of random bytes (\`text/plain\`), one after the other, timed from the request to the answer: through the companion (\`POST /v1/files\` with a Porthole token, in this process, over loopback HTTP) and, as the reference, straight to Mattermost (\`POST /api/v4/files?channel_id=&filename=\`, raw body, the admin's token) into the same channel. Median and spread of MB/s (MiB per second).`;
  const mm = await mattermost();
  const origin = mm.allowedOrigins[0]!;
  const fixture = new GatewayFixture(mm);
  defer(() => fixture.dispose());
  const companion = await fixture.serve({ uploads: { maxBytes: Math.max(size, 1024), types: ['text/plain'] }, uploadsPerMinute: 1000 });
  const session = await fixture.visitor(companion).session({ name: 'Bench uploads' });
  defer(() => fixture.visitor(companion).call('DELETE', '/v1/conversation', { token: session.token }));
  const direct: string[] = [];
  defer(async () => {
    for (let i = 0; i < direct.length; i += 10) {
      const post = await adminApi('POST', '/posts', { channel_id: mm.inboxChannelId, message: '', file_ids: direct.slice(i, i + 10) });
      await adminApi('DELETE', `/posts/${post.id}?permanent=true`);
    }
  });
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(body.subarray(i, Math.min(size, i + 65_536)));

  const through: number[] = [];
  const straight: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const res = await fetch(`${companion.url}/v1/files`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${session.token}`,
        'Content-Type': 'text/plain',
        'X-Porthole-File-Name': `bench-${i}.txt`,
        Origin: origin,
      },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`POST /v1/files → ${res.status}`);
    through.push(mbps(size, performance.now() - t));

    t = performance.now();
    const ref = await fetch(`${mm.url}/api/v4/files?channel_id=${mm.inboxChannelId}&filename=bench-${randomUUID()}.txt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mm.adminToken}` },
      body,
    });
    const json = (await ref.json()) as { file_infos?: { id: string }[] };
    if (ref.status !== 201 || !json.file_infos?.[0]) throw new Error(`POST /api/v4/files → ${ref.status}`);
    direct.push(json.file_infos[0].id);
    straight.push(mbps(size, performance.now() - t));
  }
  const ratio = median(through) / median(straight);
  log(
    `through the companion ${num(median(through), 1)} MB/s, straight to Mattermost ${num(median(straight), 1)} MB/s (${num(ratio * 100, 0)} %)`,
  );
  const rows: Row[] = [
    {
      figure: `upload of ${num(size / 1024, 0)} KiB (gateway)`,
      porthole: `${medianSpread(through, 'MB/s', 1)}; ${num(ratio * 100, 0)} % of the direct upload`,
      reference: `straight to Mattermost: ${medianSpread(straight, 'MB/s', 1)}`,
      // What a visitor feels: the default largest file (10 MiB) within a second, on top of their own link.
      target: '≥ 10 MB/s (a 10 MiB file within 1 s)',
      verdict: verdict(smoke ? undefined : median(through) >= 10),
    },
  ];
  return {
    title,
    rows,
    method,
    limits:
      'The companion adds a hop: the bytes cross loopback twice (visitor → companion → Mattermost) and each chunk is counted on the way (the limit is enforced while streaming), so it cannot match the direct upload; it never holds more than a chunk of a file in memory.',
    versions: { mattermost: mm.version },
  };
}

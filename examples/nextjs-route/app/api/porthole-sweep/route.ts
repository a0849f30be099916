// Revokes expired visitor credentials and deactivates long-idle visitors. Call it every minute
// from a scheduler (e.g. Vercel Cron, which sends `Authorization: Bearer $CRON_SECRET`);
// porthole-server does this by itself.
import { timingSafeEqual } from 'node:crypto';
import { getCompanion } from '@/lib/porthole';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function authorized(request: Request): boolean {
  const secret = process.env.CRON_SECRET;
  if (!secret) return false;
  const got = Buffer.from(request.headers.get('authorization') ?? '');
  const want = Buffer.from(`Bearer ${secret}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function GET(request: Request): Promise<Response> {
  if (!authorized(request)) return Response.json({ error: 'unauthorized' }, { status: 401 });
  const companion = getCompanion();
  const revoked = await companion.sweepExpiredCredentials();
  // Cheap enough every minute: two paged user listings of the support team.
  const deactivated = await companion.recycleIdleVisitors();
  return Response.json({ revoked, deactivated });
}

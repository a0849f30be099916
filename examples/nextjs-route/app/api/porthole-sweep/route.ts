// Revokes expired visitor credentials. Call it every minute from a scheduler (e.g. Vercel Cron,
// which sends `Authorization: Bearer $CRON_SECRET`); porthole-server does this by itself.
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
  const revoked = await getCompanion().sweepExpiredCredentials();
  return Response.json({ revoked });
}

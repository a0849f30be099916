// The Porthole companion under /api/porthole/*: POST/DELETE /api/porthole/v1/session,
// GET /api/porthole/healthz and /api/porthole/readyz. It answers CORS preflights itself.
import { getHandlers } from '@/lib/porthole';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = (request: Request) => getHandlers().GET(request);
export const POST = (request: Request) => getHandlers().POST(request);
export const DELETE = (request: Request) => getHandlers().DELETE(request);
export const OPTIONS = (request: Request) => getHandlers().OPTIONS(request);

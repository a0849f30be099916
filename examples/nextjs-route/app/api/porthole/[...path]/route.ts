// The Porthole companion under /api/porthole/*: POST/DELETE /api/porthole/v1/session,
// GET /api/porthole/healthz and /api/porthole/readyz. It answers CORS preflights itself.
// toRouteHandlers calls getCompanion on the first request, not when `next build` imports this file.
import { toRouteHandlers } from 'porthole-chat/server';
import { BASE_PATH, getCompanion } from '@/lib/porthole';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const { GET, POST, DELETE, OPTIONS } = toRouteHandlers(getCompanion, { basePath: BASE_PATH });

// app/api/porthole/[...path]/route.ts
import { createCompanion, loadConfig, toRouteHandlers } from 'porthole-chat/server';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// Given a function, toRouteHandlers creates the companion on the first request: `next build`
// imports this file without your PORTHOLE_* variables.
export const { GET, POST, DELETE, OPTIONS } = toRouteHandlers(() => createCompanion(loadConfig(process.env)), {
  basePath: '/api/porthole',
});

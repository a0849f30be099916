// Harness configuration: where things live and which ports they use, validated from the environment.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pin } from './pin.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const port = z.coerce.number().int().min(1).max(65535);
const schema = z.object({
  PORTHOLE_MM_PORT: port.default(8065),
  PORTHOLE_PG_PORT: port.default(55432),
  PORTHOLE_MM_URL: z.url().optional(),
  PORTHOLE_MM_ADMIN_TOKEN: z.string().min(20).optional(),
  PORTHOLE_MM_START_TIMEOUT: z.coerce.number().int().positive().default(180),
  PORTHOLE_CACHE_DIR: z.string().optional(),
  PORTHOLE_STATE_DIR: z.string().optional(),
  PORTHOLE_MM_INFO_FILE: z.string().optional(),
});

/** Reads and checks the harness settings; a bad value stops with one line per problem. */
export function loadConfig(env = process.env) {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (received ${JSON.stringify(env[i.path[0]])})`);
    throw new HarnessError(lines.join('\n'));
  }
  const c = parsed.data;
  if (!!c.PORTHOLE_MM_URL !== !!c.PORTHOLE_MM_ADMIN_TOKEN) {
    throw new HarnessError('PORTHOLE_MM_URL and PORTHOLE_MM_ADMIN_TOKEN must be set together (one of them is missing)');
  }
  const isRoot = process.getuid?.() === 0;
  const cacheDir = c.PORTHOLE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'porthole');
  // PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which cannot
  // enter /root: keep the state where that user can reach it.
  const stateDir = c.PORTHOLE_STATE_DIR ?? (isRoot ? '/var/lib/porthole' : path.join(os.homedir(), '.local', 'state', 'porthole'));
  const buildDir = path.join(cacheDir, 'mattermost', pin.commit);
  return {
    isRoot,
    mmPort: c.PORTHOLE_MM_PORT,
    pgPort: c.PORTHOLE_PG_PORT,
    external: c.PORTHOLE_MM_URL ? { url: c.PORTHOLE_MM_URL.replace(/\/$/, ''), token: c.PORTHOLE_MM_ADMIN_TOKEN } : null,
    startTimeoutS: c.PORTHOLE_MM_START_TIMEOUT,
    buildDir,
    binary: path.join(buildDir, 'bin', 'mattermost'),
    moduleDir: path.join(buildDir, 'src', 'server'),
    stateDir,
    pgData: path.join(stateDir, 'postgres', 'data'),
    pgLog: path.join(stateDir, 'postgres', 'postgres.log'),
    mmHome: path.join(stateDir, 'mattermost'),
    mmLog: path.join(stateDir, 'mattermost', 'server.log'),
    mmPidFile: path.join(stateDir, 'mattermost', 'server.pid'),
    outFile: c.PORTHOLE_MM_INFO_FILE ?? path.join(repoRoot, '.porthole', 'mattermost.json'),
    url: `http://127.0.0.1:${c.PORTHOLE_MM_PORT}`,
  };
}

/** A failure the harness explains in one line; the CLI prints the message without a stack. */
export class HarnessError extends Error {
  name = 'HarnessError';
}

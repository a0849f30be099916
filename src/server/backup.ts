// `porthole-server backup <file>`: a consistent copy of gateway mode's SQLite store, taken with
// SQLite's online backup API through better-sqlite3, so it is safe while companions serve from the
// same file (copying the file with `cp` is not: the WAL holds recent writes, and a copy taken
// mid-write can be torn). Restoring is putting the copy back while no companion runs
// (docs/operations.md#backing-up-and-restoring).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { ConfigError, readVariables, serverVariables } from './config.js';
import { gatewayConfigSchema, loadMode } from './gateway/config.js';
import { SQLITE_FILE } from './gateway/sqlite-store.js';

/** Why a backup was not made; the message says what to change. */
export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** What {@link backupStore} made. */
export interface BackupResult {
  /** The store that was copied (absolute). */
  source: string;
  /** The copy (absolute). */
  file: string;
  /** Size of the copy, bytes. */
  bytes: number;
  /** Conversations in the copy. */
  conversations: number;
  /** The copy's schema version (`PRAGMA user_version`). */
  schemaVersion: number;
  /** How long it took, ms. */
  ms: number;
}

/** What {@link backupStore} needs. */
export interface BackupOptions {
  /** The companion's `PORTHOLE_DATA_DIR`; the store is `<dataDir>/porthole-gateway.sqlite`. */
  dataDir: string;
  /** Where the copy goes. An existing file is refused unless `force`. */
  file: string;
  /** Replace an existing `file`. Default: false. */
  force?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

const exists = (file: string) => fs.existsSync(file);

/**
 * Copies the gateway's SQLite store to `file` with SQLite's online backup API: consistent even
 * while companions read and write it: the pages are copied from one read snapshot, which in WAL
 * mode blocks no writer.
 * The copy is written next to `file` under a temporary name (mode 0600: it holds the bot's
 * token), switched to a rollback journal so it is one self-contained file, checked with
 * `PRAGMA integrity_check`, then renamed into place.
 *
 * @throws {BackupError} when there is no store, `file` exists without `force`, or the copy fails.
 * @example
 * ```ts
 * const result = await backupStore({ dataDir: '/var/lib/porthole', file: '/backups/porthole.sqlite' });
 * ```
 */
export async function backupStore(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const source = path.resolve(options.dataDir, SQLITE_FILE);
  const file = path.resolve(options.file);
  if (!exists(source))
    throw new BackupError(
      `There is no gateway store at ${source}: expected PORTHOLE_DATA_DIR (${options.dataDir}) to be the directory the companion runs with.`,
    );
  if (file === source) throw new BackupError(`The backup file ${file} is the store itself: choose a file outside PORTHOLE_DATA_DIR.`);
  if (exists(file) && !options.force) throw new BackupError(`${file} already exists: choose another file, or pass --force to replace it.`);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new BackupError(`Cannot write ${file}: expected its directory ${dir} to exist.`);

  // Write-only to a name of our own, then rename: a failed or interrupted backup never leaves a
  // half-written file under the name a restore would use, nor replaces a good one.
  const partial = path.join(dir, `.${path.basename(file)}.partial-${process.pid}`);
  try {
    fs.writeFileSync(partial, '', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new BackupError(`Cannot write ${partial}: ${(err as Error).message}`, { cause: err });
  }
  let db: Database.Database | undefined;
  try {
    // Read-write, not read-only: a read-only connection leaves -wal and -shm files behind (owned
    // by whoever ran the backup) when no companion has the store open; this one only reads, and
    // removes them again on close when it was the last connection.
    try {
      db = new Database(source, { fileMustExist: true, timeout: 5000 });
    } catch (err) {
      throw new BackupError(`Cannot open the store ${source}: ${(err as Error).message}`, { cause: err });
    }
    try {
      // All pages in one step (after the first, which only sizes the copy): a write by another
      // connection between steps would make SQLite restart the copy, which under a steady stream of
      // writes might never finish. One step reads one snapshot; in WAL mode it blocks no writer.
      await db.backup(partial, { progress: () => 0x7fffffff });
    } catch (err) {
      throw new BackupError(`The backup of ${source} failed: ${(err as Error).message}`, { cause: err });
    }
    db.close();
    db = undefined;

    const copy = new Database(partial, { fileMustExist: true });
    let conversations: number;
    let schemaVersion: number;
    try {
      copy.pragma('journal_mode = DELETE');
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw new BackupError(`The copy of ${source} failed SQLite's integrity check: ${String(integrity)}`);
      const hasTable = copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversations'").get();
      if (!hasTable) throw new BackupError(`${source} is not a Porthole gateway store: expected a "conversations" table, found none.`);
      conversations = (copy.prepare('SELECT count(*) AS n FROM conversations').get() as { n: number }).n;
      schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    } finally {
      copy.close();
    }
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, file);
    return { source, file, bytes: fs.statSync(file).size, conversations, schemaVersion, ms: now() - started };
  } catch (err) {
    db?.close();
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

/** A size in bytes for people: `8.0 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The one line the CLI prints for a backup. */
export function formatBackup(result: BackupResult): string {
  return `backup: ${result.file}: ${formatBytes(result.bytes)} (${result.bytes} bytes), ${result.conversations} conversation${
    result.conversations === 1 ? '' : 's'
  }, schema ${result.schemaVersion}, from ${result.source} in ${result.ms} ms`;
}

const argsSchema = z
  .array(z.string())
  .transform((args) => ({ files: args.filter((a) => !a.startsWith('-')), flags: args.filter((a) => a.startsWith('-')) }))
  .pipe(
    z.object({
      files: z.array(z.string()).length(1, 'expected exactly one backup file'),
      flags: z.array(z.enum(['--force'], { error: 'the only option is --force' })),
    }),
  );

/** The arguments of `porthole-server backup`: `<file> [--force]`. */
export function parseBackupArgs(args: readonly string[]): { file: string; force: boolean } {
  const parsed = argsSchema.safeParse([...args]);
  if (!parsed.success) {
    const problem = parsed.error.issues[0]!;
    throw new BackupError(`usage: porthole-server backup <file> [--force] — ${problem.message} (received ${JSON.stringify(args)})`);
  }
  return { file: parsed.data.files[0]!, force: parsed.data.flags.includes('--force') };
}

/**
 * `porthole-server backup <file> [--force]`: reads only `PORTHOLE_MODE`, `PORTHOLE_REDIS_URL` and
 * `PORTHOLE_DATA_DIR` (so a backup job needs none of the companion's secrets), refuses direct
 * mode and a Redis store (which have no SQLite file), and prints one line. Returns the exit code.
 */
export async function runBackupCommand(
  args: readonly string[],
  env: Record<string, string | undefined>,
  out: { stdout: (line: string) => void; stderr: (line: string) => void },
): Promise<number> {
  try {
    const { file, force } = parseBackupArgs(args);
    const mode = loadMode(env);
    if (mode === 'direct')
      throw new BackupError('Direct mode keeps no store: everything is in Mattermost, which you back up with its own procedure.');
    const read = readVariables(
      { PORTHOLE_DATA_DIR: gatewayConfigSchema.shape.PORTHOLE_DATA_DIR, PORTHOLE_REDIS_URL: serverVariables.PORTHOLE_REDIS_URL },
      env,
    );
    if (!read.ok) throw new ConfigError(read.problems);
    if (read.vars.PORTHOLE_REDIS_URL)
      throw new BackupError(
        "PORTHOLE_REDIS_URL is set, so the store is Redis, not SQLite: back up Redis's append-only file or snapshot instead (docs/operations.md#redis).",
      );
    const result = await backupStore({ dataDir: read.vars.PORTHOLE_DATA_DIR, file, force });
    out.stdout(formatBackup(result));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) out.stderr(`porthole-server backup: ${line}`);
      return 1;
    }
    if (err instanceof BackupError) {
      out.stderr(`porthole-server backup: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

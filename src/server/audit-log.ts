// The audit log: one JSON line per sensitive action (who, what, when, the request id), to its own
// sink (`PORTHOLE_AUDIT_LOG`: a file path or `stdout`), apart from the operational log. A line never
// carries a secret or a message's text: only ids, counts and outcomes.
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import { SECRET_VARIABLES, serverVariables } from './config.js';
import { GATEWAY_SECRET_VARIABLES, VARIABLES_NOT_NEEDED_IN_GATEWAY, gatewayConfigSchema } from './gateway/config.js';

/** The sensitive actions the companion records. */
export type AuditAction =
  /** An identified visitor (a verified `identity`) was given a session, or its identity was refused. */
  | 'session.identified'
  /** A visitor logged out: their session's credentials or tokens were revoked. */
  | 'session.revoked'
  /** Credentials were revoked by the companion itself (expired, pruned). */
  | 'credential.revoked'
  /** A transcript was exported (by the visitor or an operator). */
  | 'conversation.exported'
  /** A conversation was erased (by the visitor, an operator or the retention job). */
  | 'conversation.erased'
  /** The configuration was loaded (secrets redacted). */
  | 'config.loaded'
  /** `porthole-server doctor` ran. */
  | 'doctor.run';

/** A detail value: never a secret, never a message's text. */
export type AuditDetail = Record<string, string | number | boolean | null | readonly string[]>;

/** One audited action. */
export interface AuditEvent {
  action: AuditAction;
  /**
   * Who acted: `visitor:<conversation or user id>`, `operator:cli`, `system:retention`,
   * `system:companion`.
   */
  actor: string;
  /** What it acted on (a conversation id, a Mattermost user id), when there is one. */
  subject?: string;
  /** The request id (`X-Request-Id`) when the action came through HTTP. */
  requestId?: string;
  outcome: 'ok' | 'failed';
  /** Ids, counts, reasons. */
  detail?: AuditDetail;
}

/** Where audit events go. {@link createAuditLog} writes JSON lines; tests may collect them. */
export interface AuditLog {
  /** Records one event (synchronously appended: an audit line is not lost to a crash after the action). */
  record(event: AuditEvent): void;
  /** Flushes and closes the sink. */
  close(): Promise<void>;
}

/** An audit log that records nothing (no `PORTHOLE_AUDIT_LOG`). */
export const noAuditLog: AuditLog = { record() {}, async close() {} };

/**
 * Keys whose values are never written, whatever a caller passes in `detail`: credentials, and what
 * could carry a message's text or a visitor's personal data (`email`, the identity's claims).
 */
const SECRET_KEY = /token(?!ids?$)|secret|password|cookie|authorization|identity|text|message|email|body|claims/i;

/** The line written for an event: `at` first, then the event; secret-looking detail keys are dropped. */
export function auditLine(event: AuditEvent, at: Date = new Date()): string {
  const detail = event.detail ? Object.fromEntries(Object.entries(event.detail).filter(([key]) => !SECRET_KEY.test(key))) : undefined;
  const line = {
    at: at.toISOString(),
    action: event.action,
    actor: event.actor,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.requestId !== undefined ? { requestId: event.requestId } : {}),
    outcome: event.outcome,
    ...(detail ? { detail } : {}),
  };
  return `${JSON.stringify(line)}\n`;
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * Told when a line cannot be written (disk full, file removed from under a read-only mount…);
   * the action itself goes on. Default: one line on stderr per failure, without the event.
   */
  onError?: (err: unknown) => void;
}

/**
 * An audit log writing one JSON line per event to `target`: `stdout`, or a file path (created with
 * mode 0600 and appended to; its directory is created; an existing file keeps its mode).
 *
 * The file is opened with `O_APPEND`, so every line goes to the file's current end: rotating with
 * logrotate's `copytruncate` is safe (the next line lands at the start of the truncated file, with
 * no hole). A rotation that renames the file instead needs a restart of the companion.
 *
 * @param target - `stdout` or a file path (`PORTHOLE_AUDIT_LOG`).
 * @param options - a clock and a write-error handler (or, as before, just the clock).
 * @example
 * ```ts
 * const audit = createAuditLog('/var/log/porthole/audit.jsonl');
 * audit.record({ action: 'doctor.run', actor: 'operator:cli', outcome: 'ok', detail: { failed: 0 } });
 * await audit.close();
 * ```
 */
export function createAuditLog(target: string, options: AuditLogOptions | (() => Date) = {}): AuditLog {
  const { now = () => new Date(), onError = reportWriteFailure } = typeof options === 'function' ? { now: options } : options;
  if (target === 'stdout') {
    return {
      record(event) {
        try {
          process.stdout.write(auditLine(event, now()));
        } catch (err) {
          onError(err);
        }
      },
      close: async () => {},
    };
  }
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const fd = fs.openSync(target, 'a', 0o600);
  let open = true;
  return {
    record(event) {
      if (!open) return;
      try {
        fs.writeSync(fd, auditLine(event, now()));
      } catch (err) {
        onError(err);
      }
    },
    async close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}

function reportWriteFailure(err: unknown): void {
  const code = err instanceof Error && 'code' in err ? ` (${String((err as NodeJS.ErrnoException).code)})` : '';
  process.stderr.write(`porthole-server: could not write an audit line${code}: ${err instanceof Error ? err.message : String(err)}\n`);
}

/** The request id the shell gave a request (`X-Request-Id`), for {@link AuditEvent.requestId}. */
export function requestIdOf(c: Context): string | undefined {
  const id: unknown = c.get('requestId');
  return typeof id === 'string' ? id : undefined;
}

/**
 * Records a refused identity (security-relevant: nobody is known yet, so the actor says so) and
 * throws `error`, the answer the route gives.
 */
export function refuseIdentity(audit: AuditLog, c: Context, mode: 'gateway' | 'direct', reason: string, error: Error): never {
  audit.record({
    action: 'session.identified',
    actor: 'visitor:unverified',
    requestId: requestIdOf(c),
    outcome: 'failed',
    detail: { mode, reason },
  });
  throw error;
}

/** Every variable some mode of the companion reads. */
function knownVariables(): Set<string> {
  return new Set([
    ...Object.keys(gatewayConfigSchema.shape),
    ...Object.keys(serverVariables),
    ...VARIABLES_NOT_NEEDED_IN_GATEWAY,
    ...SECRET_VARIABLES,
    ...GATEWAY_SECRET_VARIABLES,
  ]);
}

/** A value of a non-secret variable as the audit line shows it: URL user info removed, long values cut. */
function shownValue(value: string): string {
  const trimmed = value.trim();
  const withoutUserInfo = trimmed.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1[redacted]@');
  return withoutUserInfo.length > 200 ? `${withoutUserInfo.slice(0, 200)}…` : withoutUserInfo;
}

/**
 * The `config.loaded` event for the environment a companion started from: its mode and
 * production flag, and every `PORTHOLE_*` variable that is set (non-empty) —
 *
 * - `variables`: `NAME=value` for the variables the companion reads, secrets (`SECRET_VARIABLES`,
 *   `GATEWAY_SECRET_VARIABLES`: tokens, keys, the Redis URL) as `NAME=[redacted]`, and user info in
 *   URLs replaced by `[redacted]`;
 * - `unknown`: only the NAMES of `PORTHOLE_*` variables no mode reads (often a typo; their values
 *   are never written, since nobody can tell what they hold).
 *
 * @example
 * ```ts
 * audit.record(configLoadedEvent(process.env, { mode: config.mode, production: config.production }));
 * ```
 */
export function configLoadedEvent(
  env: Record<string, string | undefined>,
  config: { mode: 'gateway' | 'direct'; production: boolean },
): AuditEvent {
  const known = knownVariables();
  const variables: string[] = [];
  const unknown: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith('PORTHOLE_') || value === undefined || value.trim() === '') continue;
    if (!known.has(name)) unknown.push(name);
    else if (GATEWAY_SECRET_VARIABLES.has(name) || SECRET_VARIABLES.has(name)) variables.push(`${name}=[redacted]`);
    else variables.push(`${name}=${shownValue(value)}`);
  }
  return {
    action: 'config.loaded',
    actor: 'system:companion',
    outcome: 'ok',
    detail: { mode: config.mode, production: config.production, variables, unknown },
  };
}

// The audit log: one JSON line per sensitive action (who, what, when, the request id), to its own
// sink (`PORTHOLE_AUDIT_LOG`: a file path or `stdout`), apart from the operational log. A line never
// carries a secret or a message's text: only ids, counts and outcomes.
import fs from 'node:fs';
import path from 'node:path';

/** The sensitive actions the companion records. */
export type AuditAction =
  /** An identified visitor (a verified `identity`) was given a session. */
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

/** Keys whose values are never written, whatever a caller passes in `detail`. */
const SECRET_KEY = /token|secret|password|cookie|authorization|identity|text|message/i;

/** The line written for an event: `at` first, then the event; secret-looking detail keys are dropped. */
export function auditLine(event: AuditEvent, at: Date = new Date()): string {
  const detail = event.detail ? Object.fromEntries(Object.entries(event.detail).filter(([key]) => !SECRET_KEY.test(key))) : undefined;
  return `${JSON.stringify({ at: at.toISOString(), ...event, ...(detail ? { detail } : {}) })}\n`;
}

/**
 * An audit log writing one JSON line per event to `target`: `stdout`, or a file path (created with
 * mode 0600 and appended to; its directory is created).
 *
 * @example
 * ```ts
 * const audit = createAuditLog('/var/log/porthole/audit.jsonl');
 * audit.record({ action: 'doctor.run', actor: 'operator:cli', outcome: 'ok', detail: { failed: 0 } });
 * ```
 */
export function createAuditLog(target: string, now: () => Date = () => new Date()): AuditLog {
  if (target === 'stdout') {
    return { record: (event) => void process.stdout.write(auditLine(event, now())), close: async () => {} };
  }
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const fd = fs.openSync(target, 'a', 0o600);
  let open = true;
  return {
    record(event) {
      if (open) fs.writeSync(fd, auditLine(event, now()));
    },
    async close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}

// Structured JSON logging, injectable so tests can capture or silence it.

/** One log entry: a flat object serialised as one JSON line. Never put tokens, cookies or secrets in it. */
export type LogEntry = Record<string, unknown>;

/**
 * Where the companion writes its logs. Each method receives one entry; the default
 * implementation ({@link createJsonLogger}) writes one JSON line per entry.
 */
export interface Logger {
  /** Normal operation: one line per request, start-up, sweeps. */
  info(entry: LogEntry): void;
  /** Something an operator should look at. */
  warn(entry: LogEntry): void;
  /** A failed request or background task. */
  error(entry: LogEntry): void;
}

/**
 * A logger writing one JSON line per entry, with `time` and `level` first.
 *
 * @param write - where lines go; defaults to `process.stdout`.
 * @example
 * ```ts
 * const lines: string[] = [];
 * const logger = createJsonLogger((line) => lines.push(line));
 * ```
 */
export function createJsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const emit = (level: string, entry: LogEntry) => {
    write(JSON.stringify({ time: new Date().toISOString(), level, ...entry }) + '\n');
  };
  return {
    info: (entry) => emit('info', entry),
    warn: (entry) => emit('warn', entry),
    error: (entry) => emit('error', entry),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

#!/usr/bin/env node
// porthole-server: runs the companion from environment variables, or checks Mattermost (`doctor`).
import { createCompanion } from './app.js';
import { configLoadedEvent, createAuditLog } from './audit-log.js';
import { runBackupCommand } from './backup.js';
import { PRIVACY_USAGE, runPrivacyCommand } from './privacy-cli.js';
import { loadConfig } from './companion-config.js';
import { ConfigError } from './config.js';
import { doctorRunEvent, formatDoctor, runDoctor, type DoctorCheck } from './doctor.js';
import { runGatewayDoctor } from './gateway/gateway-doctor.js';
import { runRedisDoctor } from './redis-doctor.js';
import { createJsonLogger } from './logger.js';
import { HttpMattermostAdmin } from './mattermost-admin.js';
import { serve, shutdown } from './node.js';

const USAGE = `Usage: porthole-server [serve|doctor|backup|export|erase]

  serve   (default) run the companion endpoint
  doctor  check Mattermost's settings against what Porthole needs, one line per check
  backup <file> [--force]  gateway mode: copy the SQLite store while it serves (docs/operations.md)
${PRIVACY_USAGE}

Configuration comes from environment variables; see docs/companion.md.`;

/** How often expired visitor credentials are revoked. */
const SWEEP_INTERVAL_MS = 60_000;
/** How often visitors idle past PORTHOLE_IDLE_VISITOR_DAYS are deactivated. */
const RECYCLE_INTERVAL_MS = 3_600_000;
/** How often conversations idle past PORTHOLE_RETENTION_DAYS are erased. */
const RETENTION_INTERVAL_MS = 3_600_000;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'backup')
    return runBackupCommand(argv.slice(1), env, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  if (command === 'export' || command === 'erase')
    return runPrivacyCommand(command, argv.slice(1), env, {
      stdout: (text) => process.stdout.write(text),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  if (command !== 'serve' && command !== 'doctor') {
    process.stderr.write(`porthole-server: unknown command ${JSON.stringify(command)} (expected serve, doctor, backup, export or erase)\n`);
    return 1;
  }

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `porthole-server: invalid configuration (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):\n`,
      );
      for (const line of err.problems) process.stderr.write(`  ${line}\n`);
      return 1;
    }
    throw err;
  }

  const admin = config.mode === 'direct' ? new HttpMattermostAdmin({ url: config.mattermostUrl, token: config.token }) : undefined;
  if (command === 'doctor') {
    const checks: DoctorCheck[] =
      admin && config.mode === 'direct' ? await runDoctor(admin, config) : config.mode === 'gateway' ? await runGatewayDoctor(config) : [];
    if (config.redisUrl) checks.push(...(await runRedisDoctor(config.redisUrl, { durable: config.mode === 'gateway' })));
    else
      checks.push({
        ok: true,
        name: 'redis',
        detail:
          config.mode === 'gateway'
            ? 'not used (no PORTHOLE_REDIS_URL): run one instance only; its SQLite store and rate limits are its own'
            : 'not used (no PORTHOLE_REDIS_URL): each instance counts rate limits on its own',
      });
    process.stdout.write(`mode: ${config.mode}\n`);
    for (const line of formatDoctor(checks)) process.stdout.write(`${line}\n`);
    if (config.auditLog) {
      const audit = createAuditLog(config.auditLog);
      audit.record(doctorRunEvent(config.mode, checks));
      await audit.close();
    }
    return checks.every((check) => check.ok) ? 0 : 1;
  }

  const logger = createJsonLogger();
  const companion = createCompanion(config, { admin, logger });
  companion.audit.record(configLoadedEvent(env, config));
  try {
    await companion.start();
  } catch (err) {
    // Close what start() opened (Redis, the store): its sockets and timers would keep the process alive.
    await companion.stop().catch(() => {});
    throw err;
  }
  const running = await serve(companion, { port: config.port, host: config.host });
  logger.info({
    msg: 'porthole-server listening',
    mode: config.mode,
    url: running.url,
    production: config.production,
    mattermost: config.mattermostUrl,
    origins: config.allowedOrigins.length,
  });

  // Housekeeping that only Mattermost holds the state for: run now, then on a timer; a failure
  // is logged and retried at the next tick.
  const every = (ms: number, what: string, job: () => Promise<number>, doneMessage: string) => {
    const run = () =>
      job().then(
        (count) => count && logger.info({ msg: doneMessage, count }),
        (err: unknown) => logger.warn({ msg: `${what} failed`, error: err instanceof Error ? err.message : String(err) }),
      );
    void run();
    const timer = setInterval(run, ms);
    timer.unref();
    return timer;
  };
  const timers =
    config.mode === 'gateway'
      ? []
      : [
          every(SWEEP_INTERVAL_MS, 'credential sweep', () => companion.sweepExpiredCredentials(), 'expired credentials revoked'),
          every(RECYCLE_INTERVAL_MS, 'idle visitor recycling', () => companion.recycleIdleVisitors(), 'idle visitors deactivated'),
        ];
  if (config.retentionDays > 0)
    timers.push(every(RETENTION_INTERVAL_MS, 'retention', () => companion.eraseIdleConversations(), 'idle conversations erased'));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ msg: 'shutting down', signal });
      timers.forEach(clearInterval);
      // Drain (readyz 503, live sockets told to reconnect elsewhere with 1012), stop accepting,
      // finish the requests in flight, then close the bot's socket, the store and Redis.
      shutdown(companion, running, {
        delayMs: config.drainDelaySeconds * 1000,
        graceMs: config.drainGraceSeconds * 1000,
        onError: (err) => logger.warn({ msg: 'stop failed', error: err instanceof Error ? err.message : String(err) }),
      }).then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line, no stack: the operator needs the cause, not our call graph.
    process.stderr.write(`porthole-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

// `porthole-server export <visitor>` and `porthole-server erase <visitor> --yes`: an operator's
// access and erasure requests (GDPR Art. 15, 17, 20), in either mode, with the companion's own
// configuration. The transcript goes to stdout; the log goes to stderr, so stdout stays valid JSON.
import { createCompanion, type Companion, type CompanionOptions } from './app.js';
import { loadConfig } from './companion-config.js';
import { ConfigError } from './config.js';
import { HttpError } from './errors.js';
import { createJsonLogger } from './logger.js';
import type { ErasureReport } from './privacy.js';

/** The audit actor of the CLI's actions. */
export const CLI_ACTOR = 'operator:cli';

/** Where the commands write (the CLI passes process.stdout/stderr; tests collect the lines). */
export interface PrivacyCliIo {
  stdout(text: string): void;
  stderr(line: string): void;
}

/** Usage lines of the two commands, for the CLI's USAGE. */
export const PRIVACY_USAGE = `  export <visitor>        print the visitor's transcript (JSON) on stdout
  erase <visitor> --yes   erase the visitor's conversation from Mattermost and the store, for good
                          <visitor>: a conversation id (direct mode: the visitor's channel id) or sub:<identity sub>`;

/** The one line an erasure prints. */
export function describeErasure(report: ErasureReport): string {
  if (!report.found) return `nothing to erase for ${report.conversationId || 'that visitor'}: never started, or erased before`;
  const parts = [`${report.posts} post${report.posts === 1 ? '' : 's'} (${report.files} file${report.files === 1 ? '' : 's'})`];
  if (report.channel !== undefined) parts.push(report.channel ? 'the channel' : 'no channel (already gone)');
  if (report.user !== undefined) parts.push(report.user ? 'the user' : 'no user (already gone)');
  return `erased ${report.conversationId || 'the visitor'}: deleted ${parts.join(', ')}`;
}

/**
 * Runs `export` or `erase` with `args` (after the command name); returns the exit code: 0 done, 1
 * refused (usage, configuration, nothing known of the visitor, Mattermost refusing).
 */
export async function runPrivacyCommand(
  command: 'export' | 'erase',
  args: string[],
  env: NodeJS.ProcessEnv,
  io: PrivacyCliIo,
  options: CompanionOptions = {},
): Promise<number> {
  const positional = args.filter((a) => !a.startsWith('--'));
  const flags = args.filter((a) => a.startsWith('--'));
  const allowed = command === 'erase' ? ['--yes'] : [];
  const unknown = flags.filter((f) => !allowed.includes(f));
  if (positional.length !== 1 || unknown.length > 0) {
    const expected = command === 'erase' ? 'erase <visitor> --yes' : 'export <visitor>';
    io.stderr(`porthole-server: expected "${expected}"; received ${JSON.stringify([command, ...args].join(' '))}`);
    return 1;
  }
  if (command === 'erase' && !flags.includes('--yes')) {
    io.stderr(
      `porthole-server: erase deletes the visitor's messages and files from Mattermost for good; run "porthole-server erase ${positional[0]} --yes" to go ahead`,
    );
    return 1;
  }

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`porthole-server: invalid configuration (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):`);
    for (const line of err.problems) io.stderr(`  ${line}`);
    return 1;
  }

  const logger = options.logger ?? createJsonLogger((line) => process.stderr.write(line));
  // The CLI needs the store and the bot's token, not live events: it does not wait for the socket.
  const companion: Companion = createCompanion(config, { logger, ...options, gateway: { connectWaitMs: 0, ...options.gateway } });
  try {
    await companion.start();
    const ref = positional[0]!;
    if (command === 'export') {
      const transcript = await companion.privacy.exportConversation(ref, { actor: CLI_ACTOR });
      io.stdout(`${JSON.stringify(transcript, null, 2)}\n`);
    } else {
      io.stdout(`${describeErasure(await companion.privacy.eraseConversation(ref, { actor: CLI_ACTOR }))}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof HttpError || err instanceof TypeError) {
      io.stderr(`porthole-server: ${command} failed: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await companion.stop().catch(() => {});
  }
}

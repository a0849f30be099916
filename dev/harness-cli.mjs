// The dispatch every harness CLI shares (`npm run mattermost:*`, `npm run redis:*`): run the named
// command, print a HarnessError as one line prefixed with the script's name, exit 1 on failure.

/**
 * Runs `commands[process.argv[2]]`.
 *
 * @param {string} script - e.g. `redis` (messages read `redis:up: …`).
 * @param {Record<string, () => Promise<void>>} commands
 * @param {new (...args: any[]) => Error} HarnessError - errors of this class print without a stack.
 */
export function runHarnessCli(script, commands, HarnessError) {
  const name = process.argv[2];
  if (!commands[name]) {
    console.error(`usage: cli.mjs ${Object.keys(commands).join('|')} (received ${JSON.stringify(name ?? '')})`);
    process.exit(2);
  }
  commands[name]().catch((e) => {
    console.error(e instanceof HarnessError ? `${script}:${name}: ${e.message}` : e);
    process.exit(1);
  });
}

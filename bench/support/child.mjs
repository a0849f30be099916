// Runs one benchmark file in its own process (started by bench/run.mjs with `--import tsx`):
// imports it, calls its default export with a context, and writes the result as JSON to
// BENCH_OUT. A thrown error is a crash (exit 1); a benchmark that cannot run here returns
// { skipped: reason } instead.
//
// Context: { smoke, log(...), defer(fn) }. `defer` registers clean-up (closing browsers,
// deleting the Mattermost users a benchmark created) that also runs when the runner stops the
// process on its time limit (SIGTERM) or on Ctrl-C.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
const out = process.env.BENCH_OUT;
const smoke = process.env.BENCH_SMOKE === '1';
const id = path.basename(file).replace(/\.(mjs|ts)$/, '');
const log = (...args) => process.stderr.write(`  [${id}] ${args.join(' ')}\n`);

const cleanups = [];
let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`clean-up failed: ${err?.message ?? err}`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    log(`stopped (${sig}); cleaning up`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await cleanUp();
    process.exit(1);
  });
}

try {
  const mod = await import(pathToFileURL(path.resolve(file)).href);
  const started = performance.now();
  const result = await mod.default({ smoke, log, defer: (fn) => cleanups.push(fn) });
  await cleanUp();
  result.id ??= id;
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  result.measuredAt = new Date().toISOString();
  if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2));
  // Open sockets of libraries (playwright, undici keep-alive) must not keep the process alive.
  process.exit(0);
} catch (err) {
  process.stderr.write(`  [${id}] crashed: ${err?.stack ?? err}\n`);
  await cleanUp();
  if (out) fs.writeFileSync(out, JSON.stringify({ id, crashed: String(err?.message ?? err) }));
  process.exit(1);
}

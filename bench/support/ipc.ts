// Request and answer over a child process's IPC channel, for the benchmarks that spread their
// load over several processes (bench/sockets.ts, bench/soak.ts): the parent forks a helper with
// `forkHelper` and `ask`s it; the helper answers with `answerRequests`. Every request has an id, a
// time limit, and fails at once when the helper exits, naming what it was waiting for.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

interface Request {
  id: number;
  cmd: string;
  [key: string]: unknown;
}

interface Answer {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** A helper process and the way to ask it things. */
export interface Helper {
  readonly name: string;
  readonly child: ChildProcess;
  /** Sends `cmd` with `payload`; resolves with the answer, rejects on an error answer, the helper's exit or the time limit. */
  ask<T = Record<string, unknown>>(cmd: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Asks the helper to stop (`stop`), waits for its exit (kills it after `graceMs`). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Forks `file` (TypeScript, through tsx) with `env` on top of this process's environment and waits
 * for its first message (`{ ready: true }`, or `{ error }`), at most `readyMs`.
 */
export async function forkHelper(
  name: string,
  file: string,
  o: { env?: Record<string, string | undefined>; execArgv?: string[]; readyMs?: number } = {},
): Promise<Helper> {
  const child = fork(path.resolve(file), [], {
    execArgv: ['--import', 'tsx', ...(o.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...o.env },
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void; cmd: string }>();
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `the ${name} process exited (${signal ?? `code ${code}`})`;
      for (const p of pending.values()) p.reject(new Error(`${exited} while the benchmark waited for its answer to ${p.cmd}`));
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (m: Answer) => {
    const p = typeof m?.id === 'number' ? pending.get(m.id) : undefined;
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m);
    else p.reject(new Error(`${name}: ${p.cmd} failed: ${m.error}`));
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${name} process did not get ready within ${(o.readyMs ?? 60_000) / 1000} s`)),
      o.readyMs ?? 60_000,
    );
    const onFirst = (m: { ready?: boolean; error?: string }) => {
      if (!m || (m.ready === undefined && m.error === undefined)) return;
      clearTimeout(timer);
      child.off('message', onFirst);
      if (m.ready) resolve();
      else reject(new Error(`the ${name} process could not start: ${m.error}`));
    };
    child.on('message', onFirst);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ${name} process exited (${signal ?? `code ${code}`}) before it was ready`));
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    ask<T>(cmd: string, payload: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${exited}; cannot ask it for ${cmd}`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${cmd} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        pending.set(id, {
          cmd,
          resolve: (a) => (clearTimeout(timer), resolve(a as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ ...payload, id, cmd } satisfies Request);
      });
    },
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        if (exited) return;
        if (child.connected) child.send({ id: 0, cmd: 'stop' } satisfies Request);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exitedPromise;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/**
 * The helper's side: answers each request with `handlers[cmd](request)`'s result (an object,
 * spread into the answer) or its error. `stop` runs `onStop` and exits; so does the parent's going
 * away. Sends `{ ready: true }` once `start` has resolved (or `{ error }` when it throws).
 */
export function answerRequests(
  handlers: Record<string, (req: any) => unknown>,
  o: { start?: () => Promise<void>; onStop?: () => Promise<void> | void } = {},
): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 15_000);
    force.unref();
    try {
      await o.onStop?.();
    } catch (err) {
      process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    }
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('message', async (m: Request) => {
    if (m?.cmd === 'stop') return void stop();
    const handler = handlers[m?.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${JSON.stringify(m?.cmd)} (expected ${Object.keys(handlers).join(', ')})`);
      const result = ((await handler(m)) ?? {}) as Record<string, unknown>;
      process.send?.({ ...result, id: m.id, ok: true });
    } catch (err) {
      process.send?.({ id: m.id, ok: false, error: (err as Error)?.message ?? String(err) });
    }
  });
  (o.start ?? (async () => {}))().then(
    () => process.send?.({ ready: true }),
    (err) => {
      process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
      process.send?.({ error: (err as Error)?.message ?? String(err) });
      setTimeout(() => process.exit(1), 100);
    },
  );
}

/** `performance.timeOrigin + performance.now()`: epoch ms with sub-ms precision, comparable between processes of one machine (after {@link clockOffset}). */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * The helper's clock minus this process's (ms), from the round trip of least delay among
 * `samples` `clock` requests (the helper answers `{ now: epochNow() }`).
 */
export async function clockOffset(helper: Helper, samples = 20): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < samples; i++) {
    const t0 = epochNow();
    const { now } = await helper.ask<{ now: number }>('clock');
    const t1 = epochNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: now - (t0 + t1) / 2 };
  }
  return best.offset;
}

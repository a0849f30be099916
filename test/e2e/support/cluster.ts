// A scaled-out companion for the end-to-end suites: N real `porthole-server` processes (the CLI,
// from src/) on one real Redis, behind Debian's nginx running examples/deploy/nginx.conf — the
// configuration docs/deploying.md gives operators.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { companionEnv } from '../../../dev/companion-env.mjs';
import { ensureCommand } from '../../../dev/apt.mjs';
import { isPortOpen } from '../../../dev/mattermost/system.mjs';
import { up as redisUp } from '../../../dev/redis/index.mjs';
import type { MattermostInfo } from '../../support/mattermost.ts';
import { eventually } from './stack.ts';

/** One companion process. */
export class CompanionProcess {
  child: ChildProcess | undefined;
  /** Every JSON log line it wrote, parsed. */
  readonly log: Record<string, any>[] = [];
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** The process is running. */
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until its `/readyz` says ready. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts'], {
      env: { ...process.env, ...this.env, PORTHOLE_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let buffered = '';
    const take = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.log.push(JSON.parse(line));
        } catch {
          this.log.push({ text: line });
        }
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    try {
      await this.waitReady(child);
    } catch (e) {
      await this.stop('SIGKILL'); // never leave a process on a fixed port behind
      throw e;
    }
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    let last = 'no answer';
    try {
      await eventually(
        `${this.name} to be ready`,
        async () => {
          if (child.exitCode !== null) throw new Error(`${this.name} exited (${child.exitCode}): ${JSON.stringify(this.log.slice(-5))}`);
          const res = await fetch(`${this.url}/readyz`).catch(() => undefined);
          const body = res ? await res.text() : '';
          last = res ? `${res.status} ${body}` : 'no answer';
          return res?.status === 200 && JSON.parse(body).status === 'ready';
        },
        60_000,
      );
    } catch (e) {
      // Say why: the last /readyz answer and the instance's last log lines.
      throw new Error(`${(e as Error).message}; last /readyz: ${last}; last log lines: ${JSON.stringify(this.log.slice(-8))}`, {
        cause: e,
      });
    }
  }

  /** The `/v1/live` sockets it holds, from its `/readyz`. */
  async liveSockets(): Promise<number> {
    const body = await (await fetch(`${this.url}/readyz`)).json();
    const gateway = body.checks.find((c: { name: string }) => c.name === 'gateway');
    return Number(/(\d+) live sockets/.exec(gateway?.message ?? '')?.[1] ?? 0);
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    this.child!.kill(signal);
    await this.#exited;
  }
}

/** nginx with examples/deploy/nginx.conf, its placeholders filled in, in a scratch prefix. */
export class Nginx {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-nginx-'));
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly upstreams: number[],
  ) {}

  async start(): Promise<void> {
    // Installed when missing (as root); the nginx service Debian's package starts on :80 is stopped.
    const bin = ensureCommand({ command: 'nginx', package: 'nginx', services: ['nginx'], paths: ['/usr/sbin/nginx'] });
    const site = fs
      .readFileSync('examples/deploy/nginx.conf', 'utf8')
      .replace('@UPSTREAMS@', this.upstreams.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n    '))
      .replace('@LISTEN@', `127.0.0.1:${this.port}; listen [::1]:${this.port}`);
    for (const d of ['logs', 'tmp']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    const t = path.join(this.dir, 'tmp');
    const main = `daemon off;
worker_processes 1;
pid ${this.dir}/nginx.pid;
error_log ${this.dir}/logs/error.log warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 1024; }
http {
  access_log ${this.dir}/logs/access.log;
  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;
${site}
}
`;
    fs.writeFileSync(path.join(this.dir, 'nginx.conf'), main);
    this.#child = spawn(bin, ['-p', this.dir, '-c', path.join(this.dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.#child.stderr!.on('data', (d) => (err += d));
    await eventually(
      'nginx to listen',
      async () => {
        if (this.#child!.exitCode !== null) throw new Error(`nginx exited (${this.#child!.exitCode}): ${err}`);
        return isPortOpen(this.port);
      },
      15_000,
    );
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Two or more companions on one Redis behind nginx. */
export interface Cluster {
  redisUrl: string;
  instances: CompanionProcess[];
  nginx: Nginx;
  /** The companion's URL as visitors reach it: nginx. */
  url: string;
  close(): Promise<void>;
}

/** Starts Redis (harness), `ports.length` companions in gateway mode on it, and nginx in front. */
export async function startCluster(
  mm: MattermostInfo,
  options: { ports: number[]; nginxPort: number; origin: string; env?: Record<string, string> },
): Promise<Cluster> {
  const redis = await redisUp({ log: () => {} });
  const prefix = `porthole-e2e-${process.pid}-${Date.now()}:`;
  const env = companionEnv(mm, {
    PORTHOLE_MODE: 'gateway',
    PORTHOLE_ALLOWED_ORIGINS: options.origin,
    PORTHOLE_COOKIE_SECRET: 'scale-cookie-secret-scale-cookie-secret-01',
    PORTHOLE_TOKEN_SECRET: 'scale-token-secret-scale-token-secret-0123',
    PORTHOLE_REDIS_URL: redis.url,
    PORTHOLE_REDIS_PREFIX: prefix,
    PORTHOLE_TRUST_PROXY: 'true',
    PORTHOLE_MESSAGES_PER_MINUTE: '1000',
    PORTHOLE_ADDRESS_SENDS_PER_MINUTE: '100000',
    PORTHOLE_LIVE_CONNECTS_PER_MINUTE: '1000',
    ...options.env,
  });
  const instances = options.ports.map((port, i) => new CompanionProcess(String.fromCharCode(65 + i), port, env));
  const nginx = new Nginx(options.nginxPort, options.ports);
  try {
    for (const instance of instances) await instance.start();
    await nginx.start();
  } catch (e) {
    // Whatever started must not outlive a failed set-up (fixed ports).
    await nginx.stop().catch(() => {});
    for (const instance of instances) await instance.stop('SIGKILL');
    throw e;
  }
  return {
    redisUrl: redis.url,
    instances,
    nginx,
    url: `http://127.0.0.1:${options.nginxPort}`,
    async close() {
      await nginx.stop();
      for (const instance of instances) await instance.stop('SIGKILL');
      // Leave no keys of this run behind.
      const { Redis } = await import('ioredis');
      const client = new Redis(redis.url);
      const keys = await client.keys(`${prefix}*`);
      if (keys.length) await client.del(...keys);
      await client.quit();
    },
  };
}

// Node adapters: a (req, res) listener for http.createServer / Express / Connect, and serve().
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, serve as honoServe } from '@hono/node-server';
import type { Companion } from './app.js';

/** A Node request listener, as accepted by `http.createServer`, Express and Connect. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Wraps the companion as a Node `(req, res)` listener. The socket's remote address reaches the
 * rate limiter through `env.incoming`.
 *
 * Express / Connect: mount it under a path, before any body parser (the companion reads the raw
 * body itself): `app.use('/porthole', toNodeListener(companion))` — Express strips the mount path,
 * so the companion sees `/v1/session`. Mounted after a parser that read the body, it answers 500
 * `body_consumed` (and says why in the log, once) instead of seeing an empty body.
 *
 * @example
 * ```ts
 * http.createServer(toNodeListener(companion)).listen(8787);
 * ```
 */
export function toNodeListener(companion: Pick<Companion, 'fetch'>): NodeListener {
  const listener = getRequestListener((request, env) => companion.fetch(request, env));
  let warned = false;
  return async (req, res) => {
    if (!bodyConsumed(req)) return listener(req, res);
    // A body parser mounted before the companion (express.json(), bodyParser…) has read the body:
    // the companion would see an empty one — and an identified visitor would silently become an
    // anonymous one. Refuse, loudly, once in the log and on every such request.
    if (!warned) {
      warned = true;
      console.error(`porthole: ${BODY_CONSUMED}`);
    }
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'body_consumed', message: BODY_CONSUMED } }));
  };
}

const BODY_CONSUMED =
  "the request's body was read before the companion got it (a body parser such as express.json() is mounted before it): mount the companion before any body parser, e.g. app.use('/porthole', toNodeListener(companion)); app.use(express.json())";

/**
 * Whether something read `req`'s body before the companion: the request declares a body and the
 * stream has ended (on-finished's test, which Express's body parsers use themselves).
 */
function bodyConsumed(req: IncomingMessage): boolean {
  const declared = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  return declared && req.complete && !req.readable;
}

/** A listening companion server. */
export interface RunningServer {
  /** The Node server. */
  server: Server;
  /** `http://host:port` it listens on. */
  url: string;
  /** Stops accepting connections and resolves when closed. */
  close(): Promise<void>;
}

/** Timing of {@link shutdown}. */
export interface ShutdownOptions {
  /** How long `/readyz` answers 503 while the instance still serves, so the load balancer stops sending it traffic. Default: 0. */
  delayMs?: number;
  /** How long requests in flight get to finish once the server stops accepting; then every connection is cut. Default: 10 s. */
  graceMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Shuts a served companion down gracefully, the order a load balancer needs:
 * 1. `companion.drain()`: `/readyz` answers 503 `draining`;
 * 2. `delayMs` of still serving everything while the load balancer notices;
 * 3. `companion.releaseLiveSockets()`: live sockets are closed with 1012 `draining`, so their
 *    widgets reconnect — through the load balancer, now to another instance;
 * 4. the server stops accepting connections (idle keep-alive ones are closed);
 * 5. requests in flight finish (`graceMs` at most, then every connection is cut);
 * 6. `companion.stop()`: the bot's socket, the store, Redis.
 */
export async function shutdown(
  companion: Pick<Companion, 'stop'> & Partial<Pick<Companion, 'drain' | 'releaseLiveSockets'>>,
  running: RunningServer,
  options: ShutdownOptions = {},
): Promise<void> {
  const report = (err: unknown) => options.onError?.(err);
  await companion.drain?.().catch(report);
  if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  await companion.releaseLiveSockets?.().catch(report);
  const closed = new Promise<void>((resolve) => running.server.close(() => resolve()));
  running.server.closeIdleConnections();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs ?? 10_000)));
  await Promise.race([closed, grace]);
  clearTimeout(timer);
  running.server.closeAllConnections();
  await closed;
  await companion.stop().catch(report);
}

/**
 * Serves the companion on Node's http server, WebSocket upgrades (gateway mode's `/v1/live`)
 * included. Call `companion.start()` first; stop with {@link shutdown}.
 *
 * @param options.port - port (0 = any free port).
 * @param options.host - interface, e.g. `127.0.0.1` or `0.0.0.0`.
 */
export function serve(
  companion: Pick<Companion, 'fetch'> & Partial<Pick<Companion, 'upgrade'>>,
  options: { port: number; host: string },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = honoServe(
      { fetch: (request, env) => companion.fetch(request, env), port: options.port, hostname: options.host },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          server: server as Server,
          url: `http://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done, fail) => {
              (server as Server).close((err) => (err ? fail(err) : done()));
              (server as Server).closeAllConnections?.();
            }),
        });
      },
    );
    // Gateway mode's /v1/live WebSocket; any other upgrade is refused.
    server.on('upgrade', (req, socket, head) => {
      // Node hands an upgraded socket over without the server's `error` listener; a reset must
      // not become an uncaught exception.
      socket.on('error', () => socket.destroy());
      if (!companion.upgrade?.(req, socket, head)) socket.destroy();
    });
    server.once('error', reject);
  });
}

// Asks the live Mattermost what a browser on a site would be told: a real CORS preflight and a
// real WebSocket upgrade with that site's Origin. `doctor` uses it to tell settings that are
// saved from settings that are applied (Mattermost builds its CORS handler only at start).
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Mattermost's answer to a CORS preflight. */
export interface CorsPreflightAnswer {
  /** HTTP status; 0 when Mattermost could not be reached (see `error`). */
  status: number;
  /** `Access-Control-Allow-Origin`, or `null` when absent. */
  allowOrigin: string | null;
  /** `Access-Control-Allow-Headers`, or `null` when absent. */
  allowHeaders: string | null;
  /** Why there is no answer, when `status` is 0. */
  error?: string;
}

/** Mattermost's answer to a WebSocket upgrade request. */
export interface WebSocketUpgradeAnswer {
  /** 101 when the upgrade was accepted (the socket is closed at once); 0 when unreachable. */
  status: number;
  /** The status line's text, e.g. `Forbidden`, when known. */
  statusText?: string;
  /** Why there is no answer, when `status` is 0. */
  error?: string;
}

/**
 * What `doctor` asks the live server, per allowed origin. {@link HttpOriginProber} asks a real
 * Mattermost; unit tests pass a fake.
 */
export interface OriginProber {
  /** `OPTIONS /api/v4/users/me` as a browser on `origin` sends it before an authorised GET. */
  corsPreflight(origin: string): Promise<CorsPreflightAnswer>;
  /** `GET /api/v4/websocket` with `Upgrade: websocket` and `Origin: origin`. */
  webSocketUpgrade(origin: string): Promise<WebSocketUpgradeAnswer>;
}

/** The request headers the widget sends to Mattermost's REST API (lowercase, sorted). */
export const PREFLIGHT_REQUEST_HEADERS = ['authorization', 'content-type'] as const;

/** Options of {@link HttpOriginProber}. */
export interface HttpOriginProberOptions {
  /** Mattermost base URL as the companion reaches it (`PORTHOLE_MM_URL`). */
  mattermostUrl: string;
  /** Per-probe timeout in ms. Default: 5 000. */
  timeoutMs?: number;
  /** fetch implementation for the preflight (tests, proxies). Default: global fetch. */
  fetch?: typeof fetch;
}

function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${message}${cause}`;
}

/**
 * {@link OriginProber} against a real Mattermost. Never rejects: an unreachable server is an
 * answer with status 0 and an `error`. Neither probe carries a token.
 *
 * @example
 * ```ts
 * const prober = new HttpOriginProber({ mattermostUrl: 'http://localhost:8065' });
 * const preflight = await prober.corsPreflight('https://shop.example.com'); // { status: 204, allowOrigin: 'https://shop.example.com', … }
 * const upgrade = await prober.webSocketUpgrade('https://shop.example.com'); // { status: 101 } or { status: 403, statusText: 'Forbidden' }
 * ```
 */
export class HttpOriginProber implements OriginProber {
  private readonly apiBase: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: HttpOriginProberOptions) {
    this.apiBase = `${options.mattermostUrl.replace(/\/+$/, '')}/api/v4`;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** @inheritdoc */
  async corsPreflight(origin: string): Promise<CorsPreflightAnswer> {
    try {
      const response = await this.fetchImpl(`${this.apiBase}/users/me`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': PREFLIGHT_REQUEST_HEADERS.join(','),
        },
        // A browser does not follow a redirected preflight either.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      return {
        status: response.status,
        allowOrigin: response.headers.get('Access-Control-Allow-Origin'),
        allowHeaders: response.headers.get('Access-Control-Allow-Headers'),
      };
    } catch (err) {
      return { status: 0, allowOrigin: null, allowHeaders: null, error: describeFailure(err) };
    }
  }

  /** @inheritdoc */
  webSocketUpgrade(origin: string): Promise<WebSocketUpgradeAnswer> {
    const url = new URL(`${this.apiBase}/websocket`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const request = send(url, {
        method: 'GET',
        // Our own socket, never pooled: it is destroyed as soon as the status is known.
        agent: false,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          Origin: origin,
        },
      });
      let settled = false;
      const finish = (answer: WebSocketUpgradeAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => finish({ status: 0, error: `no answer within ${this.timeoutMs} ms` }), this.timeoutMs);
      request.on('upgrade', (response: IncomingMessage, socket) => {
        socket.destroy();
        finish({ status: response.statusCode ?? 101, statusText: response.statusMessage });
      });
      request.on('response', (response: IncomingMessage) => {
        // Refused: drain the short error body so the socket ends cleanly, then answer.
        const answer = { status: response.statusCode ?? 0, statusText: response.statusMessage };
        response.on('error', () => finish(answer));
        response.on('end', () => finish(answer));
        response.resume();
      });
      request.on('error', (err) => finish({ status: 0, error: describeFailure(err) }));
      request.end();
    });
  }
}

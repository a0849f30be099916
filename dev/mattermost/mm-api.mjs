// A minimal REST caller for the harness: over TCP with a token, or over the local-mode unix socket.
import http from 'node:http';
import { HarnessError } from './config.mjs';

/** Calls the Mattermost REST API; resolves with `{ status, body }`, never throws on an HTTP error. */
export function request({ url, token, socketPath }, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const u = socketPath ? null : new URL(`/api/v4${path}`, url);
  const target = socketPath
    ? { socketPath, path: `/api/v4${path}` }
    : { hostname: u.hostname, port: u.port, path: u.pathname + u.search, protocol: u.protocol };
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, method, headers, timeout: 30000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        let parsed = data;
        try {
          parsed = data ? JSON.parse(data) : null;
        } catch {}
        resolve({ status: res.statusCode, body: parsed, headers: res.headers });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} after 30 s`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Like `request`, but throws a one-line HarnessError unless the status is one of `ok`. */
export async function call(conn, method, path, body, ok = [200, 201]) {
  const r = await request(conn, method, path, body);
  if (!ok.includes(r.status)) {
    const msg = r.body && typeof r.body === 'object' ? (r.body.message ?? JSON.stringify(r.body)) : r.body;
    throw new HarnessError(`Mattermost answered ${r.status} to ${method} /api/v4${path}: ${msg}`);
  }
  return r.body;
}

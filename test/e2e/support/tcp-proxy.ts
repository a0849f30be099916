// A TCP proxy the end-to-end tests put between the browser and Mattermost, so they can cut the
// network (every open connection, the WebSocket included, is reset) and restore it.
import net from 'node:net';

export class TcpProxy {
  #server = net.createServer((client) => this.#accept(client));
  #sockets = new Set<net.Socket>();
  #cut = false;
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  #accept(client: net.Socket) {
    if (this.#cut) return client.resetAndDestroy();
    const upstream = net.connect(this.target);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Resets every open connection and refuses new ones until `restore()`. */
  cut() {
    this.#cut = true;
    for (const s of this.#sockets) s.resetAndDestroy();
  }

  restore() {
    this.#cut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 for fault specs. `cut()` destroys every open connection and resets new
 * ones at once until `restore()`: to a client it looks like the server went away. `blackhole()`
 * makes the network silent instead (see test/faults/repro/silent-network.repro.ts).
 */
export class FaultProxy {
  private readonly server: Server;
  /** Client side → server side of each open connection. */
  private readonly open = new Map<Socket, Socket>();
  private down = false;
  private silent = false;
  /** Connections held open without a byte forwarded, in silent mode. */
  private readonly held = new Set<Socket>();
  /** Connections reset while the proxy was down. */
  refused = 0;
  accepted = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetUrl: string): Promise<FaultProxy> {
    const url = new URL(targetUrl);
    const proxy = new FaultProxy({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** Where clients connect instead of the target, e.g. as an SqsBackend endpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every connection dies now, and every new one dies at once, until restore(). */
  cut(): void {
    this.down = true;
    for (const [client, upstream] of this.open) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.open.clear();
  }

  /**
   * The other way a network fails: nothing arrives and nothing is closed. Open connections stop
   * forwarding and are never answered again; new ones are accepted and ignored until restore().
   */
  blackhole(): void {
    this.silent = true;
    for (const [client, upstream] of this.open) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.held.add(client);
    }
    this.open.clear();
  }

  restore(): void {
    this.down = false;
    this.silent = false;
  }

  async close(): Promise<void> {
    this.cut();
    for (const socket of this.held) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.down) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    if (this.silent) {
      this.held.add(client);
      client.on('error', () => undefined);
      return;
    }
    this.accepted++;
    const upstream = createConnection(this.target);
    this.open.set(client, upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

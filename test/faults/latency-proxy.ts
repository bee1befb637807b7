import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 whose replies reach the client `delayMs` late, as from a broker
 * far away. A publisher behind it always has confirms outstanding, so a fault that strikes it
 * mid-run strikes publishes in flight, not by luck of timing.
 */
export class LatencyProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(
    private readonly target: { host: string; port: number },
    private readonly delayMs: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(targetUrl: string, delayMs: number): Promise<LatencyProxy> {
    const { hostname, port } = new URL(targetUrl);
    const proxy = new LatencyProxy({ host: hostname, port: Number(port) }, delayMs);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    // Timers of one duration run first in, first out, so the delayed chunks keep their order.
    upstream.on('data', (chunk: Buffer) => setTimeout(() => client.destroyed || client.write(chunk), this.delayMs));
    upstream.on('end', () => setTimeout(() => client.end(), this.delayMs));
  }
}

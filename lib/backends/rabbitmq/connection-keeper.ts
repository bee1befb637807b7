import { connect, type ChannelModel } from 'amqplib';
import type { LoggerService } from '@nestjs/common';
import { RabbitMqUnavailableError, describeThrown } from '../../errors';

const FIRST_RECONNECT_DELAY_MS = 100;
/** Without heartbeats a silently dead peer is noticed only by TCP, after minutes. */
const DEFAULT_HEARTBEAT_SECONDS = 5;

export type ConnectionListener = (connection: ChannelModel) => void;

/**
 * One AMQP connection, opened on first use and opened again after it drops, for as long as anyone
 * listens for it (a running consumer). The broker hands back what was delivered on a dropped
 * connection and not acknowledged, so recovery only has to subscribe again.
 */
export class ConnectionKeeper {
  private connection?: ChannelModel;
  private connecting?: Promise<ChannelModel>;
  private readonly listeners = new Set<ConnectionListener>();
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelayMs = FIRST_RECONNECT_DELAY_MS;
  private closed = false;
  lastError?: string;

  constructor(
    private readonly url: string,
    private readonly maxReconnectDelayMs: number,
    private readonly logger: LoggerService,
    private readonly connectionName?: string,
  ) {}

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** The open connection, or a new one; rejects when the broker cannot be reached now. */
  open(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new Error('the RabbitMQ backend was closed'));
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Called with every connection from now on, the current one included; returns the way to stop listening. */
  listen(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    if (this.connection) listener(this.connection);
    else this.scheduleReconnect(0);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private async connect(): Promise<ChannelModel> {
    try {
      const clientProperties = this.connectionName === undefined ? {} : { connection_name: this.connectionName };
      const connection = await connect(withHeartbeat(this.url), { clientProperties });
      if (this.closed) {
        await connection.close().catch(() => undefined);
        throw new Error('the RabbitMQ backend was closed');
      }
      // Without an 'error' listener an EventEmitter throws the error, which would end the process.
      connection.on('error', (error: Error) => (this.lastError = describeThrown(error)));
      connection.on('close', (error?: unknown) => this.dropped(connection, error));
      this.connection = connection;
      this.lastError = undefined;
      this.reconnectDelayMs = FIRST_RECONNECT_DELAY_MS;
      for (const listener of this.listeners) listener(connection);
      return connection;
    } catch (error) {
      this.lastError = describeThrown(error);
      // Declarations and sends reach this first: they say where the broker was looked for and how to start it.
      throw this.closed ? error : new RabbitMqUnavailableError(this.url, error);
    }
  }

  private dropped(connection: ChannelModel, error: unknown): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    // A close by the broker (an operator's `rabbitmqctl close_connection`, a node shutting down) is
    // no 'error' event in amqplib: its code and reason come only with 'close'.
    this.lastError = error === undefined ? (this.lastError ?? 'the connection closed') : describeThrown(error);
    this.logger.warn(`The RabbitMQ connection closed: ${this.lastError}. Consumers reconnect at once, sends on their next call.`);
    if (!this.closed && this.listeners.size > 0) this.scheduleReconnect(this.reconnectDelayMs);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.connection || this.listeners.size === 0) return;
      this.open().catch(() => {
        this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.maxReconnectDelayMs);
        this.scheduleReconnect(this.reconnectDelayMs);
      });
    }, delayMs);
  }
}

function withHeartbeat(url: string): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${DEFAULT_HEARTBEAT_SECONDS}`;
}

import type { ConfirmChannel, Message } from 'amqplib';
import { DestinationNotFoundError, SendFailedError, describeThrown } from '../../errors';
import type { ConnectionKeeper } from './connection-keeper';
import type { Encoded } from './amqp-wire-format';

const RETRY_DELAY_MS = 200;

export interface PublishTarget {
  readonly exchange: string;
  readonly routingKey: string;
  /** For the error: the queue or topic the caller named. */
  readonly destination: string;
  /** A message no queue takes is returned by the broker, and `send` fails: a queue that does not exist. */
  readonly mandatory: boolean;
}

/**
 * Publishes on one confirm channel and resolves when the broker confirms. Concurrent publishes
 * share the channel, so the broker confirms them in batches (`multiple` acks) while each caller
 * still learns the fate of its own message. A channel or connection lost before the confirm means
 * publishing again on the next one: the message may then be stored twice, under one message id.
 */
export class ConfirmPublisher {
  private channel?: Promise<ConfirmChannel>;
  /** Message ids the broker returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  private drained: Promise<void> = Promise.resolve();
  /** The reply code the broker closed the last channel with: 404 names a topic that does not exist. */
  private lastCloseCode?: number;

  constructor(
    private readonly keeper: ConnectionKeeper,
    private readonly timeoutMs: number,
  ) {}

  async publish(target: PublishTarget, message: Encoded): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const messageId = message.options.messageId ?? '';
    for (;;) {
      let channel: ConfirmChannel | undefined;
      try {
        channel = await this.open();
        await this.publishOn(channel, target, message);
        if (this.returned.delete(messageId)) {
          throw new DestinationNotFoundError(target.destination, 'declare the queue first (MelangeModule declares the queues of its consumers and destinations)');
        }
        return;
      } catch (error) {
        if (error instanceof DestinationNotFoundError) throw error;
        const notFound = channelClosedBecauseNotFound(error) || this.lastCloseCode === 404;
        this.lastCloseCode = undefined;
        if (notFound) throw new DestinationNotFoundError(target.destination, 'declare the topic first');
        if (Date.now() >= deadline) {
          throw new SendFailedError(target.destination, messageId, 'RabbitMqUnavailable', `not confirmed within ${this.timeoutMs} ms: ${describeThrown(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }

  async close(): Promise<void> {
    const channel = await this.channel?.catch(() => undefined);
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private open(): Promise<ConfirmChannel> {
    this.channel ??= this.keeper.open().then(async (connection) => {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: unknown) => {
        const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
        if (typeof code === 'number') this.lastCloseCode = code;
      });
      channel.on('return', (returned: Message) => {
        const id: unknown = returned.properties.messageId;
        if (typeof id === 'string') this.returned.add(id);
      });
      channel.on('close', () => {
        if (this.channel === opened) this.channel = undefined;
      });
      return channel;
    });
    const opened = this.channel;
    opened.catch(() => {
      if (this.channel === opened) this.channel = undefined;
    });
    return opened;
  }

  private async publishOn(channel: ConfirmChannel, target: PublishTarget, message: Encoded): Promise<void> {
    // Writes beyond the socket's buffer wait for it to drain, so a burst cannot grow memory without bound.
    await this.drained;
    await new Promise<void>((resolve, reject) => {
      // Set on the caller's options rather than a spread copy (half a µs per message): every Encoded
      // is made for one publish call, and a retry of it goes to the same target.
      const { options } = message;
      options.mandatory = target.mandatory;
      const written = channel.publish(target.exchange, target.routingKey, message.content, options, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(`the broker did not confirm: ${describeThrown(error)}`)) : resolve(),
      );
      if (!written) this.drained = new Promise((drain) => channel.once('drain', drain).once('close', drain));
    });
  }
}

/** amqplib reports a channel closed by the broker with the server's reply code on the error. */
function channelClosedBecauseNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 404;
}

import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import { RECEIVES_HEADER } from './amqp-wire-format';
import type { ConfirmPublisher } from './confirm-publisher';
import type { Topology } from './topology';

/** Reasons are for people reading the dead-letter queue; a header table has a size limit. */
const MAX_REASON_LENGTH = 1024;

/**
 * The broker-side half of a decision. Retrying and dead-lettering publish a copy (confirmed) and
 * only then acknowledge the original, so a crash in between leaves a duplicate, never a loss. The
 * copy keeps the original's body and properties byte for byte, hostile headers included.
 */
export class Settlement {
  constructor(
    private readonly queue: string,
    private readonly publisher: ConfirmPublisher,
    private readonly topology: Topology,
  ) {}

  /** False when the channel is gone: the broker gives the message to the next subscriber anyway. */
  ack(channel: Channel, message: ConsumeMessage): boolean {
    try {
      channel.ack(message);
      return true;
    } catch {
      return false;
    }
  }

  /** Back to the queue at once, at its place (classic queues), for the next consumer. */
  release(channel: Channel, message: ConsumeMessage): void {
    try {
      channel.nack(message, false, true);
    } catch {
      // The channel is gone, and with it the broker's hold on the message: it is back already.
    }
  }

  async retry(channel: Channel, message: ConsumeMessage, receives: number, delayMs: number): Promise<void> {
    const target = delayMs > 0 ? await this.topology.delayQueue(this.queue, delayMs) : this.queue;
    await this.republish(message, target, { [RECEIVES_HEADER]: receives });
    this.ack(channel, message);
  }

  async deadLetter(channel: Channel, message: ConsumeMessage, deadLetterQueue: string, reason: string): Promise<void> {
    const headers = { [DEAD_LETTER_REASON_ATTRIBUTE]: reason.slice(0, MAX_REASON_LENGTH) || 'unknown', [SOURCE_QUEUE_ATTRIBUTE]: this.queue };
    await this.republish(message, deadLetterQueue, headers, [RECEIVES_HEADER]);
    this.ack(channel, message);
  }

  private async republish(message: ConsumeMessage, queue: string, added: Record<string, string | number>, dropped: string[] = []): Promise<void> {
    const headers: Record<string, unknown> = {};
    const original: object = message.properties.headers ?? {};
    for (const name of Object.keys(original)) {
      // The broker's x-death history would grow with every retry; the library counts receives itself.
      if (name.startsWith('x-') || dropped.includes(name) || name in added) continue;
      Object.defineProperty(headers, name, { value: Object.getOwnPropertyDescriptor(original, name)?.value, enumerable: true });
    }
    Object.assign(headers, added);
    const { contentType, contentEncoding, correlationId, replyTo, messageId, timestamp, type, appId, priority } = message.properties as Options.Publish;
    const options: Options.Publish = { contentType, contentEncoding, correlationId, replyTo, messageId, timestamp, type, appId, priority, headers, persistent: true };
    await this.publisher.publish({ exchange: '', routingKey: queue, destination: queue, mandatory: true }, { content: message.content, options });
  }
}

import type { LoggerService } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeThrown } from '../../../errors';
import { logSafe } from '../../../log-safe';
import { asQueueWrapper, parseJson, type DecodedMessage } from '../sqs-wire-format';
import type { ResolvedPayloadOffloading } from './payload-offloading.options';
import { describePointer, type PayloadPointer } from './payload-pointer';
import type { S3PayloadStore } from './s3-payload-store';

/** A received message whose payload is in S3, after trying to read it. */
export type IncomingPayload =
  /** Read, or known to be unreadable for good (`decoded.undecodable` says why, and it is dead-lettered). */
  | { readonly status: 'ready'; readonly decoded: DecodedMessage }
  /** S3 did not serve it within `outageMaxWaitMs`, or the consumer is stopping: the message goes back to the queue. */
  | { readonly status: 'unavailable'; readonly reason: string };

const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

/**
 * The consumer's side of offloading: reads pointed-to payloads before a message is decoded any
 * further, retrying an S3 outage while the message is held (its visibility renewed, no receive
 * spent), and deletes objects after their message was acknowledged when asked to.
 */
export class IncomingPayloads {
  /** Set while S3 fails, so the outage is logged when it starts and when it ends, not per message. */
  private failingSince: number | undefined;

  constructor(
    private readonly offloading: ResolvedPayloadOffloading | undefined,
    private readonly store: S3PayloadStore | undefined,
    private readonly logger: LoggerService,
  ) {}

  async resolve(queue: string, decoded: DecodedMessage, pointer: PayloadPointer, stop: AbortSignal): Promise<IncomingPayload> {
    const where = describePointer(pointer);
    if (this.offloading === undefined || this.store === undefined) {
      const undecodable = `its payload is in S3 (${where}) and this SqsBackend cannot read it: give it the payloadOffloading option`;
      return { status: 'ready', decoded: { ...decoded, undecodable } };
    }
    const started = Date.now();
    for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, LONGEST_RETRY_MS)) {
      const read = await this.store.read(pointer, this.offloading.maxPayloadBytes, stop);
      if (read.status === 'read') {
        this.recovered();
        return { status: 'ready', decoded: withPayloadText(decoded, read.text) };
      }
      if (read.status === 'unreadable') {
        return { status: 'ready', decoded: { ...decoded, undecodable: `its payload ${where} cannot be read: ${read.reason}` } };
      }
      this.failing(queue, read.error);
      if (stop.aborted) return { status: 'unavailable', reason: 'the consumer is stopping' };
      if (Date.now() - started + delay > this.offloading.outageMaxWaitMs) {
        return { status: 'unavailable', reason: `S3 did not serve ${where} for ${this.offloading.outageMaxWaitMs} ms: ${describeThrown(read.error)}` };
      }
      await sleep(delay, undefined, { signal: stop }).catch(() => undefined);
    }
  }

  /** After the broker confirmed the delete of the message that pointed to it. */
  acknowledged(queue: string, messageId: string, pointer: PayloadPointer): void {
    if (!this.offloading?.deleteAfterAck || this.store === undefined) return;
    this.store.deleteLater(pointer, (error) =>
      this.logger.warn(
        `queue=${queue} message=${logSafe(messageId)}: deleting its payload ${logSafe(describePointer(pointer))} after the ack failed, ` +
          `the object stays until a lifecycle rule expires it: ${describeThrown(error, { withName: true })}`,
      ),
    );
  }

  private failing(queue: string, error: unknown): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = Date.now();
    this.logger.warn(
      `queue=${queue}: S3 cannot serve offloaded payloads (${describeThrown(error, { withName: true })}); ` +
        `their messages are held and the reads retried for up to ${this.offloading?.outageMaxWaitMs} ms each`,
    );
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.logger.log(`S3 serves offloaded payloads again, after ${Date.now() - this.failingSince} ms`);
    this.failingSince = undefined;
  }
}

/**
 * The message as if its payload had travelled in it. A pointer in an SNS notification or a queue
 * wrapper stood for the payload itself; a pointer that was the whole body stood for that body,
 * which may be the `{"Message"}` wrapper a melange publisher sends to a queue.
 */
export function withPayloadText(decoded: DecodedMessage, text: string): DecodedMessage {
  if (decoded.shape !== 'raw') return { shape: decoded.shape, envelope: { ...decoded.envelope, payload: text } };
  const wrapped = asQueueWrapper(parseJson(text));
  return { shape: wrapped === undefined ? 'raw' : 'queue-wrapper', envelope: { ...decoded.envelope, payload: wrapped ?? text } };
}

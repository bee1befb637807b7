import type { LoggerService } from '@nestjs/common';
import { describeThrown } from '../../../errors';
import { logSafe } from '../../../log-safe';
import type { DeliveryHandler } from '../../messaging-backend';
import type { IncomingPayloads } from '../large-payload/incoming-payloads';
import { describePointer, type PayloadPointer } from '../large-payload/payload-pointer';
import type { QueueInfo } from '../sqs-directory';
import { decodeSqsMessage, type DecodedMessage } from '../sqs-wire-format';
import { ReceivedDelivery, type Acknowledger, type Decision, type Received } from './received-message';
import type { MessageSlot } from './slot-pool';
import type { Settlement } from './settlement';

export interface MessageRunnerDependencies {
  readonly queue: string;
  readonly handler: DeliveryHandler;
  readonly concurrency: number;
  readonly settlement: Settlement;
  readonly payloads: IncomingPayloads;
  /** Aborted when the consumer stops: a message waiting for S3 goes back to the queue at once. */
  readonly stopSignal: AbortSignal;
  readonly logger: LoggerService;
}

/** When S3 could not serve a payload for outageMaxWaitMs, its message comes back about this soon. */
const PAYLOAD_UNAVAILABLE_DELAY_MS = 1000;

const DONE: Promise<void> = Promise.resolve();

/** Runs the handler on one received message at a time per call, and reports the decision taken. */
export class MessageRunner implements Acknowledger {
  /** Handlers running now. */
  handling = 0;
  /** Acknowledged messages whose slot went to the next message while their delete is on its way. */
  private awaitingDelete = 0;

  constructor(private readonly deps: MessageRunnerDependencies) {}

  /**
   * Decodes the message, reads an offloaded payload, hands the delivery to the handler, and
   * returns the decision taken; at the end the message's slot is free (FIFO runs have none: their
   * group's line frees it). One async function per message: this is the consumer's hot path.
   *
   * The last line of defence too: whatever escapes a message's path is logged with its id and the
   * message is left for redelivery after its visibility timeout. Nothing a message carries or a
   * handler throws may become an unhandled rejection, which would end the process.
   */
  async run(info: QueueInfo, received: Received, slot?: MessageSlot): Promise<Decision> {
    const { queue, logger } = this.deps;
    try {
      let decoded = decodeSqsMessage(received.message);
      const { pointer } = decoded;
      // Only an offloaded payload needs a wait (S3); the common path takes no promise layer for it.
      if (pointer !== undefined) {
        const read = await this.readOffloaded(info, received, decoded, pointer);
        if (read === undefined) return 'retry';
        decoded = read;
      }
      const delivery = new ReceivedDelivery({ queue, info, received, decoded, settlement: this.deps.settlement, logger, slot, pointer, acknowledger: this });
      this.handling++;
      try {
        await this.deps.handler(delivery);
      } catch (error) {
        logger.error(
          `queue=${queue} message=${logSafe(delivery.envelope.messageId)}: handler failed, ` +
            `the message comes back after its visibility timeout: ${describeThrown(error, { withName: true })}`);
      } finally {
        this.handling--;
      }
      const taken = delivery.decision();
      // A decision released the lease before it was carried out; without one, it is released here.
      if (taken === 'none') {
        await received.lease.release();
        logger.warn(
          `queue=${queue} message=${logSafe(delivery.envelope.messageId)}: no ack, retry or dead-letter was taken (or it failed at the broker); ` +
            'the message comes back after its visibility timeout');
      }
      return taken;
    } catch (error) {
      logger.error(
        `queue=${queue} message=${logSafe(received.message.MessageId ?? '(no message id)')}: failed inside the consumer, ` +
          `it comes back after its visibility timeout: ${describeThrown(error, { withName: true })}`);
      await received.lease.release().catch(() => undefined);
      return 'none';
    } finally {
      slot?.free();
    }
  }

  /**
   * The message with its payload read from S3. Undefined when S3 could not serve it in time (or
   * the consumer is stopping): the message has then been handed back to the queue, without a
   * handler having seen it.
   */
  private async readOffloaded(info: QueueInfo, received: Received, decoded: DecodedMessage, pointer: PayloadPointer): Promise<DecodedMessage | undefined> {
    const { queue, payloads, stopSignal, settlement, logger } = this.deps;
    const payload = await payloads.resolve(queue, decoded, pointer, stopSignal);
    if (payload.status === 'ready') return payload.decoded;
    logger.warn(
      `queue=${queue} message=${logSafe(decoded.envelope.messageId)}: its payload ${logSafe(describePointer(pointer))} could not be read ` +
        `(${logSafe(payload.reason, 1000)}); it goes back to the queue without being handled`);
    await received.lease.release();
    await settlement.showAgainAfter(info, received.message.ReceiptHandle ?? '', stopSignal.aborted ? 0 : PAYLOAD_UNAVAILABLE_DELAY_MS);
    return undefined;
  }

  /**
   * Deletes an acknowledged message. Its slot goes to the next message as soon as the delete is
   * on its way rather than when the broker confirms it: otherwise every slot spends a round trip
   * idle per message, a cost that grows with the round trip to the broker. The message's own
   * path ends then too, so what it holds (delivery, lease, decoded payload) is garbage at once
   * instead of surviving a round trip into V8's old generation (the bench's ablate tool, on a quiet
   * machine: about 6 µs of CPU per message). A refused delete is logged here: the
   * message comes back after its visibility timeout. At most `concurrency` messages wait so,
   * which bounds what a stalled broker can leave unconfirmed. FIFO messages have no slot:
   * their group's line holds the slot until the confirmation, which their ack() waits for.
   */
  acknowledge(receiptHandle: string, messageId: string, slot: MessageSlot | undefined, pointer: PayloadPointer | undefined): Promise<void> {
    const { settlement, payloads, queue } = this.deps;
    const deleted = settlement.delete(receiptHandle, messageId);
    // An offloaded payload may go only once the delete is confirmed: a refused delete brings the message back.
    if (!slot || this.awaitingDelete >= this.deps.concurrency) {
      return pointer === undefined ? deleted : deleted.then(() => payloads.acknowledged(queue, messageId, pointer));
    }
    this.awaitingDelete++;
    slot.free();
    deleted.then(
      pointer === undefined
        ? this.deleteConfirmed
        : () => {
            this.deleteConfirmed();
            payloads.acknowledged(queue, messageId, pointer);
          },
      (error: unknown) => this.deleteRefused(messageId, error),
    );
    return DONE;
  }

  // Made once, not per message.
  private readonly deleteConfirmed = (): void => {
    this.awaitingDelete--;
  };

  private deleteRefused(messageId: string, error: unknown): void {
    this.awaitingDelete--;
    this.deps.logger.warn(
      `queue=${this.deps.queue} message=${logSafe(messageId)} could not be acknowledged to the broker; ` +
        `it will be delivered again after its visibility timeout: ${describeThrown(error, { withName: true })}`);
  }
}

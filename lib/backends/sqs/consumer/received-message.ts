import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { logSafe } from '../../../log-safe';
import type { Delivery } from '../../messaging-backend';
import type { DecodedMessage } from '../sqs-wire-format';
import type { QueueInfo } from '../sqs-directory';
import type { VisibilityLease } from '../visibility-keeper';
import type { Settlement } from './settlement';
import type { MessageSlot } from './slot-pool';
import type { PayloadPointer } from '../large-payload/payload-pointer';

/** The decision taken on a delivery; 'none' until one was carried out at the broker. */
export type Decision = 'ack' | 'retry' | 'dead-letter' | 'none';

/** A received message and the lease that keeps it invisible until it is settled or released. */
export interface Received {
  readonly message: SqsMessage;
  readonly lease: VisibilityLease;
}

interface DeliveryParts {
  readonly queue: string;
  readonly info: QueueInfo;
  readonly received: Received;
  /** The message decoded, its payload read from S3 when it was offloaded. */
  readonly decoded: DecodedMessage;
  readonly settlement: Settlement;
  readonly logger: LoggerService;
  /** The message's slot; none for a FIFO message, whose group's line holds it. */
  readonly slot?: MessageSlot;
  /** Where its payload is in S3, when it was offloaded. */
  readonly pointer?: PayloadPointer;
  readonly acknowledger: Acknowledger;
}

/** Deletes acknowledged messages; the consumer decides when a message's slot goes to the next one. */
export interface Acknowledger {
  acknowledge(receiptHandle: string, messageId: string, slot: MessageSlot | undefined, pointer: PayloadPointer | undefined): Promise<void>;
}

/**
 * The Delivery handed to the handler for one received message, decoded (an undecodable message
 * says why), with ack, retry and dead-letter carried out at the broker.
 * One decision per delivery; if the broker refuses it, it is undone, so the message counts as
 * unsettled (and a FIFO group does not move past it). A class, not an object of closures: one is
 * made per message, and its methods are shared.
 */
export class ReceivedDelivery implements Delivery {
  readonly queue: string;
  readonly envelope: Delivery['envelope'];
  readonly undecodable?: string;
  readonly receiveCount: number;
  readonly groupId?: string;
  private taken: Decision = 'none';

  constructor(private readonly parts: DeliveryParts) {
    const { message } = parts.received;
    this.queue = parts.queue;
    this.envelope = parts.decoded.envelope;
    this.undecodable = parts.decoded.undecodable;
    this.receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    this.groupId = message.Attributes?.MessageGroupId;
  }

  /** The decision carried out at the broker so far. */
  decision(): Decision {
    return this.taken;
  }

  ack(): Promise<void> {
    return this.settle('ack', 0, '');
  }

  retry(delayMs: number): Promise<void> {
    return this.settle('retry', delayMs, '');
  }

  async deadLetter(reason: string): Promise<boolean> {
    if (!this.parts.info.deadLetterTargetArn) return false;
    await this.settle('dead-letter', 0, reason);
    return true;
  }

  private async settle(next: Decision, delayMs: number, reason: string): Promise<void> {
    if (this.taken !== 'none') {
      this.parts.logger.warn(`queue=${this.queue} message=${logSafe(this.envelope.messageId)}: ${next} ignored, the message was already given ${this.taken}`);
      return;
    }
    this.taken = next;
    try {
      await this.parts.received.lease.release();
      await this.carryOut(next, delayMs, reason);
    } catch (error) {
      this.taken = 'none';
      throw error;
    }
  }

  private carryOut(next: Decision, delayMs: number, reason: string): Promise<void> {
    const { info, received, settlement } = this.parts;
    const receiptHandle = received.message.ReceiptHandle ?? '';
    if (next === 'ack') return this.parts.acknowledger.acknowledge(receiptHandle, this.envelope.messageId, this.parts.slot, this.parts.pointer);
    if (next === 'retry') return settlement.showAgainAfter(info, receiptHandle, delayMs);
    return settlement.moveToDeadLetterQueue(info, received.message, this.envelope.messageId, reason);
  }
}

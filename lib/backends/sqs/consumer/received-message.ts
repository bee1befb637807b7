import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { logSafe } from '../../../log-safe';
import type { Delivery } from '../../messaging-backend';
import type { DecodedMessage } from '../sqs-wire-format';
import type { QueueInfo } from '../sqs-directory';
import type { VisibilityLease } from '../visibility-keeper';
import type { Settlement } from './settlement';

/** The decision taken on a delivery; 'none' until one was carried out at the broker. */
export type Decision = 'ack' | 'retry' | 'dead-letter' | 'none';

/** A received message and the lease that keeps it invisible until it is settled or released. */
export interface Received {
  readonly message: SqsMessage;
  readonly lease: VisibilityLease;
}

export interface ReceivedDelivery {
  readonly delivery: Delivery;
  decision(): Decision;
}

interface DeliveryParts {
  readonly queue: string;
  readonly info: QueueInfo;
  readonly received: Received;
  /** The message decoded, its payload read from S3 when it was offloaded. */
  readonly decoded: DecodedMessage;
  readonly settlement: Settlement;
  readonly logger: LoggerService;
  /** Deletes an acknowledged message; the consumer decides when its slot goes to the next one. */
  readonly acknowledge: (receiptHandle: string, messageId: string) => Promise<void>;
}

/**
 * The Delivery handed to the handler for one received message, decoded (an undecodable message
 * says why), with ack, retry and dead-letter carried out at the broker.
 * One decision per delivery; if the broker refuses it, it is undone, so the message counts as
 * unsettled (and a FIFO group does not move past it).
 */
export function deliveryOf({ queue, info, received, decoded, settlement, logger, acknowledge }: DeliveryParts): ReceivedDelivery {
  const { message, lease } = received;
  const { envelope, undecodable } = decoded;
  let decision: Decision = 'none';
  const settle = async (next: Decision, act: () => Promise<void>): Promise<void> => {
    if (decision !== 'none') {
      logger.warn(`queue=${queue} message=${logSafe(envelope.messageId)}: ${next} ignored, the message was already given ${decision}`);
      return;
    }
    decision = next;
    try {
      await lease.release();
      await act();
    } catch (error) {
      decision = 'none';
      throw error;
    }
  };
  const receiptHandle = message.ReceiptHandle ?? '';
  const delivery: Delivery = {
    queue,
    envelope,
    undecodable,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
    groupId: message.Attributes?.MessageGroupId,
    ack: () => settle('ack', () => acknowledge(receiptHandle, envelope.messageId)),
    retry: (delayMs: number) => settle('retry', () => settlement.showAgainAfter(info, receiptHandle, delayMs)),
    deadLetter: async (reason: string) => {
      if (!info.deadLetterTargetArn) return false;
      await settle('dead-letter', () => settlement.moveToDeadLetterQueue(info, message, envelope.messageId, reason));
      return true;
    },
  };
  return { delivery, decision: () => decision };
}

import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import type { Delivery } from '../backends/messaging-backend';
import type { DecodedMessage } from '../backends/sqs/sqs-wire-format';
import { logSafe } from '../log-safe';
import type { QueueArn } from './lambda-records';
import { receiveCountOf } from './lambda-records';
import type { RecordSettlement } from './record-settlement';

/**
 * What became of a record. 'ack' and 'dead-letter' are handled (Lambda deletes the record when the
 * invocation returns); anything else is reported in `batchItemFailures`.
 */
export type RecordDecision = 'ack' | 'retry' | 'dead-letter' | 'none';

export interface RecordDelivery {
  readonly delivery: Delivery;
  decision(): RecordDecision;
}

export interface RecordParts {
  /** The `@MessageConsumer` queue name, as the poller's deliveries carry it. */
  readonly queue: string;
  readonly source: QueueArn;
  readonly message: SqsMessage;
  /** The message decoded as the poller decodes it, with an offloaded payload already read from S3. */
  readonly decoded: DecodedMessage;
  readonly settlement: RecordSettlement;
  readonly logger: LoggerService;
}

/**
 * The Delivery the dispatcher decides about for one SQS record, decoded as the poller decodes a
 * received message. An ack costs no request: the partial-batch response leaves the record out,
 * and Lambda deletes it. One decision per record; a dead-letter copy the broker refused is undone,
 * so the record is reported as failed rather than lost.
 */
export function recordDelivery({ queue, source, message, decoded, settlement, logger }: RecordParts): RecordDelivery {
  const { envelope, undecodable } = decoded;
  let decision: RecordDecision = 'none';
  const decide = (next: RecordDecision): boolean => {
    if (decision === 'none') {
      decision = next;
      return true;
    }
    logger.warn(`queue=${queue} message=${logSafe(envelope.messageId)}: ${next} ignored, the record was already given ${decision}`);
    return false;
  };
  const receiptHandle = message.ReceiptHandle ?? '';
  const delivery: Delivery = {
    queue,
    envelope,
    undecodable,
    receiveCount: receiveCountOf(message),
    groupId: message.Attributes?.MessageGroupId,
    ack: async () => {
      decide('ack');
    },
    // Reported as failed whatever the visibility change comes to; it only decides when the record comes back.
    retry: async (delayMs: number) => {
      if (decide('retry')) await settlement.showAgainAfter(source, receiptHandle, delayMs);
    },
    deadLetter: async (reason: string) => {
      if (decision !== 'none') return decide('dead-letter');
      if (!(await settlement.moveToDeadLetterQueue(source, message, envelope.messageId, reason))) return false;
      return decide('dead-letter');
    },
  };
  return { delivery, decision: () => decision };
}

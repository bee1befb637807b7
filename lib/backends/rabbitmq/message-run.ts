import type { Channel, ConsumeMessage } from 'amqplib';
import type { LoggerService } from '@nestjs/common';
import { describeThrown } from '../../errors';
import { logSafe } from '../../log-safe';
import type { Delivery, DeliveryHandler } from '../messaging-backend';
import type { DecodedMessage } from './amqp-wire-format';
import type { Settlement } from './settlement';
import type { KnownQueue } from './topology';

export interface RunContext {
  readonly queue: string;
  readonly handler: DeliveryHandler;
  readonly settlement: Settlement;
  readonly channel: Channel;
  readonly message: ConsumeMessage;
  readonly decoded: DecodedMessage;
  readonly known?: KnownQueue;
  readonly undecidedRetryDelayMs: number;
  readonly logger: LoggerService;
  readonly isStopping: () => boolean;
}

type Decision = { kind: 'settled' } | { kind: 'retry'; delayMs: number };

/**
 * One message from its arrival to its settlement. On a FIFO queue a retry waits here, holding
 * the message and its group's line, and runs the handler again: republishing it would put it
 * behind the rest of its group. Never rejects.
 */
export class MessageRun {
  private receiveCount: number;

  constructor(private readonly context: RunContext) {
    this.receiveCount = context.decoded.earlierReceives + 1;
  }

  async execute(): Promise<void> {
    try {
      await this.executeOrThrow();
    } catch (error) {
      // Publishing a retry or dead-letter copy failed: the original goes back to the queue instead.
      this.context.settlement.release(this.context.channel, this.context.message);
      this.context.logger.error(`RabbitMQ message ${logSafe(this.context.decoded.envelope.messageId)} on "${logSafe(this.context.queue)}" goes back to the queue: ${logSafe(describeThrown(error), 500)}`);
    }
  }

  private async executeOrThrow(): Promise<void> {
    const { known, settlement, channel, message } = this.context;
    if (known?.deadLetterQueue && known.maxReceiveCount !== undefined && this.receiveCount > known.maxReceiveCount) {
      const reason = `received ${this.receiveCount} times; maxReceiveCount is ${known.maxReceiveCount}`;
      return settlement.deadLetter(channel, message, known.deadLetterQueue, reason);
    }
    for (;;) {
      // What was received but not started when stop() came goes back for the next consumer.
      if (this.context.isStopping()) return settlement.release(channel, message);
      const decision = await this.runHandler();
      if (decision.kind === 'settled') return;
      if (!known?.fifo) return settlement.retry(channel, message, this.receiveCount, decision.delayMs);
      await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
      this.receiveCount += 1;
    }
  }

  private async runHandler(): Promise<Decision> {
    let decision: Decision | undefined;
    let settling: Promise<unknown> = Promise.resolve();
    const { settlement, channel, message, decoded, known } = this.context;
    const decide = (next: Decision, action?: () => Promise<unknown>): boolean => {
      if (decision) return false;
      decision = next;
      if (action) settling = action();
      return true;
    };
    const delivery: Delivery = {
      queue: this.context.queue,
      envelope: decoded.envelope,
      undecodable: decoded.undecodable,
      receiveCount: this.receiveCount,
      groupId: decoded.groupId,
      ack: async () => {
        decide({ kind: 'settled' }, async () => settlement.ack(channel, message));
        await settling;
      },
      retry: async (delayMs) => {
        const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
        // FIFO retries wait in execute(); others are republished to a delay queue now.
        if (known?.fifo) decide({ kind: 'retry', delayMs: delay });
        else decide({ kind: 'settled' }, () => settlement.retry(channel, message, this.receiveCount, delay));
        await settling;
      },
      deadLetter: async (reason) => {
        const target = known?.deadLetterQueue;
        if (!target) return false;
        decide({ kind: 'settled' }, () => settlement.deadLetter(channel, message, target, reason));
        await settling;
        return true;
      },
    };
    try {
      await this.context.handler(delivery);
    } catch {
      // The handler owns its errors; without a decision the message is retried below.
    }
    await settling;
    return decision ?? { kind: 'retry', delayMs: this.context.undecidedRetryDelayMs };
  }
}

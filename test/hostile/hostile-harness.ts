import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeEvents, MelangeModule, SqsBackend } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { EventLog } from '../support/recorder';
import { CREDENTIALS, plainSqs, queueAttributes, queueUrl, receivePlain, REGION, sqsEndpoint } from '../support/sqs';

/** What finally became of a message: a handler took it, or it is in the dead-letter queue with a reason. */
export type FinalOutcome = { readonly outcome: 'handled' } | { readonly outcome: 'dead-lettered'; readonly reason: string };

/** The app's events, read per message. */
class OutcomeLog {
  constructor(private readonly log: EventLog) {}

  /** The names of the consume events of one message, in the order they came. */
  eventsOf(messageId: string): string[] {
    return this.log.seen.filter(({ event }) => event.messageId === messageId && 'queue' in event).map(({ name }) => name);
  }

  async final(messageId: string, timeoutMs = 15_000): Promise<FinalOutcome> {
    return Promise.any([
      this.log.waitFor('handled', messageId, timeoutMs).then((): FinalOutcome => ({ outcome: 'handled' })),
      this.log.waitFor('dead-lettered', messageId, timeoutMs).then(({ reason }): FinalOutcome => ({ outcome: 'dead-lettered', reason })),
    ]).catch(() => {
      throw new Error(`No final outcome for message ${messageId} within ${timeoutMs} ms; its events: ${this.eventsOf(messageId).join(', ') || 'none'}`);
    });
  }
}

/**
 * A Nest app consuming one queue of the local SQS server with a dead-letter queue, every log line
 * captured, retries immediate (2 attempts), and the tools the hostile specs share: send anything
 * with the plain SDK, wait for a message's final outcome, count what is where.
 */
export class HostileApp {
  readonly logger = new CapturingLogger();
  readonly sqs: SQSClient = plainSqs();
  app!: INestApplication;
  outcomes!: OutcomeLog;

  constructor(
    readonly queue: string,
    private readonly consumers: Type<unknown>[],
  ) {}

  get deadLetterQueue(): string {
    return `${this.queue}-dlq`;
  }

  async start(): Promise<this> {
    const backend = new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: this.logger });
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: backend },
          infrastructure: { queues: [{ name: this.queue, deadLetterQueue: this.deadLetterQueue, maxReceiveCount: 10 }] },
          consumers: { retry: { maxAttempts: 2, initialDelayMs: 0, maxDelayMs: 0 } },
        }),
      ],
      providers: this.consumers,
    }).compile();
    this.app = moduleRef.createNestApplication({ logger: this.logger });
    this.outcomes = new OutcomeLog(new EventLog(this.app.get(MelangeEvents)));
    await this.app.init();
    return this;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.sqs.destroy();
  }

  /** Sends exactly this body and these attributes; returns the broker's message id. */
  async sendRaw(body: string, attributes: Record<string, MessageAttributeValue> = {}): Promise<string> {
    const sent = await this.sqs.send(
      new SendMessageCommand({ QueueUrl: await queueUrl(this.sqs, this.queue), MessageBody: body, MessageAttributes: attributes }),
    );
    return sent.MessageId!;
  }

  /** Takes every message off the dead-letter queue. */
  async drainDeadLetters(expected: number): Promise<Awaited<ReturnType<typeof receivePlain>>> {
    return receivePlain(this.sqs, this.deadLetterQueue, expected, 10_000);
  }

  async messagesLeftOnQueue(): Promise<number> {
    const attributes = await queueAttributes(this.sqs, this.queue);
    return Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible);
  }

  /** Log lines with a raw control character: a line someone could forge or repaint. */
  unsafeLogLines(): string[] {
    return this.logger.lines.map(({ message }) => message).filter((message) => /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(message));
  }
}

export const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
export const number = (value: string): MessageAttributeValue => ({ DataType: 'Number', StringValue: value });
export const binary = (value: string): MessageAttributeValue => ({ DataType: 'Binary', BinaryValue: Buffer.from(value) });

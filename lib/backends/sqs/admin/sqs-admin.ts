import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DestinationNotFoundError } from '../../../errors';
import type { BackendAdmin, MoveOptions, MoveProgress, PlannedChange, QueueDetails, StoredMessage } from '../../backend-admin';
import type { QueueSpec, SubscriptionSpec, TopicSpec } from '../../messaging-backend';
import { SQS_MAX_BATCH_ENTRIES } from '../sqs-backend.options';
import { parseRedrivePolicy, queueNameOf, type SqsDirectory } from '../sqs-directory';
import type { SqsInfrastructure } from '../sqs-infrastructure';
import { SqsDeclarationPlan } from './sqs-declaration-plan';
import { SqsMessageMove } from './sqs-message-move';
import { allAttributes, toStoredMessage } from './stored-message';

/** Peeked messages are hidden this long at most, should the release after the receive fail. */
const PEEK_VISIBILITY_SECONDS = 5;

function count(value: string | undefined): number {
  const parsed = Number(value ?? '0');
  return Number.isFinite(parsed) ? parsed : 0;
}

/** SQS's side of `MelangeAdmin`: counts from queue attributes, peek, a client-side move, purge and plans. */
export class SqsBackendAdmin implements BackendAdmin {
  constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
    private readonly directory: SqsDirectory,
    private readonly infrastructure: SqsInfrastructure,
    private readonly defaultMaxReceiveCount: number,
  ) {}

  async queueDetails(queue: string): Promise<QueueDetails | undefined> {
    const url = await this.infrastructure.findQueueUrl(queue);
    if (url === undefined) return undefined;
    const response = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
          'FifoQueue',
          'RedrivePolicy',
        ],
      }),
    );
    const values = response.Attributes ?? {};
    const redrive = parseRedrivePolicy(values.RedrivePolicy);
    return {
      visible: count(values.ApproximateNumberOfMessages),
      inFlight: count(values.ApproximateNumberOfMessagesNotVisible),
      delayed: count(values.ApproximateNumberOfMessagesDelayed),
      fifo: values.FifoQueue === 'true',
      deadLetterQueue: redrive ? queueNameOf(redrive.deadLetterTargetArn.split(':').pop() ?? '') : undefined,
      maxReceiveCount: redrive?.maxReceiveCount,
    };
  }

  async peek(queue: string, max: number): Promise<StoredMessage[]> {
    const info = await this.directory.queue(queue);
    const received: SqsMessage[] = [];
    try {
      while (received.length < max) {
        const response = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: info.url,
            MaxNumberOfMessages: Math.min(SQS_MAX_BATCH_ENTRIES, max - received.length),
            // The first receive waits a moment so an empty answer means an empty queue; later ones
            // only collect what is there.
            WaitTimeSeconds: received.length === 0 ? 1 : 0,
            VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
            ...allAttributes(),
          }),
        );
        const messages = response.Messages ?? [];
        if (messages.length === 0) break;
        received.push(...messages);
      }
    } finally {
      await this.release(info.url, received);
    }
    return received.map(toStoredMessage);
  }

  async move(source: string, options: MoveOptions): Promise<MoveProgress> {
    const info = await this.directory.queue(source);
    return new SqsMessageMove(this.sqs, this.directory, info, options).run();
  }

  async purge(queue: string): Promise<void> {
    const url = await this.infrastructure.findQueueUrl(queue);
    if (url === undefined) throw new DestinationNotFoundError(queue, 'there is no queue of this name to purge');
    await this.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }

  plan(infrastructure: {
    readonly queues: readonly QueueSpec[];
    readonly topics: readonly TopicSpec[];
    readonly subscriptions: readonly SubscriptionSpec[];
  }): Promise<PlannedChange[]> {
    const plan = new SqsDeclarationPlan(this.sqs, this.sns, this.directory, this.infrastructure, this.defaultMaxReceiveCount);
    return plan.build(infrastructure.queues, infrastructure.topics, infrastructure.subscriptions);
  }

  /** Visible again at once, for consumers; a release that fails ends with the short visibility anyway. */
  private async release(url: string, messages: readonly SqsMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_MAX_BATCH_ENTRIES) {
      const slice = messages.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: url,
            Entries: slice.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
          }),
        )
        .catch(() => undefined);
    }
  }
}

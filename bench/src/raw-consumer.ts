import { setMaxListeners } from 'node:events';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface RawConsumerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Long polls running at once. */
  readonly pollers: number;
  readonly waitTimeSeconds?: number;
  /** Ask for every message attribute and the two system attributes nestjs-melange asks for. */
  readonly attributes?: boolean;
  /** Called for each message; may be async (then the batch waits for all before deleting). */
  readonly handle: (message: SqsMessage) => void | Promise<void>;
}

/**
 * The hand-tuned raw SDK pipeline: several long polls of 10, each batch handled at once, then one
 * DeleteMessageBatch sent without waiting for it before the next receive.
 */
export function startRawConsumer(options: RawConsumerOptions): { stop: () => Promise<void> } {
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let stopping = false;
  const deletes = new Set<Promise<unknown>>();
  const poll = async (): Promise<void> => {
    while (!stopping) {
      let messages: SqsMessage[];
      try {
        const response = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            MessageAttributeNames: options.attributes ? ['All'] : undefined,
            MessageSystemAttributeNames: options.attributes ? ['ApproximateReceiveCount', 'MessageGroupId'] : undefined,
          }),
          { abortSignal: abort.signal },
        );
        messages = response.Messages ?? [];
      } catch (error) {
        if (stopping) return;
        throw error;
      }
      if (messages.length === 0) continue;
      const results = messages.map((message) => options.handle(message));
      if (results.some((result) => result instanceof Promise)) await Promise.all(results);
      const request = options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      deletes.add(request);
      void request.finally(() => deletes.delete(request)).catch(() => undefined);
    }
  };
  const pollers = Array.from({ length: options.pollers }, () => poll());
  return {
    stop: async () => {
      stopping = true;
      abort.abort();
      await Promise.allSettled(pollers);
      await Promise.allSettled([...deletes]);
    },
  };
}

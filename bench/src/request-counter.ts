import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';

/**
 * Counts a client's requests by operation, and the entries/messages they carried, with one SDK
 * middleware: what explains a throughput more often than CPU does.
 */
export class RequestCounter {
  readonly requests = new Map<string, number>();
  /** Messages received, entries deleted/sent. */
  readonly items = new Map<string, number>();

  attach<C extends SQSClient | SNSClient>(client: C): C {
    (client as SQSClient).middlewareStack.add(
      (next, context) => async (args) => {
        const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
        this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
        const input = args.input as { Entries?: unknown[]; PublishBatchRequestEntries?: unknown[] };
        const entries = input.Entries ?? input.PublishBatchRequestEntries;
        const result = await next(args);
        const output = result.output as { Messages?: unknown[] };
        const count = operation === 'ReceiveMessage' ? (output.Messages?.length ?? 0) : (entries?.length ?? 1);
        this.items.set(operation, (this.items.get(operation) ?? 0) + count);
        return result;
      },
      { step: 'initialize', name: 'benchRequestCounter' },
    );
    return client;
  }

  count(operation: string): number {
    return this.requests.get(operation) ?? 0;
  }

  /** Average messages/entries per request of these operations together. */
  perRequest(...operations: string[]): number {
    const requests = operations.reduce((sum, operation) => sum + this.count(operation), 0);
    const items = operations.reduce((sum, operation) => sum + (this.items.get(operation) ?? 0), 0);
    return requests === 0 ? Number.NaN : items / requests;
  }
}

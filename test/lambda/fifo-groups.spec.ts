import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveFifoSqsEvent } from '../support/lambda-events';
import { receivePlain, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-fifo', true);

@Message('lambda-spec.ledger-entry')
class LedgerEntry {
  account!: string;
  step!: string;
  /** How long the handler takes: later steps are quicker, so running them at once would finish them out of order. */
  workMs!: number;
}

@Injectable()
@MessageConsumer(QUEUE)
class LedgerConsumer {
  readonly handled: string[] = [];

  @OnMessage()
  async post(entry: LedgerEntry, context: MessageContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, entry.workMs));
    if (entry.step === 'a2') throw new Error('ledger locked');
    this.handled.push(`${context.groupId}:${entry.step}`);
  }
}

const AppModule = lambdaAppModule(
  {
    infrastructure: { queues: [{ name: QUEUE, fifo: true, visibilityTimeout: 60 }] },
    consumers: { retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 1000 } },
  },
  [LedgerConsumer],
);

describe('a FIFO queue under Lambda', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it('runs each message group in order, and stops a group at its first failure', async () => {
    const app = await handler.ready();
    const publisher = app.get(MelangePublisher);
    const entries: Array<[string, string, number]> = [
      ['A', 'a1', 30],
      ['B', 'b1', 60],
      ['A', 'a2', 20],
      ['B', 'b2', 30],
      ['A', 'a3', 0],
      ['B', 'b3', 0],
    ];
    for (const [account, step, workMs] of entries) {
      await publisher.publish(Object.assign(new LedgerEntry(), { account, step, workMs }), { queue: QUEUE }, { groupId: account });
    }
    const event = await receiveFifoSqsEvent(sqs, QUEUE, entries.length);
    const idOf = (step: string) => event.Records.find((record) => record.body.includes(`\\"step\\":\\"${step}\\"`))?.messageId;

    const response = await handler(event, lambdaContext());

    expect(app.get(LedgerConsumer).handled.filter((step) => step.startsWith('B'))).toEqual(['B:b1', 'B:b2', 'B:b3']);
    expect(app.get(LedgerConsumer).handled.filter((step) => step.startsWith('A'))).toEqual(['A:a1']);
    expect(failedIds(response)).toEqual([idOf('a2'), idOf('a3')].sort());
    // The record skipped behind the failure is handed back at once, not after the queue's 60 s
    // (the only one of group A still in flight here: see receiveFifoSqsEvent).
    const [again] = await receivePlain(sqs, QUEUE, 1, 3000);
    expect(again?.MessageId).toBe(idOf('a3'));
  });
});

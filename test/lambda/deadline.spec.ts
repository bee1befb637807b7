import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent } from '../support/lambda-events';
import { receivePlain, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-deadline');
const MARGIN_MS = 1000;
const WORK_MS = 400;

@Message('lambda-spec.report')
class Report {
  id!: string;
}

@Injectable()
@MessageConsumer({ queue: QUEUE, concurrency: 1 })
class ReportsConsumer {
  readonly started: string[] = [];

  @OnMessage()
  async render(report: Report): Promise<void> {
    this.started.push(report.id);
    await new Promise((resolve) => setTimeout(resolve, WORK_MS));
  }
}

const AppModule = lambdaAppModule(
  {
    // Records not handed back would stay away for 60 s.
    infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 60 }] },
  },
  [ReportsConsumer],
);

describe('the end of the invocation drawing near', () => {
  const logger = new CapturingLogger();
  const { handler, sqs } = setupLambdaHandler(AppModule, { safetyMarginMs: MARGIN_MS, logger });

  async function publish(ids: readonly string[]): Promise<void> {
    const publisher = (await handler.ready()).get(MelangePublisher);
    for (const id of ids) await publisher.publish(Object.assign(new Report(), { id }), { queue: QUEUE });
  }

  it('reports records not started before the safety margin as failed, and hands them back at once', async () => {
    const consumer = (await handler.ready()).get(ReportsConsumer);
    consumer.started.length = 0;
    await publish(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    const event = await receiveSqsEvent(sqs, QUEUE, 6);

    // One record at a time, 400 ms each: about three start before 1 s is all that is left.
    const response = await handler(event, lambdaContext(MARGIN_MS + 1000));

    const started = consumer.started.length;
    expect(started).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThan(6);
    const idOf = (id: string) => event.Records.find((record) => record.body.includes(`\\"id\\":\\"${id}\\"`))?.messageId;
    const unstarted = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].filter((id) => !consumer.started.includes(id));
    expect(failedIds(response)).toEqual(unstarted.map(idOf).sort());
    const back = await receivePlain(sqs, QUEUE, unstarted.length, 3000);
    expect(back.map((message) => message.MessageId).sort()).toEqual(unstarted.map(idOf).sort());
    expect(logger.messages('warn').some((line) => line.includes(`${unstarted.length} record(s) not started`))).toBe(true);
  });

  it('starts nothing when the invocation begins inside the margin', async () => {
    const consumer = (await handler.ready()).get(ReportsConsumer);
    consumer.started.length = 0;
    await publish(['late-1', 'late-2']);
    const event = await receiveSqsEvent(sqs, QUEUE, 2);

    const response = await handler(event, lambdaContext(MARGIN_MS - 200));

    expect(consumer.started).toEqual([]);
    expect(failedIds(response)).toEqual(event.Records.map((record) => record.messageId).sort());
  });
});

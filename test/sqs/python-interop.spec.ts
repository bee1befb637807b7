import 'reflect-metadata';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnAnyMessage, OnMessage, SqsBackend, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { CREDENTIALS, plainSns, plainSqs, queueUrl, receivePlain, REGION, silentLogger, sqsEndpoint } from '../support/sqs';

const QUEUE = 'python-orders';
const STRICT = 'python-strict';
const TOPIC = 'python-order-events';

@Injectable()
@MessageConsumer(QUEUE)
class FromPython {
  readonly seen = new Recorder<{ payload: unknown; manifest?: string }>();

  @OnAnyMessage()
  any(payload: unknown, context: MessageContext): void {
    this.seen.record({ payload, manifest: context.manifest });
  }
}

class OrderPlaced {
  order_id!: string;
}

@Injectable()
@MessageConsumer(STRICT)
class TypedOnly {
  @OnMessage()
  placed(_: OrderPlaced): void {}
}

/** What Python melange 7.x writes with its JSON serializer (manifest "json", serializer_id 1). */
const pythonAttributes = {
  manifest: { DataType: 'String', StringValue: 'json' },
  serializer_id: { DataType: 'Number', StringValue: '1' },
};

describe('messages published by Python melange', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: QUEUE }, { name: STRICT, deadLetterQueue: `${STRICT}-dlq` }, { name: `${STRICT}-dlq` }], topics: [{ name: TOPIC }], subscriptions: [{ topic: TOPIC, queue: QUEUE }] },
        }),
      ],
      providers: [FromPython, TypedOnly],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(() => app.close());

  it('reach the queue’s @OnAnyMessage handler, sent to the queue or through the topic', async () => {
    const sqs = plainSqs();
    const sns = plainSns();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, QUEUE),
        MessageBody: JSON.stringify({ Message: JSON.stringify({ order_id: 'q-1' }) }),
        MessageAttributes: pythonAttributes,
      }),
    );
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: TOPIC }));
    await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order_id: 't-1' }), MessageAttributes: pythonAttributes }));
    sqs.destroy();
    sns.destroy();

    const seen = await app.get(FromPython).seen.waitFor(2, 10_000);

    expect(seen).toEqual(
      expect.arrayContaining([
        { payload: { order_id: 'q-1' }, manifest: 'json' },
        { payload: { order_id: 't-1' }, manifest: 'json' },
      ]),
    );
  });

  it('on a queue without a catch-all, are dead-lettered with a reason that explains the "json" manifest', async () => {
    const sqs = plainSqs();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, STRICT),
        MessageBody: JSON.stringify({ Message: JSON.stringify({ order_id: 's-1' }) }),
        MessageAttributes: pythonAttributes,
      }),
    );

    const [dead] = await receivePlain(sqs, `${STRICT}-dlq`, 1, 10_000);
    sqs.destroy();

    expect(JSON.parse(dead.Body ?? '')).toEqual({ Message: '{"order_id":"s-1"}' });
    expect(dead.MessageAttributes?.melange_dead_letter_reason?.StringValue).toBe(
      `cannot be handled: Message on queue "${STRICT}" has the manifest "json", which Python melange's JSON serializer ` +
        'writes for every type, so no typed handler can be chosen; an @OnAnyMessage handler on the queue would take it.',
    );
  });
});

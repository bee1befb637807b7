import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import { decodeSqsMessage } from '../../lib/backends/sqs/sqs-wire-format';
import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import {
  BackendFactory,
  DeliveryRecorder,
  envelope,
  plainSns,
  plainSqs,
  queueUrl,
  receivePlain,
  uniqueName,
} from '../support/sqs';

/** Pins the format Python melange 7.x reads and writes (WIRE-FORMAT.md). */
describe('SQS/SNS wire format', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;
  let sqs: SQSClient;
  let sns: SNSClient;

  beforeAll(() => {
    backend = factory.create();
    sqs = plainSqs();
    sns = plainSns();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
    sns.destroy();
  });

  describe('what the library writes', () => {
    it('wraps a queue message as {"Message": payload} with manifest, serializer_id and message id attributes', async () => {
      const queue = uniqueName('wire-out');
      await backend.declareQueue({ name: queue });
      const sent = envelope({ payload: '{"orderId":"42"}', manifest: 'OrderCreated', serializerId: 1 });

      await backend.send(queue, sent);

      const [message] = await receivePlain(sqs, queue, 1);
      expect(message?.Body).toBe('{"Message": "{\\"orderId\\":\\"42\\"}"}');
      expect(JSON.parse(message?.Body ?? '')).toEqual({ Message: '{"orderId":"42"}' });
      expect(message?.MessageAttributes).toEqual({
        manifest: { DataType: 'String', StringValue: 'OrderCreated' },
        serializer_id: { DataType: 'Number', StringValue: '1' },
        melange_message_id: { DataType: 'String', StringValue: sent.messageId },
      });
    });

    it('publishes the payload itself to a topic, which a raw subscription delivers unchanged', async () => {
      const topic = uniqueName('wire-topic');
      const queue = uniqueName('wire-raw');
      await backend.declareQueue({ name: queue });
      await backend.declareTopic({ name: topic });
      await backend.declareSubscription({ topic, queue, rawDelivery: true });
      const sent = envelope({ payload: '{"orderId":"7"}' });

      await backend.publish(topic, sent);

      const [message] = await receivePlain(sqs, queue, 1);
      expect(message?.Body).toBe('{"orderId":"7"}');
      expect(message?.MessageAttributes).toEqual({
        manifest: { DataType: 'String', StringValue: 'OrderCreated' },
        serializer_id: { DataType: 'Number', StringValue: '1' },
        melange_message_id: { DataType: 'String', StringValue: sent.messageId },
      });
    });

    it('gives subscribers without raw delivery an SNS envelope whose MessageAttributes carry manifest and serializer_id', async () => {
      const topic = uniqueName('wire-topic');
      const queue = uniqueName('wire-envelope');
      await backend.declareQueue({ name: queue });
      await backend.declareTopic({ name: topic });
      await backend.declareSubscription({ topic, queue });
      const sent = envelope({ payload: '{"orderId":"8"}' });

      await backend.publish(topic, sent);

      const [message] = await receivePlain(sqs, queue, 1);
      const notification = JSON.parse(message?.Body ?? '{}');
      expect(notification).toMatchObject({
        Type: 'Notification',
        Message: '{"orderId":"8"}',
        MessageAttributes: {
          manifest: { Type: 'String', Value: 'OrderCreated' },
          serializer_id: { Type: 'Number', Value: '1' },
          melange_message_id: { Type: 'String', Value: sent.messageId },
        },
      });
      expect(notification.TopicArn).toMatch(new RegExp(`:${topic}$`));
    });
  });

  describe('what the library reads, written with plain SDK calls', () => {
    let queue: string;
    let url: string;
    let recorder: DeliveryRecorder;

    beforeEach(async () => {
      queue = uniqueName('wire-in');
      await backend.declareQueue({ name: queue });
      url = await queueUrl(sqs, queue);
      recorder = new DeliveryRecorder();
    });

    async function consumeOne(): Promise<DeliveryRecorder['deliveries'][number]> {
      const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
      try {
        const [delivery] = await recorder.waitForCount(1);
        return delivery as DeliveryRecorder['deliveries'][number];
      } finally {
        await consumer.stop();
      }
    }

    it('reads an SNS notification envelope, taking manifest and serializer id from its MessageAttributes', async () => {
      const body = JSON.stringify({
        Type: 'Notification',
        MessageId: 'sns-message-1',
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
        Subject: null,
        Message: '{"orderId":"1"}',
        Timestamp: '2026-01-01T00:00:00.000Z',
        SignatureVersion: '1',
        Signature: 'EXAMPLE',
        MessageAttributes: {
          manifest: { Type: 'String', Value: 'OrderCreated' },
          serializer_id: { Type: 'Number', Value: '1' },
          tenant: { Type: 'String', Value: 'acme' },
        },
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));

      const delivery = await consumeOne();

      expect(delivery.envelope).toEqual({
        payload: '{"orderId":"1"}',
        manifest: 'OrderCreated',
        serializerId: 1,
        messageId: 'sns-message-1',
        attributes: { tenant: 'acme' },
      });
    });

    it('reads the {"Message": payload} queue wrapper with SQS message attributes (as Python melange sends it)', async () => {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: '{"Message": "{\\"orderId\\": \\"2\\"}"}',
          MessageAttributes: {
            manifest: { DataType: 'String', StringValue: 'OrderShipped' },
            serializer_id: { DataType: 'Number', StringValue: '1' },
          },
        }),
      );

      const delivery = await consumeOne();

      expect(delivery.envelope).toEqual({
        payload: '{"orderId": "2"}',
        manifest: 'OrderShipped',
        serializerId: 1,
        messageId: sent.MessageId,
        attributes: {},
      });
    });

    it('reads a raw body with attributes (raw delivery) as the payload itself', async () => {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: '{"orderId":"3"}',
          MessageAttributes: {
            manifest: { DataType: 'String', StringValue: 'OrderCreated' },
            serializer_id: { DataType: 'Number', StringValue: '1' },
            melange_message_id: { DataType: 'String', StringValue: 'publisher-id-3' },
          },
        }),
      );

      const delivery = await consumeOne();

      expect(delivery.envelope).toEqual({
        payload: '{"orderId":"3"}',
        manifest: 'OrderCreated',
        serializerId: 1,
        messageId: 'publisher-id-3',
        attributes: {},
      });
    });

    it('reads a raw body from a foreign producer (no attributes) with no manifest and the broker message id', async () => {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'plain text from the AWS CLI' }));

      const delivery = await consumeOne();

      expect(delivery.envelope).toEqual({
        payload: 'plain text from the AWS CLI',
        manifest: undefined,
        serializerId: undefined,
        messageId: sent.MessageId,
        attributes: {},
      });
    });
  });

  describe('decoding edge cases', () => {
    it('keeps a foreign JSON object that merely has a "Message" key as a raw payload', () => {
      const body = '{"Message":"hello","from":"billing"}';
      const result = decodeSqsMessage({ MessageId: 'm1', Body: body });
      expect(result).toMatchObject({ shape: 'raw', envelope: { payload: body } });
      expect(result.undecodable).toBeUndefined();
    });

    it('treats an empty manifest (Python melange publishes "" when it has none) as no manifest', () => {
      const result = decodeSqsMessage({
        MessageId: 'm2',
        Body: '{"Message": "x"}',
        MessageAttributes: { manifest: { DataType: 'String', StringValue: '' } },
      });
      expect(result).toMatchObject({ shape: 'queue-wrapper', envelope: { manifest: undefined } });
      expect(result.undecodable).toBeUndefined();
    });

    it('refuses a serializer_id that is not an integer, naming the value', () => {
      const result = decodeSqsMessage({
        MessageId: 'm3',
        Body: '{"Message": "x"}',
        MessageAttributes: { serializer_id: { DataType: 'String', StringValue: 'pickle' } },
      });
      expect(result).toMatchObject({ envelope: { messageId: 'm3', payload: 'x' }, undecodable: 'its serializer_id attribute "pickle" is not an integer' });
    });

    it('passes malformed JSON through as a raw payload, for the serializer to refuse', () => {
      const result = decodeSqsMessage({ MessageId: 'm4', Body: '{"Message": ' });
      expect(result).toMatchObject({ shape: 'raw', envelope: { payload: '{"Message": ' } });
      expect(result.undecodable).toBeUndefined();
    });
  });
});

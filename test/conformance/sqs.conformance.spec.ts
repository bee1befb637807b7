import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import { describeBackendConformance } from '../../lib/testing';
import { BackendFactory, CREDENTIALS, REGION, plainSqs, queueUrl, silentLogger } from '../support/sqs';

const factory = new BackendFactory();
afterAll(() => factory.closeAll());

describeBackendConformance({
  name: 'SQS + SNS (local server)',
  create: () => factory.create({ waitTimeSeconds: 1 }),
  // Through the SDK itself, as a foreign producer or the AWS CLI would.
  putHostileMessages: async (queue) => {
    const sqs = plainSqs();
    try {
      const QueueUrl = await queueUrl(sqs, queue);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"Message": not json' }));
      await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: '{"Message": "{}"}',
          MessageAttributes: { serializer_id: { DataType: 'String', StringValue: 'pickle' } },
        }),
      );
      await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: '{"Message": "{}"}',
          MessageAttributes: { manifest: { DataType: 'Number', StringValue: '7' }, ['__proto__']: { DataType: 'String', StringValue: 'x' } },
        }),
      );
      return 3;
    } finally {
      sqs.destroy();
    }
  },
  createUnreachable: () =>
    new SqsBackend({ region: REGION, endpoint: 'http://127.0.0.1:9', credentials: CREDENTIALS, logger: silentLogger, waitTimeSeconds: 1 }),
});

import 'reflect-metadata';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Test } from '@nestjs/testing';
import { MelangeInfrastructure, MelangeModule, SqsBackend } from '../../lib';
import { plainS3 } from '../support/s3';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

/** With declareBucket, MelangeInfrastructure creates the payload bucket like the queues and topics. */
describe('declaring the payload bucket', () => {
  let s3: S3Client;

  beforeAll(() => {
    s3 = plainS3();
  });

  afterAll(() => s3.destroy());

  async function declare(bucket: string, declareBucket: boolean): Promise<void> {
    const backend = new SqsBackend({
      region: REGION,
      endpoint: sqsEndpoint(),
      credentials: CREDENTIALS,
      logger: silentLogger,
      payloadOffloading: { bucket, declareBucket },
    });
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { sqs: backend }, autoCreate: false, startConsumers: false })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await app.get(MelangeInfrastructure).declare();
      // Declaring twice changes nothing.
      await app.get(MelangeInfrastructure).declare();
    } finally {
      await app.close();
    }
  }

  async function bucketExists(bucket: string): Promise<boolean> {
    return s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      () => false,
    );
  }

  it('creates the bucket when declareBucket is set', async () => {
    const bucket = uniqueName('declared-payloads').toLowerCase();

    await declare(bucket, true);

    expect(await bucketExists(bucket)).toBe(true);
  });

  it('leaves S3 alone otherwise', async () => {
    const bucket = uniqueName('undeclared-payloads').toLowerCase();

    await declare(bucket, false);

    expect(await bucketExists(bucket)).toBe(false);
  });
});

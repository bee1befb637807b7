import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { MelangePublisher, Message, MessageConsumer, OnMessage } from '../../lib';
import { createLambdaHandler, type MelangeLambdaHandler } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule } from '../support/lambda-app';
import { lambdaContext, localSqsClientOptions, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { freshBucket, KiB, plainS3 } from '../support/s3';
import { plainSqs, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-large');

@Message('lambda-spec.report-ready')
class ReportReady {
  constructor(
    readonly reportId: string,
    readonly rows: string,
  ) {}
}

const seen: string[] = [];

@Injectable()
@MessageConsumer(QUEUE)
class Reports {
  @OnMessage()
  ready(report: ReportReady): void {
    seen.push(`${report.reportId}: ${report.rows.length} characters (${report instanceof ReportReady ? 'ReportReady' : 'plain'})`);
  }
}

describe('Lambda records whose payload was offloaded to S3', () => {
  const sqs = plainSqs();
  const s3 = plainS3();
  let handler: MelangeLambdaHandler;

  beforeAll(async () => {
    const bucket = await freshBucket(s3);
    const AppModule = lambdaAppModule({ infrastructure: { queues: [{ name: QUEUE }] } }, [Reports], {
      payloadOffloading: { bucket, thresholdBytes: 64 * KiB, client: plainS3() },
    });
    handler = createLambdaHandler(AppModule, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger() });
  });

  afterAll(async () => {
    await handler.close();
    sqs.destroy();
    s3.destroy();
  });

  it('are read from S3 with the backend’s offloading settings and reach the handler whole', async () => {
    const app = await handler.ready();
    await app.get(MelangePublisher).publish(new ReportReady('r-1', 'x'.repeat(300 * KiB)), { queue: QUEUE });

    const event = await receiveSqsEvent(sqs, QUEUE, 1);
    expect(event.Records[0].body).toContain('software.amazon.payloadoffloading.PayloadS3Pointer');
    const response = await handler(event, lambdaContext());
    await settleLikeLambda(sqs, QUEUE, event, response);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual([`r-1: ${300 * KiB} characters (ReportReady)`]);
  });
});

import { startSampleApp, type RunningSample } from '../../sample-app/src/sample-app';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DATABASE_URL } from '../support/postgres';
import { plainSqs, queueAttributes } from '../support/sqs';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';
import { orderFlowSpecs } from './sample-order-flows';

/*
 * The sample app as its users run it: its own bootstrap function, real HTTP on 127.0.0.1, and the
 * SQS/SNS server of Jest's global setup (found through MELANGE_SQS_ENDPOINT, as the app always
 * finds its server). Its queues and topics are named "sample-...", apart from every other spec's.
 */
const DEAD_LETTER_QUEUES = ['sample-payments-dlq', 'sample-orders-payments-dlq.fifo', 'sample-notifications-dlq.fifo'];

async function deadLettered(): Promise<Record<string, number>> {
  const sqs = plainSqs();
  try {
    const counts: Record<string, number> = {};
    for (const queue of DEAD_LETTER_QUEUES) {
      counts[queue] = Number((await queueAttributes(sqs, queue)).ApproximateNumberOfMessages);
    }
    return counts;
  } finally {
    sqs.destroy();
  }
}

describe('the sample app, over HTTP and SQS/SNS', () => {
  let sample: RunningSample;
  /** What the dead-letter queues held before: a server given from outside may have kept queues from an earlier run. */
  let deadLetteredBefore: Record<string, number>;
  const schema = `sample_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!process.env[SQS_ENDPOINT_ENV]) throw new Error(`${SQS_ENDPOINT_ENV} is not set: run through jest.config.js`);
    process.env.PAYMENT_LIMIT = '1000';
    // The real server, in a schema of this spec's: PGlite, the sample's default, runs outside Jest
    // only (npm run sample:demo covers it).
    process.env.DATABASE_URL = DATABASE_URL;
    process.env.DATABASE_SCHEMA = schema;
    sample = await startSampleApp({ port: 0, logger: ['error', 'warn'] });
    deadLetteredBefore = await deadLettered();
  });

  afterAll(async () => {
    await sample?.app.close();
    const pool = new Pool({ connectionString: DATABASE_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  orderFlowSpecs({ url: () => sample.url });

  it('dead-letters nothing: the filter policies keep PaymentStarted and the like away from queues without a handler for them', async () => {
    // Runs after the orders above settled and were notified, so every event has been delivered.
    expect(await deadLettered()).toEqual(deadLetteredBefore);
  });
});

import { startSampleApp, type RunningSample } from '../../sample-app/src/sample-app';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DATABASE_URL } from '../support/postgres';
import { plainSqs, queueAttributes, receivePlain } from '../support/sqs';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';
import { orderFlowSpecs } from './sample-order-flows';

/*
 * The sample app as its users run it: its own bootstrap function, real HTTP on 127.0.0.1, and the
 * SQS/SNS server of Jest's global setup (found through MELANGE_SQS_ENDPOINT, as the app always
 * finds its server). Its queues and topics are named "sample-...", apart from every other spec's.
 */
const DEAD_LETTER_QUEUES = ['sample-payments-dlq', 'sample-orders-payments-dlq.fifo', 'sample-notifications-dlq.fifo'];

/**
 * The bodies of what the dead-letter queues hold, each looked at once (received and left to
 * come back). The server is shared: the sample's Lambda spec publishes payment events for an order
 * this app never stored, which its orders consumer rightly dead-letters.
 */
async function deadLetteredBodies(): Promise<string[]> {
  const sqs = plainSqs();
  try {
    const bodies: string[] = [];
    for (const queue of DEAD_LETTER_QUEUES) {
      const held = Number((await queueAttributes(sqs, queue)).ApproximateNumberOfMessages);
      if (held > 0) bodies.push(...(await receivePlain(sqs, queue, held, 3_000)).map((message) => message.Body ?? ''));
    }
    return bodies;
  } finally {
    sqs.destroy();
  }
}

describe('the sample app, over HTTP and SQS/SNS', () => {
  let sample: RunningSample;
  const schema = `sample_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!process.env[SQS_ENDPOINT_ENV]) throw new Error(`${SQS_ENDPOINT_ENV} is not set: run through jest.config.js`);
    process.env.PAYMENT_LIMIT = '1000';
    // The real server, in a schema of this spec's: PGlite, the sample's default, runs outside Jest
    // only (npm run sample:demo covers it).
    process.env.DATABASE_URL = DATABASE_URL;
    process.env.DATABASE_SCHEMA = schema;
    sample = await startSampleApp({ port: 0, logger: ['error', 'warn'] });
  });

  afterAll(async () => {
    await sample?.app.close();
    const pool = new Pool({ connectionString: DATABASE_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  const flows = orderFlowSpecs({ url: () => sample.url });

  it('dead-letters nothing of its orders: the filter policies keep PaymentStarted and the like away from queues without a handler for them', async () => {
    // Runs after the orders above settled and were notified, so every event has been delivered.
    const bodies = await deadLetteredBodies();
    expect(flows.placed.length).toBeGreaterThan(0);
    expect(flows.placed.filter((id) => bodies.some((body) => body.includes(id)))).toEqual([]);
  });
});

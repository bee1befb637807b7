import { Test } from '@nestjs/testing';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MelangeInfrastructure, MelangeModule, SqsBackend } from '../../lib';
import { CREDENTIALS, plainSns, plainSqs, queueAttributes, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUES = 8;

/** Counts the requests a client has on their way at once; the SDK itself is untouched. */
function watchInFlight(client: SQSClient): { readonly max: () => number } {
  let now = 0;
  let max = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      max = Math.max(max, ++now);
      try {
        return await next(args);
      } finally {
        now--;
      }
    },
    { step: 'initialize', name: 'inFlightWatch' },
  );
  return { max: () => max };
}

/** On AWS each declaration is a few round trips: twenty queues in series hold up the first receive by seconds. */
describe('MelangeInfrastructure.declare()', () => {
  const sqs = plainSqs();
  const polling = plainSqs();
  const sns = plainSns();
  afterAll(() => [sqs, polling, sns].forEach((client) => client.destroy()));

  it('declares queues at once (dead-letter queues before the queues naming them), and every one ends up as specified', async () => {
    const watch = watchInFlight(sqs);
    const names = Array.from({ length: QUEUES }, () => uniqueName('declare-at-once'));
    const backend = new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, logger: silentLogger, clients: { sqs, polling, sns } });
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: backend },
          autoCreate: false,
          infrastructure: { queues: names.map((name) => ({ name, deadLetterQueue: `${name}-dlq`, maxReceiveCount: 3 })) },
        }),
      ],
    }).compile();
    const app = await moduleRef.init();

    await app.get(MelangeInfrastructure).declare();
    await app.close();

    expect(watch.max()).toBeGreaterThanOrEqual(QUEUES);
    for (const name of names) {
      const redrive = JSON.parse((await queueAttributes(sqs, name)).RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
      expect(redrive.deadLetterTargetArn).toMatch(new RegExp(`:${name}-dlq$`));
      expect(Number(redrive.maxReceiveCount)).toBe(3);
    }
  });
});

import { Injectable, ValidationPipe } from '@nestjs/common';
import { IsPositive, IsString, MinLength } from 'class-validator';
import { Message, MessageConsumer, MessageContext, OnMessageBatch, Payload } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness } from './batch-harness';

@Message('batch.account-opened')
class AccountOpened {
  @IsString() @MinLength(3) owner!: string;
  @IsPositive() deposit!: number;
}

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class AccountsConsumer {
    readonly batches = new Recorder<string[]>();

    @OnMessageBatch(AccountOpened, { maxSize: 5, maxWaitMs: 1000 })
    open(@Payload(new ValidationPipe({ transform: true })) accounts: AccountOpened[], @MessageContext() contexts: MessageContext[]): void {
      expect(accounts.every((account) => account instanceof AccountOpened)).toBe(true);
      expect(contexts).toHaveLength(accounts.length);
      this.batches.record(accounts.map((account) => account.owner));
    }
  }
  return AccountsConsumer;
}

const account = (owner: string, deposit: number) => Object.assign(new AccountOpened(), { owner, deposit });

describe.each(BACKENDS)('pipes on a batch handler on %s', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('validate each message: invalid ones are dead-lettered with the reason, the rest reach the handler together', async () => {
    harness = new BatchHarness(kind, 'batch-validation');
    const ids = await harness.publish([account('Alice', 10), account('Al', 5), account('Bob', 1), account('Carol', -1), account('Dave', 3)]);
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer] });

    const [tooShort, negative] = await Promise.all([events.waitFor('dead-lettered', ids[1], 10_000), events.waitFor('dead-lettered', ids[3], 10_000)]);
    await Promise.all([0, 2, 4].map((index) => events.waitFor('handled', ids[index], 10_000)));

    expect(app.get(Consumer).batches.items).toEqual([['Alice', 'Bob', 'Dave']]);
    expect(tooShort.reason).toBe(
      'AccountsConsumer.open failed on attempt 1: Bad Request Exception: owner must be longer than or equal to 3 characters (not retryable)',
    );
    expect(negative.reason).toContain('deposit must be a positive number (not retryable)');
    expect(events.of('retried')).toEqual([]);
  });
});

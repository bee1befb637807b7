import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeConfigurationError, MelangeModule, MessageConsumer, OnMessage, OnMessageBatch, type MelangeModuleOptions } from '../../lib';
import { BatchExceedsConcurrencyError, ConflictingBatchHandlerError, InvalidBatchOptionsError } from '../../lib/errors';
import { Item } from './batch-harness';

async function boot(providers: Type<unknown>[], options: MelangeModuleOptions = {}): Promise<void> {
  const moduleRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot(options)], providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } finally {
    await app.close();
  }
}

function consumerWith(options: { maxSize?: number; maxWaitMs?: number }, concurrency?: number): Type<unknown> {
  @Injectable()
  @MessageConsumer({ queue: 'items', concurrency })
  class ItemsConsumer {
    @OnMessageBatch(Item, options)
    handle(_: Item[]): void {}
  }
  return ItemsConsumer;
}

describe('@OnMessageBatch options are checked when the app starts', () => {
  it.each([0, -1, 2.5, Number.NaN, '10' as unknown as number])('a maxSize of %p', async (maxSize) => {
    const failure = boot([consumerWith({ maxSize })]);
    await expect(failure).rejects.toThrow(InvalidBatchOptionsError);
    await expect(failure).rejects.toThrow(/ItemsConsumer\.handle is marked @OnMessageBatch with maxSize .*; give a whole number of at least 1/);
  });

  it.each([-1, Number.POSITIVE_INFINITY, Number.NaN])('a maxWaitMs of %p', async (maxWaitMs) => {
    await expect(boot([consumerWith({ maxWaitMs })])).rejects.toThrow(/with maxWaitMs .*; give a number of milliseconds, 0 or more/);
  });

  it('a maxSize above the queue concurrency, which no batch could reach', async () => {
    const failure = boot([consumerWith({ maxSize: 20 }, 8)]);
    await expect(failure).rejects.toThrow(BatchExceedsConcurrencyError);
    await expect(failure).rejects.toThrow(
      'ItemsConsumer.handle gathers batches of up to 20 messages, but queue "items" is consumed with concurrency 8',
    );
    // The module-wide concurrency counts the same way.
    await expect(boot([consumerWith({})], { consumers: { concurrency: 5 } })).rejects.toThrow(/up to 10 messages, .* concurrency 5/);
  });

  it('a method marked both @OnMessage and @OnMessageBatch', async () => {
    @Injectable()
    @MessageConsumer('items')
    class Confused {
      @OnMessage(Item)
      @OnMessageBatch(Item)
      handle(_: Item[]): void {}
    }
    const failure = boot([Confused]);
    await expect(failure).rejects.toThrow(ConflictingBatchHandlerError);
    await expect(failure).rejects.toThrow(MelangeConfigurationError);
  });

  it('defaults (10 messages, 50 ms) fit the default concurrency, and a batch of 1 with no wait is allowed', async () => {
    await expect(boot([consumerWith({})])).resolves.toBeUndefined();
    await expect(boot([consumerWith({ maxSize: 1, maxWaitMs: 0 }, 1)])).resolves.toBeUndefined();
  });
});

import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CapturingLogger } from '../support/capturing-logger';
import {
  InfrastructureDeclarationError,
  InMemoryBackend,
  Message,
  JsonSerializer,
  MelangeModule,
  MessageConsumer,
  OnMessage,
  type MelangeModuleOptions,
} from '../../lib';
import { DuplicateHandlerError, HandlerWithoutQueueError, InvalidConcurrencyError, NoSerializerError, UnknownBackendError, UnknownMessageTypeError } from '../../lib/errors';

class OrderPlaced {
  orderId!: string;
}

async function boot(providers: Type<unknown>[], options: MelangeModuleOptions = {}): Promise<void> {
  const moduleRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot(options)], providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } finally {
    await app.close();
  }
}

describe('wiring mistakes fail app.init() with a clear error', () => {
  it.each([0, -1, 2.5, Number.NaN])('a consumer concurrency of %p', async (concurrency) => {
    @Injectable()
    @MessageConsumer({ queue: 'orders', concurrency })
    class Billing {
      @OnMessage() bill(_: OrderPlaced): void {}
    }

    const failure = boot([Billing]);

    await expect(failure).rejects.toThrow(InvalidConcurrencyError);
    await expect(failure).rejects.toThrow(`Queue "orders" (Billing) has concurrency ${concurrency}; give a whole number of at least 1`);
  });

  it('a destination naming a backend that does not exist, in the destinations option or in @Message', async () => {
    @Message('orders.shipped', { destination: { topic: 'orders', backend: 'sns' } })
    class OrderShipped {}

    const viaOption = boot([], { destinations: [{ message: OrderPlaced, destination: { queue: 'orders', backend: 'rabbit' } }] });
    const viaDecorator = boot([], { messages: [OrderShipped] });

    await expect(viaOption).rejects.toThrow(UnknownBackendError);
    await expect(viaOption).rejects.toThrow(/The destination of OrderPlaced in MelangeModule's "destinations" option .*"rabbit"/);
    await expect(viaDecorator).rejects.toThrow(/The @Message destination of OrderShipped .*"sns"/);
  });


  it('two handlers for the same message on one queue', async () => {
    @Injectable()
    @MessageConsumer('orders')
    class Billing {
      @OnMessage() bill(_: OrderPlaced): void {}
    }
    @Injectable()
    @MessageConsumer('orders')
    class Shipping {
      @OnMessage() ship(_: OrderPlaced): void {}
    }

    const failure = boot([Billing, Shipping]);

    await expect(failure).rejects.toThrow(DuplicateHandlerError);
    await expect(failure).rejects.toThrow(
      'Queue "orders" has two handlers for message "OrderPlaced": Billing.bill and Shipping.ship.',
    );
  });

  it('@OnMessage on a class without a queue', async () => {
    @Injectable()
    class Forgetful {
      @OnMessage() handle(_: OrderPlaced): void {}
    }

    await expect(boot([Forgetful])).rejects.toThrow(
      new HandlerWithoutQueueError(Forgetful, 'handle').message,
    );
    await expect(boot([Forgetful])).rejects.toThrow("mark the class @MessageConsumer('<queue>')");
  });

  it('two consumers of one queue asking for different concurrency', async () => {
    @Injectable()
    @MessageConsumer({ queue: 'orders', concurrency: 4 })
    class Few {
      @OnMessage() placed(_: OrderPlaced): void {}
    }
    class OrderCancelled {}
    @Injectable()
    @MessageConsumer({ queue: 'orders', concurrency: 64 })
    class Many {
      @OnMessage() cancelled(_: OrderCancelled): void {}
    }

    await expect(boot([Few, Many])).rejects.toThrow(
      'Queue "orders" is consumed with concurrency 4 by one @MessageConsumer and 64 by Many; one queue has one consumer loop',
    );
  });

  it('a consumer naming an unknown backend', async () => {
    @Injectable()
    @MessageConsumer({ queue: 'orders', backend: 'sqs' })
    class OnSqs {
      @OnMessage() handle(_: OrderPlaced): void {}
    }

    const failure = boot([OnSqs]);

    await expect(failure).rejects.toThrow(UnknownBackendError);
    await expect(failure).rejects.toThrow(
      '@MessageConsumer of OnSqs names backend "sqs", which is not configured; configured backends: default.',
    );
  });

  it('a message class with no serializer and no default', async () => {
    @Injectable()
    @MessageConsumer('orders')
    class Orders {
      @OnMessage() handle(_: OrderPlaced): void {}
    }

    const failure = boot([Orders], { serialization: { serializers: { custom: new JsonSerializer() } } });

    await expect(failure).rejects.toThrow(NoSerializerError);
    await expect(failure).rejects.toThrow('No serializer for message class OrderPlaced');
  });

  it('infrastructure the broker refuses, naming what was being declared', async () => {
    const refusing = Object.assign(new InMemoryBackend(), {
      declareQueue: async () => {
        throw new Error('AccessDenied: not allowed to sqs:CreateQueue');
      },
    });

    const failure = boot([], { backends: { sqs: refusing }, infrastructure: { queues: [{ name: 'orders' }] } });

    await expect(failure).rejects.toThrow(InfrastructureDeclarationError);
    await expect(failure).rejects.toThrow('Declaring queue "orders" on backend "sqs" failed: AccessDenied: not allowed to sqs:CreateQueue');
  });

  it('warns when the queue would redrive messages before the retry policy is done with them', async () => {
    @Injectable()
    @MessageConsumer('orders')
    class Patient {
      @OnMessage(OrderPlaced, { retry: { maxAttempts: 8 } })
      handle(_: OrderPlaced): void {}
    }
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ infrastructure: { queues: [{ name: 'orders', deadLetterQueue: 'orders-dlq', maxReceiveCount: 5 }] } })],
      providers: [Patient],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    await app.close();

    expect(logger.messages('warn')).toContain(
      'Queue "orders" moves messages to its dead-letter queue after 5 receives (maxReceiveCount), but a handler on it allows 8 attempts ' +
        "(retry.maxAttempts): the last attempts never happen, and the broker's redrive attaches no reason. Make maxReceiveCount at least maxAttempts.",
    );
  });

  it('a handler whose message type cannot be inferred', async () => {
    @Injectable()
    @MessageConsumer('orders')
    class Untyped {
      @OnMessage() handle(_: { orderId: string }): void {}
    }

    const failure = boot([Untyped]);

    await expect(failure).rejects.toThrow(UnknownMessageTypeError);
    await expect(failure).rejects.toThrow('Name the class: @OnMessage(OrderPlaced).');
  });
});

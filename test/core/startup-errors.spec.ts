import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DuplicateHandlerError,
  HandlerWithoutQueueError,
  InfrastructureDeclarationError,
  InMemoryBackend,
  JsonSerializer,
  MelangeModule,
  MessageConsumer,
  NoSerializerError,
  OnMessage,
  UnknownBackendError,
  UnknownMessageTypeError,
  type MelangeModuleOptions,
} from '../../lib';

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

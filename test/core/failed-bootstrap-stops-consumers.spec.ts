import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeModule, MessageConsumer, OnMessage, type ConsumeOptions, type ConsumerHandle, type DeliveryHandler } from '../../lib';

class Job {}

@Injectable()
@MessageConsumer('first')
class FirstConsumer {
  @OnMessage() run(_: Job): void {}
}

@Injectable()
@MessageConsumer('second')
class SecondConsumer {
  @OnMessage() run(_: Job): void {}
}

/** An in-memory backend that cannot consume "second", and keeps the handles of what it started. */
class HalfBrokenBackend extends InMemoryBackend {
  readonly started: ConsumerHandle[] = [];

  override consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    if (queue === 'second') throw new Error('the broker refused to consume "second"');
    const handle = super.consume(queue, handler, options);
    this.started.push(handle);
    return handle;
  }
}

describe('a bootstrap that fails half-way', () => {
  it('stops the consumers it had started before app.init() rejects', async () => {
    const backend = new HalfBrokenBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { memory: backend } })],
      providers: [FirstConsumer, SecondConsumer],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });

    await expect(app.init()).rejects.toThrow('the broker refused to consume "second"');

    expect(backend.started).toHaveLength(1);
    expect(backend.started[0]!.status().state).toBe('stopped');
  });
});

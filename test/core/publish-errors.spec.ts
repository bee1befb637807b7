import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import {
  InMemoryBackend,
  JsonSerializer,
  MelangeModule,
  MelangePublisher,
  MessageRejectedError,
  NoDestinationError,
  NotAMessageClassError,
  PublishBatchError,
  SerializationError,
  type Serializer,
} from '../../lib';
import { UnknownBackendError } from '../../lib/errors';

class Untargeted {
  constructor(readonly id: string) {}
}

class Cyclic {
  self: Cyclic = this;
}

const failingSerializer: Serializer = {
  id: 7,
  manifest: () => 'cyclic',
  serialize: () => {
    throw new Error('value contains a cycle');
  },
  deserialize: () => undefined,
};

async function setUp(): Promise<{ publisher: MelangePublisher; backend: InMemoryBackend }> {
  const backend = new InMemoryBackend();
  const moduleRef = await Test.createTestingModule({
    imports: [
      MelangeModule.forRoot({
        backends: { default: backend },
        serialization: {
          serializers: { json: new JsonSerializer(), failing: failingSerializer },
          defaultSerializer: 'json',
          bindings: [{ message: Cyclic, serializer: 'failing' }],
        },
      }),
    ],
  }).compile();
  return { publisher: moduleRef.get(MelangePublisher), backend };
}

describe('publish errors', () => {
  it('a message with no destination names the ways to give it one', async () => {
    const { publisher } = await setUp();

    const failure = publisher.publish(new Untargeted('1'));

    await expect(failure).rejects.toThrow(NoDestinationError);
    await expect(failure).rejects.toThrow('No destination for Untargeted: pass { queue } or { topic } to publish()');
  });

  it('a serializer failure names the class and the serializer, and sends nothing', async () => {
    const { publisher, backend } = await setUp();

    const failure = publisher.publish(new Cyclic(), { queue: 'q' });

    await expect(failure).rejects.toThrow(SerializationError);
    await expect(failure).rejects.toThrow('Serializer 7 could not serialize Cyclic: value contains a cycle');
    expect(backend.waitingIn('q')).toEqual([]);
  });

  it('a plain object, or a destination whose name is missing, says what to fix before anything is sent', async () => {
    const { publisher, backend } = await setUp();

    await expect(publisher.publish({ orderId: '1' }, { queue: 'q' })).rejects.toThrow(NotAMessageClassError);
    await expect(publisher.publish(new Untargeted('1'), { queue: process.env.ORDERS_QUEUE_NOT_SET as string })).rejects.toThrow(
      'The destination of Untargeted has no queue or topic name ({}); check the configuration it comes from',
    );
    expect(backend.waitingIn('q')).toEqual([]);
  });

  it('null, undefined, a primitive or an array is refused with what it was, before anything is sent', async () => {
    const { publisher, backend } = await setUp();
    const publishAnything = publisher.publish.bind(publisher) as (message: unknown, destination: { queue: string }) => Promise<unknown>;

    for (const [value, given] of [
      [null, 'null'],
      [undefined, 'undefined'],
      [5, 'a number'],
      ['text', 'a string'],
      [Symbol('s'), 'a symbol'],
      [[new Untargeted('1')], 'an array'],
      [{ orderId: '1' }, 'a plain object'],
      [Object.create(null), 'a plain object'],
    ] as const) {
      const failure = publishAnything(value, { queue: 'q' });
      await expect(failure).rejects.toThrow(NotAMessageClassError);
      await expect(failure).rejects.toThrow(`publish() was given ${given}; publish an instance of a message class`);
    }
    expect(backend.waitingIn('q')).toEqual([]);
  });

  it('an empty, over-long or control-character messageId is refused before anything is sent', async () => {
    const { publisher, backend } = await setUp();

    for (const [messageId, why] of [
      ['', 'its messageId is empty; leave it out for a random one'],
      ['i'.repeat(257), 'its messageId is 257 characters long, over the limit of 256'],
      ['order-1\n[Nest] forged', 'its messageId contains control characters'],
    ] as const) {
      const failure = publisher.publish(new Untargeted('1'), { queue: 'q' }, { messageId });
      await expect(failure).rejects.toThrow(MessageRejectedError);
      await expect(failure).rejects.toThrow(why);
    }
    await expect(publisher.publish(new Untargeted('1'), { queue: 'q' }, { messageId: 'i'.repeat(256) })).resolves.toMatchObject({ messageId: 'i'.repeat(256) });
    expect(backend.waitingIn('q')).toHaveLength(1);
  });

  it('a destination on an unknown backend', async () => {
    const { publisher } = await setUp();

    await expect(publisher.publish(new Untargeted('1'), { topic: 't', backend: 'sns' })).rejects.toThrow(UnknownBackendError);
  });

  it('a batch reports which messages failed and still sends the others', async () => {
    const { publisher, backend } = await setUp();

    const failure = publisher.publishBatch([new Untargeted('1'), new Cyclic(), new Untargeted('2')], { queue: 'q' });

    await expect(failure).rejects.toThrow(PublishBatchError);
    const error = (await failure.catch((e: unknown) => e)) as PublishBatchError;
    expect(error.results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(error.message).toContain('1 of 3 messages were not published');
    expect(backend.waitingIn('q').map((envelope) => JSON.parse(envelope.payload).id)).toEqual(['1', '2']);
  });
});

import 'reflect-metadata';
import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { tap, type Observable } from 'rxjs';
import {
  InMemoryBackend,
  MELANGE_CONTEXT_TYPE,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  MessageAttributes,
  MessageConsumer,
  MessageContext,
  OnMessage,
  Payload,
} from '../../lib';
import { EventLog, Recorder, sleep } from '../support/recorder';

class Greeting {
  constructor(readonly text: string) {}
}

@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const [, messageContext] = context.getArgs<[Greeting, MessageContext]>();
    return messageContext.attributes.tenant !== 'blocked';
  }
}

@Injectable()
class TimingInterceptor implements NestInterceptor {
  readonly timings = new Recorder<{ type: string; handler: string; ms: number }>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const started = performance.now();
    return next.handle().pipe(
      tap(() => this.timings.record({ type: context.getType(), handler: context.getHandler().name, ms: performance.now() - started })),
    );
  }
}

class ShoutPipe implements PipeTransform<Greeting, Greeting> {
  transform(value: Greeting): Greeting {
    return new Greeting(value.text.toUpperCase());
  }
}

@Injectable()
class FilterLog {
  readonly seen = new Recorder<string>();
}

@Catch()
class RecordingFilter implements ExceptionFilter {
  constructor(private readonly log: FilterLog) {}

  catch(exception: Error, host: ArgumentsHost): never {
    this.log.seen.record(`${host.getType()}: ${exception.message}`);
    throw exception;
  }
}

@Injectable()
@MessageConsumer('greetings')
class GreetingsConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage(Greeting)
  @UseGuards(TenantGuard)
  @UseInterceptors(TimingInterceptor)
  async greet(
    @Payload(ShoutPipe) greeting: Greeting,
    @MessageAttributes('tenant') tenant: string,
    @MessageAttributes() attributes: Record<string, string>,
    @MessageContext() context: MessageContext,
  ): Promise<void> {
    await sleep(5); // time for the interceptor to measure
    if (greeting.text === 'FAIL') throw new Error('greeting failed');
    this.seen.record(`${greeting.text} for ${tenant} (${Object.keys(attributes).join(',')}) #${context.receiveCount}`);
  }
}

class DeclinedError extends Error {}

/** Decides that a declined card is final: the message is settled, not retried. */
@Catch(DeclinedError)
class DeclinedIsFinalFilter implements ExceptionFilter {
  constructor(private readonly log: FilterLog) {}

  catch(exception: DeclinedError, host: ArgumentsHost): void {
    const [, context] = host.getArgs<[unknown, MessageContext]>();
    this.log.seen.record(`settled ${context.queue}: ${exception.message}`);
  }
}

/** An application-wide filter, as HTTP apps have: message handlers must not reach it. */
@Catch()
class GlobalHttpFilter implements ExceptionFilter {
  constructor(private readonly log: FilterLog) {}

  catch(exception: Error): void {
    this.log.seen.record(`global: ${exception.message}`);
  }
}

@Injectable()
@MessageConsumer('forgiving')
class ForgivingConsumer {
  readonly attempts = new Recorder<number>();

  @OnMessage()
  @UseFilters(DeclinedIsFinalFilter)
  charge(_: Greeting, context: MessageContext): void {
    this.attempts.record(context.receiveCount);
    throw new DeclinedError('card declined');
  }
}

@Injectable()
@MessageConsumer('filtered')
@UseFilters(RecordingFilter)
class FilteredConsumer {
  @OnMessage()
  fail(_: Greeting): void {
    throw new Error('always fails');
  }
}

describe('guards, interceptors, pipes, filters and parameter decorators on @OnMessage handlers', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;
  let events: EventLog;

  beforeAll(async () => {
    backend = new InMemoryBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'greetings', deadLetterQueue: 'greetings-dlq' }, { name: 'filtered', deadLetterQueue: 'filtered-dlq' }] },
          consumers: { retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 } },
        }),
      ],
      providers: [GreetingsConsumer, FilteredConsumer, ForgivingConsumer, TimingInterceptor, FilterLog, { provide: APP_FILTER, useClass: GlobalHttpFilter }],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    events = new EventLog(app.get(MelangeEvents));
  });

  afterAll(() => app.close());

  it('runs the pipe on the payload and fills decorated parameters', async () => {
    await app.get(MelangePublisher).publish(new Greeting('hello'), { queue: 'greetings' }, { attributes: { tenant: 'acme', lang: 'en' } });

    expect(await app.get(GreetingsConsumer).seen.waitFor(1)).toEqual(['HELLO for acme (tenant,lang) #1']);
  });

  it('lets an interceptor time the handler, in a context of type "melange"', async () => {
    const timings = app.get(TimingInterceptor).timings;
    await app.get(MelangePublisher).publish(new Greeting('again'), { queue: 'greetings' }, { attributes: { tenant: 'acme' } });

    await timings.waitFor(2);
    const [timing] = timings.items;
    expect(timing.type).toBe(MELANGE_CONTEXT_TYPE);
    expect(timing.handler).toBe('greet');
    expect(timing.ms).toBeGreaterThanOrEqual(4);
  });

  it('dead-letters a message the guard rejects, without running the handler or retrying', async () => {
    const { messageId } = await app
      .get(MelangePublisher)
      .publish(new Greeting('hidden'), { queue: 'greetings' }, { attributes: { tenant: 'blocked' } });
    await events.waitFor('dead-lettered', messageId);

    const [dead] = backend.waitingIn('greetings-dlq');
    expect(dead.messageId).toBe(messageId);
    expect(dead.attributes.melange_dead_letter_reason).toBe(
      'GreetingsConsumer.greet failed on attempt 1: Forbidden resource (not retryable)',
    );
    expect(app.get(GreetingsConsumer).seen.items.some((line) => line.startsWith('HIDDEN'))).toBe(false);
  });

  it('settles a message as handled when a filter returns, and keeps app-wide HTTP filters out', async () => {
    const { messageId } = await app.get(MelangePublisher).publish(new Greeting('pay'), { queue: 'forgiving' });

    await app.get(FilterLog).seen.waitFor(1);
    await events.waitFor('handled', messageId);
    expect(app.get(ForgivingConsumer).attempts.items).toEqual([1]);
    expect(backend.waitingIn('forgiving')).toEqual([]);
    expect(backend.inFlightIn('forgiving')).toBe(0);
    expect(app.get(FilterLog).seen.items).toEqual(['settled forgiving: card declined']);
    app.get(FilterLog).seen.items.length = 0;
  });

  it('shows handler errors to exception filters, which may rethrow to keep the retry policy', async () => {
    const { messageId } = await app.get(MelangePublisher).publish(new Greeting('x'), { queue: 'filtered' });

    expect(await app.get(FilterLog).seen.waitFor(2)).toEqual(['melange: always fails', 'melange: always fails']);
    await events.waitFor('dead-lettered', messageId);
    expect(backend.waitingIn('filtered-dlq')).toHaveLength(1);
  });
});

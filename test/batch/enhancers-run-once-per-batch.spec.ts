import 'reflect-metadata';
import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { tap, type Observable } from 'rxjs';
import { MELANGE_CONTEXT_TYPE, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessageBatch, type MessageContext } from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { Item, items } from './batch-harness';

const seen = new Recorder<string>();

@Injectable()
class NoBlockedTenants implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const [messages, contexts] = context.getArgs<[Item[], MessageContext[]]>();
    seen.record(`guard ${context.getType()} ${messages.length}`);
    return contexts.every((message) => message.attributes.tenant !== 'blocked');
  }
}

@Injectable()
class Timing implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    seen.record(`interceptor before ${context.getArgs<[Item[]]>()[0].length}`);
    return next.handle().pipe(tap(() => seen.record('interceptor after')));
  }
}

@Catch()
class SwallowEverything implements ExceptionFilter {
  catch(error: Error): void {
    seen.record(`filter ${error.message}`);
  }
}

@Injectable()
@MessageConsumer('guarded')
@UseGuards(NoBlockedTenants)
@UseInterceptors(Timing)
class GuardedConsumer {
  @OnMessageBatch(Item, { maxSize: 3, maxWaitMs: 1000 })
  handle(batch: Item[]): void {
    seen.record(`handler ${batch.length}`);
  }
}

@Injectable()
@MessageConsumer('filtered')
class FilteredConsumer {
  @OnMessageBatch(Item, { maxSize: 2, maxWaitMs: 1000 })
  @UseFilters(SwallowEverything)
  handle(): void {
    throw new Error('bulk API down');
  }
}

describe('guards, interceptors and filters on a batch handler', () => {
  let app: INestApplication;
  let events: EventLog;
  let publisher: MelangePublisher;

  beforeEach(async () => {
    seen.items.length = 0;
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({ infrastructure: { queues: [{ name: 'guarded', deadLetterQueue: 'guarded-dlq' }, { name: 'filtered' }] } }),
      ],
      providers: [GuardedConsumer, FilteredConsumer],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    events = new EventLog(app.get(MelangeEvents));
    await app.init();
    publisher = app.get(MelangePublisher);
  });

  afterEach(() => app.close());

  it('run once around the call, with [messages, contexts] as the arguments of a "melange" context', async () => {
    const ids = await Promise.all(items(3).map(async (item) => (await publisher.publish(item, { queue: 'guarded' })).messageId));
    await Promise.all(ids.map((id) => events.waitFor('handled', id)));

    expect(seen.items).toEqual([`guard ${MELANGE_CONTEXT_TYPE} 3`, 'interceptor before 3', 'handler 3', 'interceptor after']);
  });

  it('a guard that refuses the batch dead-letters every message of it (403: a retry would meet the same verdict)', async () => {
    const ids = await Promise.all(
      items(3).map(async (item) => (await publisher.publish(item, { queue: 'guarded' }, { attributes: { tenant: item.id === 1 ? 'blocked' : 'ok' } })).messageId),
    );
    const dead = await Promise.all(ids.map((id) => events.waitFor('dead-lettered', id)));

    expect(seen.items).toEqual([`guard ${MELANGE_CONTEXT_TYPE} 3`]);
    expect(dead.every(({ reason }) => reason.includes('Forbidden resource (not retryable)'))).toBe(true);
  });

  it('a filter of the handler that returns settles the whole batch as handled', async () => {
    const ids = await Promise.all(items(2).map(async (item) => (await publisher.publish(item, { queue: 'filtered' })).messageId));
    await Promise.all(ids.map((id) => events.waitFor('handled', id)));

    expect(seen.items).toEqual(['filter bulk API down']);
    expect(events.of('retried')).toEqual([]);
  });
});

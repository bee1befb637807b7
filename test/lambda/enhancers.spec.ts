import 'reflect-metadata';
import {
  Injectable,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { InMemoryIdempotencyStore, Message, MelangeEvents, MelangePublisher, MessageConsumer, MessageContext, OnMessage, Payload } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { EventLog } from '../support/recorder';
import { failedIds, lambdaContext, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { receivePlain, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-enhanced');
const DLQ = `${QUEUE}-dlq`;
const calls: string[] = [];

@Message('lambda-spec.greeting')
class Greeting {
  text!: string;
}

@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const [, message] = context.getArgs<[Greeting, MessageContext]>();
    calls.push(`guard(${context.getType()})`);
    return message.attributes.tenant !== 'blocked';
  }
}

@Injectable()
class LoggingInterceptor implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler): Observable<unknown> {
    calls.push('interceptor:before');
    return next.handle().pipe(tap(() => calls.push('interceptor:after')));
  }
}

class ShoutPipe implements PipeTransform<Greeting, Greeting> {
  transform(value: Greeting): Greeting {
    calls.push('pipe');
    return Object.assign(new Greeting(), { text: value.text.toUpperCase() });
  }
}

@Injectable()
@MessageConsumer(QUEUE)
class GreetingsConsumer {
  @OnMessage(Greeting)
  @UseGuards(TenantGuard)
  @UseInterceptors(LoggingInterceptor)
  greet(@Payload(ShoutPipe) greeting: Greeting, @MessageContext() context: MessageContext): void {
    calls.push(`handler: ${greeting.text} for ${context.attributes.tenant}`);
  }
}

const AppModule = lambdaAppModule(
  {
    infrastructure: { queues: [{ name: QUEUE, deadLetterQueue: DLQ }, { name: DLQ }] },
    consumers: { idempotency: { store: new InMemoryIdempotencyStore() } },
  },
  [GreetingsConsumer, TenantGuard],
);

describe("the application's enhancers and the dispatcher's layers, under Lambda", () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it('run guards, interceptors and pipes around the handler, and a guard that refuses dead-letters the record', async () => {
    const app = await handler.ready();
    const events = new EventLog(app.get(MelangeEvents));
    await app.get(MelangePublisher).publish(Object.assign(new Greeting(), { text: 'hello' }), { queue: QUEUE }, { attributes: { tenant: 'acme' } });
    const event = await receiveSqsEvent(sqs, QUEUE, 1);

    const response = await handler(event, lambdaContext());
    await settleLikeLambda(sqs, QUEUE, event, response);

    expect(failedIds(response)).toEqual([]);
    expect(calls).toEqual(['guard(melange)', 'interceptor:before', 'pipe', 'handler: HELLO for acme', 'interceptor:after']);
    expect(events.of('handled').map((handled) => handled.queue)).toEqual([QUEUE]);

    calls.length = 0;
    await app.get(MelangePublisher).publish(Object.assign(new Greeting(), { text: 'psst' }), { queue: QUEUE }, { attributes: { tenant: 'blocked' } });
    const refused = await receiveSqsEvent(sqs, QUEUE, 1);
    expect(failedIds(await handler(refused, lambdaContext()))).toEqual([]);
    expect(calls).toEqual(['guard(melange)']);
    const [copy] = await receivePlain(sqs, DLQ, 1);
    expect(copy?.MessageAttributes?.melange_dead_letter_reason?.StringValue).toMatch(/Forbidden resource \(not retryable\)/);
  });

  it('run a record delivered twice once, through the idempotency store', async () => {
    const app = await handler.ready();
    calls.length = 0;
    await app.get(MelangePublisher).publish(Object.assign(new Greeting(), { text: 'again' }), { queue: QUEUE }, { attributes: { tenant: 'acme' } });
    const event = await receiveSqsEvent(sqs, QUEUE, 1);

    // The same record twice, as after an invocation that timed out after handling it.
    expect(failedIds(await handler(event, lambdaContext()))).toEqual([]);
    expect(failedIds(await handler(event, lambdaContext()))).toEqual([]);

    expect(calls.filter((call) => call.startsWith('handler'))).toEqual(['handler: AGAIN for acme']);
  });
});

import 'reflect-metadata';
import {
  Injectable,
  Scope,
  type ArgumentMetadata,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { Recorder } from '../support/recorder';

/*
 * A handler without decorators of its own is called directly when nothing else applies to it. Any
 * app-wide guard, interceptor or pipe, given either way Nest allows, must still reach it: each
 * case sets up exactly one, so a case fails if that one kind is overlooked.
 */

class Ping {
  constructor(readonly n: number) {}
}

/** What the enhancer saw. */
@Injectable()
class Sightings {
  readonly seen = new Recorder<string>();
  /** Instances of the request-scoped guard. */
  readonly guards = new Set<object>();
}

@Injectable()
@MessageConsumer('pings')
class PingConsumer {
  readonly handled = new Recorder<Ping>();

  @OnMessage()
  ping(message: Ping): void {
    this.handled.record(message);
  }
}

@Injectable()
class RecordingGuard implements CanActivate {
  constructor(private readonly sightings: Sightings) {}
  canActivate(context: ExecutionContext): boolean {
    this.sightings.seen.record(`guard:${context.getType()}`);
    return true;
  }
}

@Injectable()
class RecordingInterceptor implements NestInterceptor {
  constructor(private readonly sightings: Sightings) {}
  intercept(context: ExecutionContext, next: { handle: () => Observable<unknown> }): Observable<unknown> {
    this.sightings.seen.record(`interceptor:${context.getType()}`);
    return next.handle();
  }
}

@Injectable()
class RecordingPipe implements PipeTransform {
  constructor(private readonly sightings: Sightings) {}
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (value instanceof Ping) this.sightings.seen.record(`pipe:${metadata.type}`);
    return value;
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedGuard implements CanActivate {
  constructor(private readonly sightings: Sightings) {}
  canActivate(context: ExecutionContext): boolean {
    this.sightings.guards.add(this);
    this.sightings.seen.record(`guard:${context.getType()}`);
    return true;
  }
}

@Injectable({ scope: Scope.REQUEST })
@MessageConsumer('scoped-pings')
class RequestScopedConsumer {
  constructor(private readonly sightings: Sightings) {}
  @OnMessage()
  ping(message: Ping, context: MessageContext): void {
    this.sightings.seen.record(`handled:${message.n}:${context.queue}`);
  }
}

/** Declared a singleton: stays one; the request-scoped guard does not reach it. */
@Injectable()
@MessageConsumer('scoped-pings')
class SingletonConsumer {
  constructor(private readonly sightings: Sightings) {}
  @OnMessage()
  ping(message: Ping, context: MessageContext): void {
    this.sightings.seen.record(`handled:${message.n}:${context.queue}`);
  }
}

type Setup = { providers?: Provider[]; configure?: (app: INestApplication, sightings: Sightings) => void };

const cases: Array<[string, Setup, string]> = [
  ['useGlobalGuards', { configure: (app, sightings) => app.useGlobalGuards(new RecordingGuard(sightings)) }, 'guard:melange'],
  ['useGlobalInterceptors', { configure: (app, sightings) => app.useGlobalInterceptors(new RecordingInterceptor(sightings)) }, 'interceptor:melange'],
  ['useGlobalPipes', { configure: (app, sightings) => app.useGlobalPipes(new RecordingPipe(sightings)) }, 'pipe:custom'],
  ['APP_GUARD', { providers: [{ provide: APP_GUARD, useClass: RecordingGuard }] }, 'guard:melange'],
  ['APP_INTERCEPTOR', { providers: [{ provide: APP_INTERCEPTOR, useClass: RecordingInterceptor }] }, 'interceptor:melange'],
  ['APP_PIPE', { providers: [{ provide: APP_PIPE, useClass: RecordingPipe }] }, 'pipe:custom'],
];

describe('app-wide enhancers and handlers without decorators', () => {
  it.each(cases)('%s reaches the handler', async (_how, setup, expected) => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      providers: [PingConsumer, Sightings, ...(setup.providers ?? [])],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const sightings = app.get(Sightings);
    setup.configure?.(app, sightings);
    await app.init();
    try {
      await app.get(MelangePublisher).publish(new Ping(1), { queue: 'pings' });
      expect(await app.get(PingConsumer).handled.waitFor(1)).toEqual([new Ping(1)]);
      expect(sightings.seen.items).toEqual([expected]);
    } finally {
      await app.close();
    }
  });

  it('a request-scoped APP_GUARD reaches a request-scoped consumer, built for each message', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      providers: [RequestScopedConsumer, Sightings, { provide: APP_GUARD, useClass: RequestScopedGuard }],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await app.get(MelangePublisher).publish(new Ping(3), { queue: 'scoped-pings' });
      await app.get(MelangePublisher).publish(new Ping(4), { queue: 'scoped-pings' });
      // The two messages may be handled side by side: order aside, a guard ran for each.
      expect([...(await app.get(Sightings).seen.waitFor(4))].sort()).toEqual(['guard:melange', 'guard:melange', 'handled:3:scoped-pings', 'handled:4:scoped-pings']);
      expect(app.get(Sightings).guards.size).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('a singleton consumer stays a singleton beside a request-scoped APP_GUARD, and the log says the guard skips it', async () => {
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      providers: [SingletonConsumer, Sightings, { provide: APP_GUARD, useClass: RequestScopedGuard }],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    try {
      await app.get(MelangePublisher).publish(new Ping(5), { queue: 'scoped-pings' });
      expect(await app.get(Sightings).seen.waitFor(1)).toEqual(['handled:5:scoped-pings']);
      expect(app.get(SingletonConsumer)).toBeInstanceOf(SingletonConsumer);
      expect(logger.messages('warn').join('\n')).toMatch(/SingletonConsumer\.ping is a singleton, so the app's request-scoped guards, interceptors and pipes do not run on it/);
    } finally {
      await app.close();
    }
  });

  it('an undecorated handler in an app without enhancers still gets (message, context)', async () => {
    @Injectable()
    @MessageConsumer('plain')
    class PlainConsumer {
      readonly seen = new Recorder<{ n: number; queue: string }>();
      @OnMessage()
      ping(message: Ping, context: { queue: string }): void {
        this.seen.record({ n: message.n, queue: context.queue });
      }
    }
    const moduleRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot({})], providers: [PlainConsumer] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await app.get(MelangePublisher).publish(new Ping(2), { queue: 'plain' });
      expect(await app.get(PlainConsumer).seen.waitFor(1)).toEqual([{ n: 2, queue: 'plain' }]);
    } finally {
      await app.close();
    }
  });
});

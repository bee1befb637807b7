import 'reflect-metadata';
import { Controller, Get, Injectable, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tap } from 'rxjs';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { Recorder } from '../support/recorder';

/** An API-key guard for HTTP that steps aside for message handlers, as the README shows. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    return context.switchToHttp().getRequest<Request>().headers['x-api-key'] === 'secret';
  }
}

@Injectable()
class HttpLoggingInterceptor {
  intercept(context: ExecutionContext, next: { handle: () => import('rxjs').Observable<unknown> }) {
    // Reads the HTTP request only where there is one.
    const path = context.getType() === 'http' ? context.switchToHttp().getRequest<Request>().path : undefined;
    return next.handle().pipe(tap(() => path));
  }
}

interface Request {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly path: string;
}

class Ping {
  constructor(readonly n: number) {}
}

@Injectable()
@MessageConsumer('pings')
class PingConsumer {
  readonly seen = new Recorder<number>();

  @OnMessage()
  ping(message: Ping): void {
    this.seen.record(message.n);
  }
}

@Controller('ping')
class PingController {
  constructor(private readonly publisher: MelangePublisher) {}

  @Get()
  async ping(): Promise<string> {
    await this.publisher.publish(new Ping(1), { queue: 'pings' });
    return 'sent';
  }
}

function get(port: number, apiKey?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', headers: apiKey ? { 'x-api-key': apiKey } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a global HTTP guard and interceptor in an app with message handlers', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      controllers: [PingController],
      providers: [PingConsumer, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: APP_INTERCEPTOR, useClass: HttpLoggingInterceptor }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  it('guards HTTP requests but does not block message handlers', async () => {
    const { port } = app.getHttpServer().address() as AddressInfo;

    expect(await get(port)).toBe(403);
    expect(await get(port, 'secret')).toBe(200);
    expect(await app.get(PingConsumer).seen.waitFor(1)).toEqual([1]);
  });
});

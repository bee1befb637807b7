/*
 * The compat app, copied by run.sh into each app (Nest 11 CommonJS, Nest 12 ESM) and compiled there
 * against the packed nestjs-melange tarball: boots against the local SQS server,
 * publishes one message and checks its handler received a real class instance with a Date.
 * Run by test/compat/run.sh; exits 0 on success, 1 on any failure.
 */
import 'reflect-metadata';
import { basename } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Type } from 'class-transformer';
import {
  MelangeModule,
  MelangePublisher,
  Message,
  MessageConsumer,
  OnMessage,
  SqsBackend,
} from 'nestjs-melange';
import { startLocalSqsServer, type LocalSqsServer } from 'nestjs-melange/testing';

// run.sh starts it in the app's folder, whose name says which app it is.
const APP = basename(process.cwd());
const QUEUE = 'compat';
const HANDLER_TIMEOUT_MS = 30_000;

@Message('compat.ping')
class Ping {
  @Type(() => Date)
  sentAt!: Date;

  constructor(sentAt: Date) {
    this.sentAt = sentAt;
  }
}

let received: (message: unknown) => void = () => undefined;
const handled = new Promise<unknown>((resolve) => {
  received = resolve;
});

@Injectable()
@MessageConsumer(QUEUE)
class PingConsumer {
  @OnMessage()
  ping(message: Ping): void {
    received(message);
  }
}

function createAppModule(endpoint: string) {
  @Module({
    imports: [
      MelangeModule.forRoot({
        backends: {
          default: new SqsBackend({
            region: 'us-east-1',
            endpoint,
            credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
            waitTimeSeconds: 1,
          }),
        },
        infrastructure: { queues: [{ name: QUEUE }] },
      }),
    ],
    providers: [PingConsumer],
  })
  class AppModule {}
  return AppModule;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  let server: LocalSqsServer | undefined;
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    server = await startLocalSqsServer();
    app = await NestFactory.createApplicationContext(createAppModule(server.endpoint), {
      logger: ['error', 'warn'],
    });

    const sentAt = new Date('2025-01-02T03:04:05.678Z');
    await app.get(MelangePublisher).publish(new Ping(sentAt), { queue: QUEUE });
    const message = await withTimeout(handled, HANDLER_TIMEOUT_MS, 'handling of compat.ping');

    if (!(message instanceof Ping)) {
      throw new Error(`the handler got ${describe(message)}, not a Ping instance`);
    }
    if (!(message.sentAt instanceof Date)) {
      throw new Error(`Ping.sentAt is ${describe(message.sentAt)}, not a Date`);
    }
    if (message.sentAt.getTime() !== sentAt.getTime()) {
      throw new Error(`Ping.sentAt is ${message.sentAt.toISOString()}, expected ${sentAt.toISOString()}`);
    }
    console.log(`${APP}: handled compat.ping as ${message.constructor.name} with Date ✓`);
  } finally {
    try {
      await app?.close();
    } finally {
      await server?.stop();
    }
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return `${typeof value} ${JSON.stringify(value)}`;
  return `an instance of ${value.constructor?.name ?? 'Object'} ${JSON.stringify(value)}`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`${APP}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);

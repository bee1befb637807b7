import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';

export interface RunningSample {
  readonly app: INestApplication;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3000. */
  readonly url: string;
}

export interface SampleAppOptions {
  /** 0 for a free port. Default 3000. */
  readonly port?: number;
  readonly logger?: NestApplicationOptions['logger'];
}

/**
 * Creates the application and listens on 127.0.0.1. Listening initialises the app: MelangeModule
 * declares the queues, topics and subscriptions, then starts the consumers. `app.close()` drains
 * them. The SQS endpoint comes from configuration (MELANGE_SQS_ENDPOINT).
 */
export async function startSampleApp(options: SampleAppOptions = {}): Promise<RunningSample> {
  // abortOnError false: a startup error is thrown to the caller instead of ending the process.
  const app = await NestFactory.create(AppModule, { logger: options.logger, abortOnError: false });
  try {
    // Loopback only: the API has no authentication, and neither has the embedded SQS server.
    await app.listen(options.port ?? 3000, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

import 'reflect-metadata';
import { Module, type Provider, type Type } from '@nestjs/common';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MelangeModule, SqsBackend, type MelangeModuleOptions, type SqsBackendOptions } from '../../lib';
import {
  createLambdaHandler,
  type LambdaAppModule,
  type LambdaHandlerOptions,
  type LambdaInvocationContext,
  type MelangeLambdaEvent,
  type MelangeLambdaHandler,
} from '../../lib/lambda';
import { CapturingLogger } from './capturing-logger';
import { localSqsClientOptions } from './lambda-events';
import { CREDENTIALS, plainSqs, REGION, silentLogger, sqsEndpoint } from './sqs';

/**
 * The application a Lambda spec hands to createLambdaHandler: its options and providers on an SQS
 * backend of the local server. `backend` is for specs whose backend needs more (payload offloading).
 */
export function lambdaAppModule(options: Omit<MelangeModuleOptions, 'backends'>, providers: Provider[], backend: SqsBackendOptions = {}): Type<unknown> {
  @Module({
    imports: [
      MelangeModule.forRoot({
        ...options,
        backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, logger: silentLogger, ...backend }) },
      }),
    ],
    providers,
  })
  class AppModule {}
  return AppModule;
}

export interface LambdaSuite {
  /** Usable from the suite's tests and hooks only: it forwards to the handler made in beforeAll. */
  readonly handler: MelangeLambdaHandler;
  /** A plain SDK client of the local server, to send and receive what the handler does not. */
  readonly sqs: SQSClient;
}

/**
 * Call inside a describe: one handler for all its tests, made in beforeAll (so its bootstrap starts
 * when the suite runs, not when Jest collects it) and closed in afterAll. `overrides` replace the
 * defaults, e.g. a logger the spec asserts on.
 */
export function setupLambdaHandler(module: LambdaAppModule, overrides: LambdaHandlerOptions = {}): LambdaSuite {
  const sqs = plainSqs();
  let made: MelangeLambdaHandler | undefined;

  beforeAll(() => {
    made = createLambdaHandler(module, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger(), ...overrides });
  });

  afterAll(async () => {
    await made?.close();
    sqs.destroy();
  });

  const current = (): MelangeLambdaHandler => {
    if (!made) throw new Error('the Lambda handler is made in beforeAll: use it inside a test or a later hook');
    return made;
  };
  // A stand-in rather than a getter, so that specs destructure `handler` and call it as Lambda would.
  const handler: MelangeLambdaHandler = Object.assign((event: MelangeLambdaEvent, context: LambdaInvocationContext) => current()(event, context), {
    ready: () => current().ready(),
    close: () => current().close(),
  });
  return { handler, sqs };
}

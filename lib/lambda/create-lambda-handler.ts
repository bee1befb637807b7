import type { INestApplicationContext } from '@nestjs/common';
import type { LambdaBatchResponse, LambdaInvocationContext, MelangeLambdaEvent } from './lambda-events';
import { resolveLambdaOptions, type LambdaHandlerOptions } from './lambda-handler.options';
import { LambdaHost, type LambdaAppModule } from './lambda-host';

/** A Lambda handler for SQS and SNS events, over the application's `@MessageConsumer` handlers. */
export interface MelangeLambdaHandler {
  /**
   * SQS events: the partial-batch response (`ReportBatchItemFailures`) naming the records to be
   * delivered again. SNS events: an empty one, or a rejection when the record was not handled, so
   * that Lambda retries it.
   */
  (event: MelangeLambdaEvent, context: LambdaInvocationContext): Promise<LambdaBatchResponse>;
  /**
   * The application context, bootstrapped if it was not yet. With ES modules, `await
   * handler.ready()` at the top level finishes the bootstrap inside Lambda's init phase (what
   * provisioned concurrency and SnapStart keep).
   */
  ready(): Promise<INestApplicationContext>;
  /** Closes the application context: for tests and scripts. Lambda never needs it between invocations. */
  close(): Promise<void>;
}

/**
 * `export const handler = createLambdaHandler(AppModule)`: the same `@OnMessage` handlers, with the
 * same guards, interceptors, pipes, filters, idempotency, retry policy and tracing, as the
 * long-running consumers, fed by Lambda's SQS or SNS trigger instead of a poller. The module is
 * used as it is: consumers are not started, whatever its options say.
 */
export function createLambdaHandler(module: LambdaAppModule, options: LambdaHandlerOptions = {}): MelangeLambdaHandler {
  const settings = resolveLambdaOptions(options);
  const host = new LambdaHost(module, settings);
  if (settings.bootstrap === 'init') void host.start().catch(() => undefined);
  const handler = async (event: MelangeLambdaEvent, context: LambdaInvocationContext): Promise<LambdaBatchResponse> => {
    const { runtime } = await host.start();
    return runtime.handle(event, context);
  };
  return Object.assign(handler, {
    ready: async () => (await host.start()).app,
    close: () => host.close(),
  });
}

import type { LoggerService, LogLevel } from '@nestjs/common';
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { LambdaConfigurationError } from '../errors';

/** The SQS client that changes visibilities and writes dead-letter copies. */
export interface LambdaSqsClientOptions {
  /** A client of your own (never destroyed by the handler); the options below are then ignored. */
  readonly client?: SQSClient;
  /** Default: the SDK's chain (`AWS_REGION`, which Lambda sets). */
  readonly region?: string;
  /** Another server that speaks the SQS API (LocalStack, a local server in tests). */
  readonly endpoint?: string;
  /** Default: the SDK's chain (the function's role). */
  readonly credentials?: SQSClientConfig['credentials'];
}

export interface LambdaHandlerOptions {
  /**
   * When the Nest application context is created. `'init'` (default): as soon as the handler is
   * made, during Lambda's init phase, so the first event waits for less of it; if it fails, the
   * error is logged and the first invocation bootstraps again. `'first-invocation'`: inside the
   * first invocation. Either way a failed bootstrap fails the invocation waiting for it, and the
   * next invocation tries again.
   */
  readonly bootstrap?: 'init' | 'first-invocation';
  /**
   * Records not started while more than this many milliseconds of the invocation remain are
   * reported as failed (and handed back to the queue) instead of being cut off by Lambda's timeout,
   * which would fail the whole batch. It has to cover a record started just before it: its handler
   * and the SQS request settling it. Default 2000: a visibility change or a dead-letter send takes
   * tens of milliseconds, and up to about a second when the SDK retries a throttled request; make
   * it your slowest handler's duration plus one second if handlers take longer.
   */
  readonly safetyMarginMs?: number;
  /** Declare MelangeModule's `infrastructure` at cold start. Default false: deploy it with the function. */
  readonly declareInfrastructure?: boolean;
  readonly sqs?: LambdaSqsClientOptions;
  /** The backend whose `@MessageConsumer`s take the records, when a queue name is consumed on several. */
  readonly backend?: string;
  /**
   * SNS events: the `@MessageConsumer` queue whose handlers take each topic's messages, by topic
   * name. Without an entry, the consumer of a queue named like the topic, else the application's
   * only queue.
   */
  readonly snsTopics?: Readonly<Record<string, string>>;
  /** The Nest application's logger, as for `NestFactory.createApplicationContext`. Default Nest's. */
  readonly logger?: LoggerService | LogLevel[] | false;
}

export interface ResolvedLambdaOptions {
  readonly bootstrap: 'init' | 'first-invocation';
  readonly safetyMarginMs: number;
  readonly declareInfrastructure: boolean;
  readonly sqs: LambdaSqsClientOptions;
  readonly backend?: string;
  readonly snsTopics: Readonly<Record<string, string>>;
  readonly logger?: LoggerService | LogLevel[] | false;
}

export const DEFAULT_SAFETY_MARGIN_MS = 2000;

/** Checked when the handler is made, so a mistake fails the function's init, not its first batch. */
export function resolveLambdaOptions(options: LambdaHandlerOptions): ResolvedLambdaOptions {
  const bootstrap = options.bootstrap ?? 'init';
  if (bootstrap !== 'init' && bootstrap !== 'first-invocation') {
    throw new LambdaConfigurationError(`createLambdaHandler's bootstrap option is "${String(bootstrap)}"; give 'init' or 'first-invocation'.`);
  }
  const safetyMarginMs = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  if (typeof safetyMarginMs !== 'number' || !Number.isInteger(safetyMarginMs) || safetyMarginMs < 0) {
    throw new LambdaConfigurationError(
      `createLambdaHandler's safetyMarginMs is ${typeof safetyMarginMs === 'string' ? `the string "${safetyMarginMs}"` : String(safetyMarginMs)}; ` +
        `give a whole number of milliseconds, 0 or more (default ${DEFAULT_SAFETY_MARGIN_MS}).`,
    );
  }
  for (const [topic, queue] of Object.entries(options.snsTopics ?? {})) {
    if (typeof queue !== 'string' || queue === '') {
      throw new LambdaConfigurationError(`createLambdaHandler's snsTopics maps topic "${topic}" to ${JSON.stringify(queue)}; give the name of a @MessageConsumer queue.`);
    }
  }
  return {
    bootstrap,
    safetyMarginMs,
    declareInfrastructure: options.declareInfrastructure ?? false,
    sqs: options.sqs ?? {},
    backend: options.backend,
    snsTopics: options.snsTopics ?? {},
    logger: options.logger,
  };
}

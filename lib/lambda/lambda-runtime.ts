import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import type { Delivery } from '../backends/messaging-backend';
import { SqsBackend } from '../backends/sqs/sqs-backend';
import { queueNameOf } from '../backends/sqs/sqs-directory';
import { ConsumerOrchestrator } from '../consuming/consumer-orchestrator';
import type { DispatchTable } from '../consuming/dispatch-table';
import { MessageDispatcher } from '../consuming/message-dispatcher';
import { LambdaConfigurationError, UnhandledLambdaSourceError, describeThrown } from '../errors';
import { logSafe } from '../log-safe';
import { classifyEvent } from './event-classifier';
import type { LambdaBatchResponse, LambdaInvocationContext } from './lambda-events';
import type { ResolvedLambdaOptions } from './lambda-handler.options';
import type { QueueArn } from './lambda-records';
import { QueueDirectory } from './queue-directory';
import { RecordSettlement } from './record-settlement';
import { runSnsRecords } from './sns-invocation';
import { runSqsRecords, type PayloadReader } from './sqs-invocation';

/** Lambda's own client timeouts are short: a request that hangs would hold the whole batch to the function's timeout. */
const CONNECT_TIMEOUT_MS = 3_000;
const SOCKET_TIMEOUT_MS = 5_000;

/**
 * The application's dispatcher and dispatch tables, ready for events: one per execution
 * environment, made once the Nest application context exists.
 */
export class LambdaRuntime {
  private readonly logger = new Logger('MelangeLambda');
  private readonly sqs: SQSClient;
  private readonly ownsClient: boolean;
  private readonly settlement: RecordSettlement;

  private constructor(
    private readonly tables: readonly DispatchTable[],
    private readonly dispatcher: MessageDispatcher,
    private readonly backends: BackendRegistry,
    private readonly options: ResolvedLambdaOptions,
  ) {
    const { client, region, endpoint, credentials } = options.sqs;
    this.ownsClient = client === undefined;
    this.sqs = client ?? new SQSClient({ region, endpoint, credentials, requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS } });
    this.settlement = new RecordSettlement(this.sqs, new QueueDirectory(this.sqs), this.logger);
  }

  static of(app: INestApplicationContext, options: ResolvedLambdaOptions): LambdaRuntime {
    let orchestrator: ConsumerOrchestrator;
    try {
      orchestrator = app.get(ConsumerOrchestrator, { strict: false });
    } catch (error) {
      throw new LambdaConfigurationError(
        `The module given to createLambdaHandler does not import MelangeModule (${describeThrown(error)}); import ` +
          `MelangeModule.forRoot or forRootAsync in it, with the @MessageConsumer providers the function runs.`,
      );
    }
    const backends = app.get(BackendRegistry, { strict: false });
    if (options.backend !== undefined) backends.get(options.backend, `createLambdaHandler's backend option`);
    return new LambdaRuntime(orchestrator.dispatchTables(), app.get(MessageDispatcher, { strict: false }), backends, options);
  }

  async handle(event: unknown, context: LambdaInvocationContext): Promise<LambdaBatchResponse> {
    const classified = classifyEvent(event);
    const dispatch = this.dispatchAll(classified.source === 'none' ? 0 : classified.records.length);
    if (classified.source === 'sqs') {
      const deps = {
        tableFor: this.queueTable,
        dispatch,
        readPayload: this.readPayload,
        settlement: this.settlement,
        logger: this.logger,
        safetyMarginMs: this.options.safetyMarginMs,
      };
      return runSqsRecords(deps, classified.records, context);
    }
    if (classified.source === 'sns') {
      await runSnsRecords({ tableFor: this.topicTable, dispatch, readPayload: this.readPayload, logger: this.logger }, classified.records);
    }
    return { batchItemFailures: [] };
  }

  /**
   * Dispatches an invocation's records; once the last of them reached the dispatcher, batch
   * handlers run what they gathered rather than wait out `maxWaitMs` for records that cannot
   * come (nothing else feeds the dispatcher in Lambda). setImmediate: after the microtasks that
   * carry the last record into its batch. Records that never reach it (no table, unreadable
   * payload, the deadline) leave the wait to `maxWaitMs`.
   */
  private dispatchAll(records: number): (table: DispatchTable, delivery: Delivery) => Promise<void> {
    let dispatched = 0;
    return (table, delivery) => {
      const done = this.dispatcher.dispatch(table, delivery);
      if (++dispatched === records) setImmediate(() => this.dispatcher.flushBatches());
      return done;
    };
  }

  close(): void {
    if (this.ownsClient) this.sqs.destroy();
  }

  /** Offloaded payloads are read with the S3 settings of the backend whose consumer takes the record. */
  private readonly readPayload: PayloadReader = async (table, decoded, stop) => {
    if (decoded.pointer === undefined) return decoded;
    const backend = this.backends.get(table.backend, `Queue "${table.queue}"`);
    // Another backend cannot read it: the pointer stays undecodable, and its reason says why.
    if (!(backend instanceof SqsBackend)) return decoded;
    const read = await backend.readOffloadedPayload(table.queue, decoded, decoded.pointer, stop);
    return read.status === 'ready' ? read.decoded : undefined;
  };

  private readonly queueTable = (queue: QueueArn, records: number): DispatchTable | string => {
    const matches = this.tables.filter((table) => queueNameOf(table.queue) === queue.name && this.onChosenBackend(table));
    if (matches.length === 1) return matches[0] as DispatchTable;
    if (matches.length > 1) return this.ambiguous(`queue "${queue.name}"`, matches);
    return new UnhandledLambdaSourceError(
      `queue "${logSafe(queue.name)}"`,
      records,
      this.handledQueues(),
      `They are reported as failed, and come back until a consumer handles the queue or SQS's redrive moves them. ` +
        `Check the function's event source mapping, or add a @MessageConsumer('${logSafe(queue.name)}') to the module given to createLambdaHandler.`,
    ).message;
  };

  private readonly topicTable = (topic: string, records: number): DispatchTable | string => {
    const queue = this.options.snsTopics[topic];
    const candidates = this.tables.filter((table) => this.onChosenBackend(table));
    let matches = candidates.filter((table) => queueNameOf(table.queue) === (queue ?? topic));
    if (matches.length === 0 && queue === undefined && candidates.length === 1) matches = candidates;
    if (matches.length === 1) return matches[0] as DispatchTable;
    if (matches.length > 1) return this.ambiguous(`queue "${queue}"`, matches);
    return new UnhandledLambdaSourceError(
      `topic "${logSafe(topic)}"`,
      records,
      this.handledQueues(),
      queue !== undefined
        ? `createLambdaHandler's snsTopics sends it to queue "${queue}", which no consumer handles.`
        : `Name the @MessageConsumer queue whose handlers take it: createLambdaHandler(AppModule, { snsTopics: { '${logSafe(topic)}': '<queue>' } }).`,
    ).message;
  };

  private onChosenBackend(table: DispatchTable): boolean {
    return this.options.backend === undefined || table.backend === this.options.backend;
  }

  private ambiguous(what: string, tables: readonly DispatchTable[]): string {
    return (
      `${what} is consumed on backends ${tables.map((table) => `"${table.backend}"`).join(' and ')}; set createLambdaHandler's ` +
      `backend option to the one whose handlers take its records. Its records are reported as failed.`
    );
  }

  private handledQueues(): string[] {
    return this.tables.filter((table) => this.onChosenBackend(table)).map((table) => table.queue);
  }
}

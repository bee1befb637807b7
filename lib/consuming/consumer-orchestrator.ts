import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import type { ConsumerHandle } from '../backends/messaging-backend';
import { MelangeInfrastructure } from '../melange-infrastructure';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import type { DispatchTable } from './dispatch-table';
import { MessageDispatcher } from './message-dispatcher';
import { MessageHandlerExplorer } from './message-handler.explorer';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Ties consumers to the application's lifecycle: handlers are found when modules initialise (so a
 * wiring mistake fails `app.init()`), consumers start once the application is bootstrapped, and on
 * shutdown they drain before the backends close.
 */
@Injectable()
export class ConsumerOrchestrator implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Melange');
  private tables: DispatchTable[] = [];
  private running: { table: DispatchTable; handle: ConsumerHandle }[] = [];

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) private readonly options: MelangeModuleOptions,
    private readonly explorer: MessageHandlerExplorer,
    private readonly dispatcher: MessageDispatcher,
    private readonly backends: BackendRegistry,
    private readonly infrastructure: MelangeInfrastructure,
  ) {}

  onModuleInit(): void {
    this.tables = this.explorer.explore();
    this.warnAboutEarlyRedrive();
  }

  /**
   * The broker's redrive moves a message after `maxReceiveCount` receives, without the reason the
   * dispatcher would attach; retries beyond that number never happen.
   */
  private warnAboutEarlyRedrive(): void {
    for (const table of this.tables) {
      const spec = this.options.infrastructure?.queues?.find(
        (queue) => queue.name === table.queue && (queue.backend ?? this.backends.defaultName) === table.backend,
      );
      if (!spec?.deadLetterQueue || spec.maxReceiveCount === undefined || table.mostAttempts() <= spec.maxReceiveCount) continue;
      this.logger.warn(
        `Queue "${table.queue}" moves messages to its dead-letter queue after ${spec.maxReceiveCount} receives (maxReceiveCount), ` +
          `but a handler on it allows ${table.mostAttempts()} attempts (retry.maxAttempts): the last attempts never happen, and ` +
          `the broker's redrive attaches no reason. Make maxReceiveCount at least maxAttempts.`,
      );
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoCreate ?? true) await this.infrastructure.declare();
    if (!(this.options.startConsumers ?? true)) return;
    for (const table of this.tables) {
      const backend = this.backends.get(table.backend, `Queue "${table.queue}"`);
      const handle = backend.consume(table.queue, (delivery) => this.dispatcher.dispatch(table, delivery), {
        concurrency: table.concurrency,
      });
      this.running.push({ table, handle });
      this.logger.log(`Consuming "${table.queue}" (${table.manifests().join(', ')}), concurrency ${table.concurrency}`);
    }
  }

  /** The consumers started at bootstrap, with their queue and backend, for health checks. */
  consumers(): { queue: string; backend: string; handle: ConsumerHandle }[] {
    return this.running.map(({ table, handle }) => ({ queue: table.queue, backend: table.backend, handle }));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = this.running;
    this.running = [];
    if (running.length === 0) return;
    const timeoutMs = this.options.consumers?.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const drained = Promise.all(running.map(({ handle }) => handle.stop())).then(() => 'drained' as const);
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        `Handlers still running after ${timeoutMs} ms of shutdown on ${running.map(({ table }) => `"${table.queue}"`).join(', ')}; ` +
          `closing anyway. Messages they do not settle before the process ends are delivered again after their visibility timeout.`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.backends.all().map((backend) => backend.close()));
  }
}

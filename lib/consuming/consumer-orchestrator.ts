import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { BackendRegistry } from '../backends/backend-registry';
import { DuplicateMelangeModuleError } from '../errors';
import { MelangeInfrastructure } from '../melange-infrastructure';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { ConsumerRegistry } from './consumer-registry';
import type { DispatchTable } from './dispatch-table';
import { MessageDispatcher } from './message-dispatcher';
import { MessageHandlerExplorer } from './message-handler.explorer';
import { MELANGE_STARTUP_OVERRIDES, type StartupOverrides } from './startup-overrides';

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

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) private readonly options: MelangeModuleOptions,
    private readonly explorer: MessageHandlerExplorer,
    private readonly dispatcher: MessageDispatcher,
    private readonly backends: BackendRegistry,
    private readonly infrastructure: MelangeInfrastructure,
    private readonly registry: ConsumerRegistry,
    private readonly modules: ModulesContainer,
    @Optional() @Inject(MELANGE_STARTUP_OVERRIDES) private readonly overrides: StartupOverrides = {},
  ) {}

  onModuleInit(): void {
    assertOneMelangeModule(this.modules);
    this.tables = this.explorer.explore();
    this.warnAboutEarlyRedrive();
  }

  /** The handlers of each queue, as found at module init; a host that runs them itself (Lambda) dispatches through these. */
  dispatchTables(): readonly DispatchTable[] {
    return this.tables;
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

  /** Starts a consumer per queue; if one cannot start, stops those that did before failing. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.overrides.autoCreate ?? this.options.autoCreate ?? true) await this.infrastructure.declare();
    if (!(this.overrides.startConsumers ?? this.options.startConsumers ?? true)) return;
    try {
      for (const table of this.tables) {
        const backend = this.backends.get(table.backend, `Queue "${table.queue}"`);
        const handle = backend.consume(table.queue, (delivery) => this.dispatcher.dispatch(table, delivery), {
          concurrency: table.concurrency,
        });
        this.registry.add({ backend: table.backend, queue: table.queue, manifests: table.manifests(), concurrency: table.concurrency, handle });
        this.logger.log(`Consuming "${table.queue}" (${table.manifests().join(', ')}), concurrency ${table.concurrency}`);
      }
    } catch (error) {
      await Promise.allSettled(this.registry.takeAll().map(({ handle }) => handle.stop()));
      throw error;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = this.registry.takeAll();
    if (running.length === 0) return;
    const timeoutMs = this.options.consumers?.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const drained = Promise.all(running.map(({ handle }) => handle.stop())).then(() => 'drained' as const);
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'drained') return;
    const busy = running.filter(({ handle }) => handle.status().inFlight > 0);
    this.logger.warn(
      busy.length > 0
        ? `Handlers still running after ${timeoutMs} ms of shutdown on ${busy.map(({ queue, handle }) => `"${queue}" (${handle.status().inFlight})`).join(', ')}; ` +
            `closing anyway. Messages they do not settle before the process ends are delivered again after their visibility timeout.`
        : `Consumers of ${running.map(({ queue }) => `"${queue}"`).join(', ')} had not stopped after ${timeoutMs} ms of shutdown, with no handler ` +
            `running (a receive or a delete was still waiting on the broker); closing anyway.`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.backends.all().map((backend) => backend.close()));
  }
}

/** Each MelangeModule instance explores the whole application: two would start every consumer twice. */
function assertOneMelangeModule(modules: ModulesContainer): void {
  const melange = [...modules.values()].filter((module) => module.providers.has(ConsumerOrchestrator));
  if (melange.length <= 1) return;
  const importers = [...modules.values()]
    .filter((module) => melange.some((instance) => module.imports.has(instance)))
    .map((module) => module.metatype?.name ?? 'an unnamed module');
  throw new DuplicateMelangeModuleError(importers);
}

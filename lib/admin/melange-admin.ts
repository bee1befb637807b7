import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { adminOf, type BackendAdmin, type QueueDetails } from '../backends/backend-admin';
import { BackendRegistry } from '../backends/backend-registry';
import { ConsumerOrchestrator } from '../consuming/consumer-orchestrator';
import { ConsumerRegistry } from '../consuming/consumer-registry';
import { AdminNotSupportedError, InvalidRedriveError, PurgeNotConfirmedError, UnknownQueueError, describeThrown } from '../errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { MelangeEvents } from '../observability/melange-events';
import type {
  DeadLetterMessage,
  DeclarationPlan,
  PeekOptions,
  PurgeOptions,
  QueueConsumerState,
  QueueOverview,
  RedriveOptions,
  RedriveResult,
} from './admin.types';
import { redriveFilter, toDeadLetterMessage } from './dead-letter-messages';
import { MessageRateTracker } from './message-rates';
import { QueueCatalog, type KnownQueue } from './queue-catalog';

const DEFAULT_PEEK = 10;
const DEFAULT_MOVE_VISIBILITY_SECONDS = 30;

/**
 * Operating the application's queues: how deep each is and whether it moves, what sits in a
 * dead-letter queue and why, and sending those messages back once the bug is fixed. Works through
 * each backend's optional admin capability (`SqsBackend` has one).
 */
@Injectable()
export class MelangeAdmin implements OnModuleDestroy {
  private readonly rates = new MessageRateTracker();

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) private readonly options: MelangeModuleOptions,
    private readonly backends: BackendRegistry,
    private readonly consumers: ConsumerRegistry,
    private readonly orchestrator: ConsumerOrchestrator,
    events: MelangeEvents,
  ) {
    // From construction on, so the first messages after bootstrap are counted too.
    this.rates.attach(events);
  }

  onModuleDestroy(): void {
    this.rates.detach();
  }

  /** Every queue the application declares or consumes, their dead-letter queues, counts, consumers and rates. */
  async queues(): Promise<QueueOverview[]> {
    const catalog = this.catalog();
    const details = new Map<KnownQueue, QueueDetails | undefined | Error>();
    const read = async (entry: KnownQueue): Promise<void> => {
      const admin = adminOf(this.backends.get(entry.backend, `Queue "${entry.queue}"`));
      details.set(entry, admin ? await admin.queueDetails(entry.queue).catch((error: unknown) => toFailure(error)) : undefined);
    };
    await Promise.all(catalog.all().map(read));
    // A dead-letter queue configured on the broker only (by Terraform, say) is shown too.
    const found = [...details].flatMap(([entry, detail]) =>
      detail && !(detail instanceof Error) && detail.deadLetterQueue && !catalog.get(entry.backend, detail.deadLetterQueue)
        ? [catalog.addDeadLetter(entry.backend, detail.deadLetterQueue, entry.queue)]
        : [],
    );
    await Promise.all(found.map(read));
    for (const entry of catalog.all()) {
      const detail = details.get(entry);
      if (detail && !(detail instanceof Error) && detail.deadLetterQueue) catalog.get(entry.backend, detail.deadLetterQueue)?.deadLetterFor.add(entry.queue);
    }
    return catalog.all().map((entry) => this.overview(entry, details.get(entry)));
  }

  /**
   * Up to `max` messages of a dead-letter queue (or of the dead-letter queue of the queue named),
   * decoded, left where they are. Each is received and released at once, which adds one to its
   * receive count: on a dead-letter queue that has a redrive policy of its own, peeking often
   * enough would move it on.
   */
  async peekDeadLetters(queue: string, options: PeekOptions = {}): Promise<DeadLetterMessage[]> {
    const max = options.max ?? DEFAULT_PEEK;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`peekDeadLetters("${queue}"): max must be a whole number of at least 1, got ${max}`);
    const { admin } = this.adminFor(queue, options.backend, 'peek at messages');
    const deadLetterQueue = await this.deadLetterQueueOf(admin, queue);
    const messages = await admin.peek(deadLetterQueue, max);
    return messages.map((message) => toDeadLetterMessage(message, options.includePayloads ?? false));
  }

  /**
   * Moves dead-lettered messages back, in this process: each batch is sent, then deleted from the
   * dead-letter queue once the send succeeded. A crash in between loses nothing; the batch in
   * flight reappears after `visibilityTimeoutSeconds` and is sent once more.
   */
  async redrive(queue: string, options: RedriveOptions = {}): Promise<RedriveResult> {
    const { backend, admin } = this.adminFor(queue, options.backend, 'move messages');
    const deadLetterQueue = await this.deadLetterQueueOf(admin, queue);
    checkRedriveOptions(deadLetterQueue, options);
    if (options.to !== undefined) {
      if (options.to === deadLetterQueue) throw new InvalidRedriveError(deadLetterQueue, '"to" names the dead-letter queue itself');
      if ((await admin.queueDetails(options.to)) === undefined) throw new UnknownQueueError(options.to, this.knownNames());
    }
    const fallbackDestination = options.to ?? (await this.onlySourceOf(backend, deadLetterQueue));
    const progress = await admin.move(deadLetterQueue, {
      destinationOf: (message) => options.to ?? message.sourceQueue ?? fallbackDestination,
      filter: redriveFilter(options.filter),
      maxPerSecond: options.maxPerSecond,
      limit: options.limit,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? DEFAULT_MOVE_VISIBILITY_SECONDS,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    return { ...progress, backend, deadLetterQueue, fallbackDestination };
  }

  /** Deletes every message on the queue. `confirm` must name the queue again. */
  async purge(queue: string, options: PurgeOptions): Promise<void> {
    if (options?.confirm !== queue) throw new PurgeNotConfirmedError(queue);
    const { admin } = this.adminFor(queue, options.backend, 'purge queues');
    await admin.purge(queue);
  }

  /** What declaring the `infrastructure` option would create or change on each backend, without changing anything. */
  async planDeclaration(): Promise<DeclarationPlan[]> {
    const { queues = [], topics = [], subscriptions = [] } = this.options.infrastructure ?? {};
    const on = <T extends { readonly backend?: string }>(specs: readonly T[], name: string): T[] =>
      specs.filter((spec) => (spec.backend ?? this.backends.defaultName) === name);
    const plans: DeclarationPlan[] = [];
    for (const name of this.backends.names()) {
      const specs = { queues: on(queues, name), topics: on(topics, name), subscriptions: on(subscriptions, name) };
      if (specs.queues.length + specs.topics.length + specs.subscriptions.length === 0) continue;
      const admin = adminOf(this.backends.get(name, 'The infrastructure option'));
      if (!admin) throw new AdminNotSupportedError(name, 'plan a declaration');
      plans.push({ backend: name, changes: await admin.plan(specs) });
    }
    return plans;
  }

  private catalog(): QueueCatalog {
    return new QueueCatalog(this.options, this.backends.defaultName, this.orchestrator.dispatchTables());
  }

  private knownNames(): string[] {
    return this.catalog().all().map((entry) => entry.queue);
  }

  private adminFor(queue: string, backendName: string | undefined, operation: string): { backend: string; admin: BackendAdmin } {
    const candidates = this.catalog().backendsOf(queue);
    const backend = backendName ?? (candidates.length === 1 ? candidates[0]! : this.backends.defaultName);
    const admin = adminOf(this.backends.get(backend, `Queue "${queue}"`));
    if (!admin) throw new AdminNotSupportedError(backend, operation);
    return { backend, admin };
  }

  /** The queue itself when it is a dead-letter queue; the one its redrive policy names when it has one. */
  private async deadLetterQueueOf(admin: BackendAdmin, queue: string): Promise<string> {
    const details = await admin.queueDetails(queue);
    if (details === undefined) throw new UnknownQueueError(queue, this.knownNames());
    return details.deadLetterQueue ?? queue;
  }

  /** Where a message without `melange_source_queue` goes: the one queue known to dead-letter here, if exactly one. */
  private async onlySourceOf(backend: string, deadLetterQueue: string): Promise<string | undefined> {
    const overview = (await this.queues()).find((entry) => entry.backend === backend && entry.queue === deadLetterQueue);
    const sources = overview?.deadLetterFor ?? [];
    return sources.length === 1 ? sources[0] : undefined;
  }

  private overview(entry: KnownQueue, detail: QueueDetails | undefined | Error): QueueOverview {
    const usable = detail instanceof Error ? undefined : detail;
    const counts = usable ? { visible: usable.visible, inFlight: usable.inFlight, delayed: usable.delayed } : undefined;
    return {
      backend: entry.backend,
      queue: entry.queue,
      roles: [...entry.roles],
      exists: detail instanceof Error ? true : detail !== undefined,
      counts,
      fifo: usable?.fifo,
      deadLetterQueue: usable?.deadLetterQueue,
      maxReceiveCount: usable?.maxReceiveCount,
      deadLetterFor: [...entry.deadLetterFor],
      consumer: entry.consumer ? this.consumerState(entry) : undefined,
      rates: entry.consumer ? this.rates.rates(entry.backend, entry.queue) : undefined,
      error: detail instanceof Error ? detail.message : adminOf(this.backends.get(entry.backend, 'Queue')) ? undefined : 'this backend offers no queue counts',
    };
  }

  private consumerState(entry: KnownQueue): QueueConsumerState {
    const running = this.consumers.list().find((consumer) => consumer.backend === entry.backend && consumer.queue === entry.queue);
    const planned = entry.consumer ?? { manifests: [], concurrency: 0 };
    if (!running) return { state: 'not started', manifests: planned.manifests, concurrency: planned.concurrency, inFlight: 0, failing: false };
    const { status } = running;
    return { state: status.state, manifests: running.manifests, concurrency: running.concurrency, inFlight: status.inFlight, failing: status.failing, lastError: status.lastError };
  }
}

function toFailure(error: unknown): Error {
  return new Error(describeThrown(error));
}

function checkRedriveOptions(queue: string, options: RedriveOptions): void {
  const { maxPerSecond, limit, visibilityTimeoutSeconds } = options;
  if (maxPerSecond !== undefined && !(Number.isFinite(maxPerSecond) && maxPerSecond > 0)) {
    throw new InvalidRedriveError(queue, `maxPerSecond must be a number above 0, got ${maxPerSecond}`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new InvalidRedriveError(queue, `limit must be a whole number of at least 1, got ${limit}`);
  if (visibilityTimeoutSeconds !== undefined && !(Number.isInteger(visibilityTimeoutSeconds) && visibilityTimeoutSeconds >= 1 && visibilityTimeoutSeconds <= 43_200)) {
    throw new InvalidRedriveError(queue, `visibilityTimeoutSeconds must be a whole number from 1 to 43200, got ${visibilityTimeoutSeconds}`);
  }
}

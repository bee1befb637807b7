import type { Message as SqsMessage, SQSClient } from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { setMaxListeners } from 'node:events';
import { describeThrown } from '../../../errors';
import type { ConsumerHandle, ConsumerStatus, DeliveryHandler } from '../../messaging-backend';
import type { IncomingPayloads } from '../large-payload/incoming-payloads';
import { SQS_MAX_BATCH_ENTRIES, SQS_MAX_VISIBILITY_SECONDS, type ResolvedSqsSettings } from '../sqs-backend.options';
import type { QueueInfo, SqsDirectory } from '../sqs-directory';
import { VisibilityKeeper } from '../visibility-keeper';
import { FifoLines } from './fifo-lines';
import { Poller, type PollerHost } from './poller';
import { MessageRunner } from './message-runner';
import type { Received } from './received-message';
import { ReceiveHealth } from './receive-health';
import { Settlement } from './settlement';
import { MessageSlot, SlotPool } from './slot-pool';

export interface SqsConsumerDependencies {
  readonly queue: string;
  readonly handler: DeliveryHandler;
  readonly concurrency: number;
  readonly pollingClient: SQSClient;
  readonly client: SQSClient;
  readonly directory: SqsDirectory;
  readonly settings: ResolvedSqsSettings;
  /** Reads payloads offloaded to S3; shared by the backend's consumers. */
  readonly payloads: IncomingPayloads;
  readonly logger: LoggerService;
}

/** Long enough never to fire: the timer only keeps the event loop alive. */
const KEEP_ALIVE_MS = 2 ** 30;

/**
 * Consumes one queue: pollers receive into free slots, each message runs its handler (FIFO
 * groups one message at a time, in order), and the settlement tells the broker the outcome.
 * While it runs, it keeps the process alive, as a listening HTTP server does.
 */
export class SqsConsumer implements ConsumerHandle, PollerHost {
  readonly slots: SlotPool;
  readonly health: ReceiveHealth;
  private readonly settlement: Settlement;
  private readonly runner: MessageRunner;
  private readonly stopController = abortControllerForManyPollers();
  private readonly receiveController = abortControllerForManyPollers();
  /** Aborted by pause(), renewed by resume(): a paused consumer has no receive in progress. */
  private pauseController = abortControllerForManyPollers();
  private receiveSignalNow = signalForManyPollers(this.receiveController.signal, this.pauseController.signal);
  private readonly fifo = new FifoLines<Received>();
  /** Messages (or FIFO groups) whose run has not ended; stop() waits for none to be left. */
  private runs = 0;
  private whenIdle: (() => void) | undefined;
  private readonly pollers: Promise<void>[] = [];
  private state: ConsumerStatus['state'] = 'running';
  private unpause: (() => void) | undefined;
  private paused: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** Made with the first message, when the queue's URL and visibility timeout are known. */
  private keeper: VisibilityKeeper | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly deps: SqsConsumerDependencies) {
    this.slots = new SlotPool(deps.concurrency);
    this.health = new ReceiveHealth(deps.queue, deps.logger, deps.settings.pollErrorBackoffMs);
    this.settlement = new Settlement(deps);
    this.runner = new MessageRunner({ ...deps, settlement: this.settlement, stopSignal: this.stopController.signal });
  }

  get queue(): string {
    return this.deps.queue;
  }
  get pollingClient(): SQSClient {
    return this.deps.pollingClient;
  }
  get directory(): SqsDirectory {
    return this.deps.directory;
  }
  get settings(): ResolvedSqsSettings {
    return this.deps.settings;
  }
  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }
  get receiveSignal(): AbortSignal {
    return this.receiveSignalNow;
  }

  start(): void {
    this.keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
    // As many pollers as full receives fit in the slots: one more would split the free slots with
    // the others and make every receive partial.
    const pollers = Math.max(1, Math.floor(this.deps.concurrency / SQS_MAX_BATCH_ENTRIES));
    for (let index = 0; index < pollers; index++) this.pollers.push(new Poller(this).run());
  }

  isRunning(): boolean {
    return this.state === 'running' || this.state === 'paused';
  }

  isPaused(): boolean {
    return this.state === 'paused';
  }

  whileNotPaused(): Promise<void> {
    return this.paused ?? Promise.resolve();
  }

  /** Stops receiving; handlers already running go on. */
  pause(): void {
    if (this.state !== 'running') return;
    this.state = 'paused';
    this.paused = new Promise<void>((resolve) => (this.unpause = resolve));
    // As on stop: what an aborted long poll may have been handed comes back after its visibility timeout.
    if (this.deps.settings.abortPollsOnStop) this.pauseController.abort();
    this.slots.wakeAll();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.pauseController = abortControllerForManyPollers();
    this.receiveSignalNow = signalForManyPollers(this.receiveController.signal, this.pauseController.signal);
    this.openGate();
  }

  /**
   * Stops receiving (a long poll in progress is aborted unless `abortPollsOnStop` is false), waits
   * for running handlers, hands back what was received but not started, and waits for the deletes.
   */
  stop(): Promise<void> {
    this.stopped ??= this.drain().finally(() => this.ended());
    return this.stopped;
  }

  /**
   * Stops now: aborts a poll in progress and does not wait for running handlers, whose messages
   * come back after their visibility timeout. For shutdowns whose graceful drain ran out of time.
   */
  async abandon(): Promise<void> {
    this.beginStopping(true);
    // Running handlers no longer keep their messages invisible.
    this.keeper?.close();
    await Promise.allSettled(this.pollers);
    await this.settlement.drain();
    this.ended();
  }

  status(): ConsumerStatus {
    return {
      state: this.state,
      failing: this.health.failing,
      lastError: this.health.lastError,
      lastPollAt: this.health.lastPollAt,
      inFlight: this.runner.handling,
      // The pollers wait for a free slot by design, so a stale lastPollAt then means busy, not stuck.
      saturated: this.slots.saturated,
    };
  }

  accept(info: QueueInfo, messages: readonly SqsMessage[]): void {
    for (const message of messages) {
      const received: Received = { message, lease: this.keeperFor(info).hold(message) };
      const groupId = message.Attributes?.MessageGroupId;
      if (!info.fifo || groupId === undefined) {
        this.track(this.runner.run(info, received, new MessageSlot(this.slots)));
      } else if (this.fifo.enter(groupId, received)) {
        this.track(this.runGroup(info, groupId));
      }
    }
  }

  async giveBack(info: QueueInfo, messages: readonly SqsMessage[]): Promise<void> {
    await this.settlement.release(info, messages);
    this.slots.release(messages.length);
  }

  private async drain(): Promise<void> {
    this.beginStopping(this.deps.settings.abortPollsOnStop);
    await Promise.allSettled(this.pollers);
    while (this.runs > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    this.keeper?.close();
    await this.settlement.drain();
  }

  private beginStopping(abortReceives: boolean): void {
    if (this.isRunning()) this.state = 'stopping';
    this.stopController.abort();
    if (abortReceives) this.receiveController.abort();
    this.openGate();
    this.slots.wakeAll();
  }

  private ended(): void {
    this.state = 'stopped';
    clearInterval(this.keepAlive);
  }

  private openGate(): void {
    this.unpause?.();
    this.unpause = undefined;
    this.paused = undefined;
  }

  /** Counts a run until it ends; `then`, not `finally`, which costs two promises more per message. */
  private track(work: Promise<unknown>): void {
    this.runs++;
    void work.then(this.runEnded, this.runFailed);
  }

  // Made once, not per message.
  private readonly runEnded = (): void => {
    if (--this.runs === 0) this.whenIdle?.();
  };

  private readonly runFailed = (error: unknown): void => {
    // Runs catch what a message throws; this is a defect of ours, and stop() must not wait for it.
    this.deps.logger.error(`queue=${this.deps.queue}: a message's run failed inside the consumer: ${describeThrown(error, { withName: true })}`);
    this.runEnded();
  };

  /**
   * Runs one FIFO group's messages in order. When one is not settled (retried, or its handler took
   * no decision), the ones after it go back to the queue: handling them now would break the order.
   */
  private async runGroup(info: QueueInfo, groupId: string): Promise<void> {
    for (let next = this.fifo.next(groupId); next !== undefined; next = this.fifo.next(groupId)) {
      if (!this.isRunning()) break;
      const decision = await this.runner.run(info, next);
      this.slots.release(1);
      if (decision !== 'ack' && decision !== 'dead-letter') break;
    }
    const rest = this.fifo.close(groupId);
    if (rest.length === 0) return;
    await Promise.all(rest.map(({ lease }) => lease.release()));
    // Newest first: some brokers put a released FIFO message at the head of its group.
    await this.giveBack(info, rest.map(({ message }) => message).reverse());
  }

  private keeperFor(info: QueueInfo): VisibilityKeeper {
    this.keeper ??= new VisibilityKeeper({
      client: this.deps.client,
      queue: this.queue,
      queueUrl: info.url,
      visibilitySeconds: Math.min(this.deps.settings.visibilityTimeout ?? info.visibilityTimeout, SQS_MAX_VISIBILITY_SECONDS),
      logger: this.deps.logger,
    });
    return this.keeper;
  }
}

/** Every poller passes the one signal to the SDK; past ten, Node would warn of a listener leak. */
function abortControllerForManyPollers(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Every poller's request listens on it (the SDK adds a listener or two per request): no leak, so no warning. */
function signalForManyPollers(...signals: AbortSignal[]): AbortSignal {
  const signal = AbortSignal.any(signals);
  setMaxListeners(0, signal);
  return signal;
}

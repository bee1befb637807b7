import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { setMaxListeners } from 'node:events';
import type { ConsumerHandle, ConsumerStatus, Delivery, DeliveryHandler } from '../messaging-backend';
import type { Envelope } from '../../messages/envelope';
import { AcknowledgeFailedError, describeThrown } from '../../errors';
import { logSafe } from '../../log-safe';
import { deadLetterCopy } from './dead-letter-copy';
import { RequestBatcher, type EntryOutcome } from './request-batcher';
import {
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_VISIBILITY_SECONDS,
  type ResolvedSqsSettings,
} from './sqs-backend.options';
import type { QueueInfo, SqsDirectory } from './sqs-directory';
import { VisibilityKeeper, type VisibilityLease } from './visibility-keeper';
import { decodeSqsMessage } from './sqs-wire-format';

const MAX_POLL_BACKOFF_MS = 30_000;

export interface SqsConsumerDependencies {
  readonly queue: string;
  readonly handler: DeliveryHandler;
  readonly concurrency: number;
  readonly pollingClient: SQSClient;
  readonly client: SQSClient;
  readonly directory: SqsDirectory;
  readonly settings: ResolvedSqsSettings;
  readonly logger: LoggerService;
}

interface PendingDelete {
  readonly receiptHandle: string;
  readonly messageId: string;
}

type Outcome = 'ack' | 'retry' | 'dead-letter' | 'none';

/** A received message and the lease that keeps it invisible until it is settled or released. */
interface Received {
  readonly message: SqsMessage;
  readonly lease: VisibilityLease;
  /** Frees its slot, once. FIFO messages have none: their group's line holds the slot. */
  readonly freeSlot?: () => void;
}

/** Received messages of one FIFO group waiting their turn behind the one running. */
interface GroupLine {
  readonly messages: Received[];
}

/** An empty receive with no long-poll wait is followed by this pause, so pollers do not spin. */
const EMPTY_SHORT_POLL_PAUSE_MS = 1000;

/**
 * Polls one queue and hands messages to the handler, at most `concurrency` at a time.
 *
 * Slots are reserved before each receive, so the consumer never holds more messages than it can
 * start: a message sitting in a local buffer is a message no other consumer can take. Messages of
 * one FIFO group run one after the other, in order.
 */
export class SqsConsumer implements ConsumerHandle {
  private readonly abort = abortControllerForManyPollers();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private used = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();
  private readonly groups = new Map<string, GroupLine>();
  private readonly pollers: Promise<void>[] = [];
  private readonly deletes: RequestBatcher<PendingDelete, void>;
  private wakeSleepers: () => void = () => undefined;
  private state: ConsumerStatus['state'] = 'running';
  /** Made with the first message, when the queue's URL and visibility timeout are known. */
  private keeper: VisibilityKeeper | undefined;
  /** Acknowledged messages whose slot went to the next message while their delete is on its way. */
  private awaitingDelete = 0;
  /** Handlers running now (slots also count messages waiting in a FIFO line and idle polls). */
  private handling = 0;
  private lastPollAt: number | undefined;
  /** Set while receiving fails, cleared by the next receive that works. */
  private receiveError: string | undefined;
  private readonly sleepOver: Promise<void>;

  constructor(private readonly deps: SqsConsumerDependencies) {
    this.sleepOver = new Promise<void>((resolve) => (this.wakeSleepers = resolve));
    this.deletes = new RequestBatcher<PendingDelete, void>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: Number.POSITIVE_INFINITY,
      windowMs: 0,
      serial: false,
      send: (entries) => this.deleteBatch(entries),
    });
  }

  start(): void {
    const pollers = Math.max(1, Math.ceil(this.deps.concurrency / SQS_MAX_BATCH_ENTRIES));
    for (let index = 0; index < pollers; index++) {
      this.pollers.push(this.poll());
    }
  }

  stop(): Promise<void> {
    this.stopped ??= this.drain().finally(() => (this.state = 'stopped'));
    return this.stopped;
  }

  /**
   * Stops now: aborts a poll in progress and does not wait for running handlers, whose messages
   * come back after their visibility timeout. For shutdowns whose graceful drain ran out of time.
   */
  async abandon(): Promise<void> {
    this.stopping = true;
    this.state = 'stopping';
    // Running handlers no longer keep their messages invisible.
    this.keeper?.close();
    this.wakeSleepers();
    this.abort.abort();
    for (const wake of this.slotWaiters.splice(0)) {
      wake();
    }
    await Promise.allSettled(this.pollers);
    await this.deletes.drain();
    this.state = 'stopped';
  }

  status(): ConsumerStatus {
    return {
      state: this.state,
      failing: this.receiveError !== undefined,
      lastError: this.receiveError,
      lastPollAt: this.lastPollAt,
      inFlight: this.handling,
      // Every slot taken: the pollers wait for one by design, so a stale lastPollAt means busy, not stuck.
      saturated: this.used >= this.deps.concurrency,
    };
  }

  private async drain(): Promise<void> {
    this.stopping = true;
    this.state = 'stopping';
    this.wakeSleepers();
    if (this.deps.settings.abortPollsOnStop) {
      this.abort.abort();
    }
    for (const wake of this.slotWaiters.splice(0)) {
      wake();
    }
    await Promise.allSettled(this.pollers);
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running]);
    }
    this.keeper?.close();
    await this.deletes.drain();
  }

  private get queue(): string {
    return this.deps.queue;
  }

  /**
   * Waits until `wanted` slots are free (or all of them, when concurrency is smaller), then takes
   * them. Polling for whatever single slot frees up made receives and delete batches a fifth
   * emptier than they need be, costing requests and time per message. Resolves 0 when stopping.
   */
  private async reserve(wanted: number): Promise<number> {
    const enough = Math.min(wanted, this.deps.concurrency);
    while (!this.stopping && this.deps.concurrency - this.used < enough) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    if (this.stopping) {
      return 0;
    }
    const taken = Math.min(wanted, this.deps.concurrency - this.used);
    this.used += taken;
    return taken;
  }

  private release(count: number): void {
    this.used -= count;
    for (let index = 0; index < count; index++) {
      this.slotWaiters.shift()?.();
    }
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.sleepOver]);
    clearTimeout(timer);
  }

  private async poll(): Promise<void> {
    let backoff = this.deps.settings.pollErrorBackoffMs;
    // An outage is logged when it starts and when it ends, not once per attempt in between.
    let failures = 0;
    while (!this.stopping) {
      const slots = await this.reserve(SQS_MAX_BATCH_ENTRIES);
      if (slots === 0) {
        return;
      }
      let info: QueueInfo;
      let messages: SqsMessage[];
      try {
        info = await this.deps.directory.queue(this.queue);
        const response = await this.deps.pollingClient.send(
          new ReceiveMessageCommand({
            QueueUrl: info.url,
            MaxNumberOfMessages: slots,
            WaitTimeSeconds: this.deps.settings.waitTimeSeconds,
            VisibilityTimeout: this.deps.settings.visibilityTimeout,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = response.Messages ?? [];
        backoff = this.deps.settings.pollErrorBackoffMs;
        this.lastPollAt = Date.now();
        this.receiveError = undefined;
        if (failures > 0) {
          this.deps.logger.log(`queue=${this.queue}: receiving works again after ${failures} failed attempt(s)`);
          failures = 0;
        }
      } catch (error) {
        this.release(slots);
        if (this.stopping) {
          return;
        }
        if (failures === 0) {
          this.deps.logger.error(
            `queue=${this.queue}: receiving failed, retrying with backoff from ${backoff} ms up to ${MAX_POLL_BACKOFF_MS} ms ` +
              `(logged again when it recovers): ${describeThrown(error, { withName: true })}`);
        }
        failures++;
        this.receiveError = describeThrown(error, { withName: true });
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_POLL_BACKOFF_MS);
        continue;
      }
      this.release(slots - messages.length);
      if (this.stopping) {
        // Received while stopping: nobody will handle these, so give them back at once.
        await this.makeVisible(info, messages);
        this.release(messages.length);
        return;
      }
      for (const message of messages) {
        this.accept(info, message);
      }
      if (messages.length === 0 && this.deps.settings.waitTimeSeconds === 0) {
        await this.sleep(EMPTY_SHORT_POLL_PAUSE_MS);
      }
    }
  }

  private accept(info: QueueInfo, message: SqsMessage): void {
    const lease = this.keeperFor(info).hold(message);
    const groupId = message.Attributes?.MessageGroupId;
    if (!info.fifo || groupId === undefined) {
      const freeSlot = this.slotFreedOnce();
      this.track(this.handleSafely(info, { message, lease, freeSlot }).then(freeSlot));
      return;
    }
    const received: Received = { message, lease };
    const line = this.groups.get(groupId);
    if (line) {
      line.messages.push(received);
      return;
    }
    const fresh: GroupLine = { messages: [received] };
    this.groups.set(groupId, fresh);
    this.track(this.runGroup(info, groupId, fresh));
  }

  private slotFreedOnce(): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release(1);
    };
  }

  /**
   * Deletes an acknowledged message. Its slot goes to the next message as soon as the delete is
   * on its way rather than when the broker confirms it: otherwise every slot spends a round trip
   * idle per message (15 % of the throughput here, more where round trips are longer). At most
   * `concurrency` messages wait so, which bounds what a stalled broker can leave unconfirmed.
   */
  private async delete(receiptHandle: string, messageId: string, freeSlot: (() => void) | undefined): Promise<void> {
    const deleted = this.deletes.add({ receiptHandle, messageId }, 0);
    if (!freeSlot || this.awaitingDelete >= this.deps.concurrency) return deleted;
    this.awaitingDelete++;
    freeSlot();
    try {
      await deleted;
    } finally {
      this.awaitingDelete--;
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /**
   * Runs one FIFO group's messages in order. When one is not done (retried, or its handler took no
   * decision), the ones after it go back to the queue: handling them now would break the order.
   */
  private async runGroup(info: QueueInfo, groupId: string, line: GroupLine): Promise<void> {
    try {
      while (line.messages.length > 0) {
        if (this.stopping) {
          break;
        }
        const next = line.messages.shift() as Received;
        const outcome = await this.handleSafely(info, next);
        this.release(1);
        if (outcome !== 'ack' && outcome !== 'dead-letter') {
          break;
        }
      }
    } finally {
      this.groups.delete(groupId);
      const rest = line.messages.splice(0);
      if (rest.length > 0) {
        await Promise.all(rest.map(({ lease }) => lease.release()));
        // Newest first: some brokers put a released FIFO message at the head of its group.
        await this.makeVisible(info, rest.map(({ message }) => message).reverse());
        this.release(rest.length);
      }
    }
  }

  /**
   * The last line of defence: whatever escapes a message's path is logged with its id and the
   * message is left for redelivery after its visibility timeout. Nothing a message carries or a
   * handler throws may become an unhandled rejection, which would end the process.
   */
  private async handleSafely(info: QueueInfo, received: Received): Promise<Outcome> {
    try {
      return await this.handle(info, received);
    } catch (error) {
      this.deps.logger.error(
        `queue=${this.queue} message=${logSafe(received.message.MessageId ?? '(no message id)')}: failed inside the consumer, ` +
          `it comes back after its visibility timeout: ${describeThrown(error, { withName: true })}`);
      try {
        await received.lease.release();
      } catch {
        // Nothing more to do: the visibility timeout brings the message back.
      }
      return 'none';
    }
  }

  private async handle(info: QueueInfo, received: Received): Promise<Outcome> {
    const { lease } = received;
    const decoded = decodeSqsMessage(received.message);
    const { envelope } = decoded;
    this.handling++;
    const { delivery, outcome } = this.delivery(info, received, envelope, decoded.undecodable);
    try {
      await this.deps.handler(delivery);
    } catch (error) {
      this.deps.logger.error(
        `queue=${this.queue} message=${logSafe(envelope.messageId)}: handler failed, ` +
          `the message comes back after its visibility timeout: ${describeThrown(error, { withName: true })}`);
    } finally {
      this.handling--;
    }
    await lease.release();
    const taken = outcome();
    if (taken === 'none') {
      this.deps.logger.warn(
        `queue=${this.queue} message=${logSafe(envelope.messageId)}: no ack, retry or dead-letter was taken (or it failed at the broker); ` +
          'the message comes back after its visibility timeout');
    }
    return taken;
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

  private delivery(
    info: QueueInfo,
    { message, lease, freeSlot }: Received,
    envelope: Envelope,
    undecodable: string | undefined,
  ): { delivery: Delivery; outcome: () => Outcome } {
    let decision: Outcome = 'none';
    /**
     * Takes the decision and carries it out. If the broker refuses, the decision is undone: the
     * message was not settled, and a FIFO group must not move past it.
     */
    const settle = async (next: Outcome, act: () => Promise<void>): Promise<void> => {
      if (decision !== 'none') {
        this.deps.logger.warn(`queue=${this.queue} message=${logSafe(envelope.messageId)}: ${next} ignored, the message was already given ${decision}`);
        return;
      }
      decision = next;
      try {
        await lease.release();
        await act();
      } catch (error) {
        decision = 'none';
        throw error;
      }
    };
    const receiptHandle = message.ReceiptHandle ?? '';
    const delivery: Delivery = {
      queue: this.queue,
      envelope,
      undecodable,
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
      groupId: message.Attributes?.MessageGroupId,
      ack: () => settle('ack', () => this.delete(receiptHandle, envelope.messageId, freeSlot)),
      retry: (delayMs: number) =>
        settle('retry', async () => {
          const seconds = Math.min(Math.max(0, Math.ceil(delayMs / 1000)), SQS_MAX_VISIBILITY_SECONDS);
          await this.deps.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: info.url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
        }),
      deadLetter: async (reason: string) => {
        if (!info.deadLetterTargetArn) {
          return false;
        }
        await settle('dead-letter', () => this.moveToDeadLetterQueue(info, message, envelope.messageId, reason));
        return true;
      },
    };
    return { delivery, outcome: () => decision };
  }

  /**
   * Sends the message, body untouched so SQS's own redrive can move it back, to the dead-letter
   * queue of the redrive policy, with the reason and source queue as attributes where the limits
   * leave room (see `deadLetterCopy`); then deletes the original.
   */
  private async moveToDeadLetterQueue(info: QueueInfo, message: SqsMessage, messageId: string, reason: string): Promise<void> {
    const target = await this.deps.directory.queueByArn(info.deadLetterTargetArn as string);
    const { attributes, notes } = deadLetterCopy(message, reason, info.name, this.deps.settings.maxMessageBytes);
    const groupId = message.Attributes?.MessageGroupId;
    await this.deps.client.send(
      new SendMessageCommand({
        QueueUrl: target.url,
        MessageBody: message.Body ?? '',
        MessageAttributes: attributes,
        MessageGroupId: target.fifo ? (groupId ?? 'melange-dead-letters') : undefined,
        // The broker's id of the original: dead-lettering the same receipt twice stores it once.
        MessageDeduplicationId: target.fifo ? message.MessageId : undefined,
      }),
    );
    this.deps.logger.warn(
      `queue=${this.queue} message=${logSafe(messageId)}: moved to dead-letter queue ${target.name}: ${logSafe(reason, 1000)}` +
        (notes.length > 0 ? ` (${notes.join('; ')})` : ''));
    await this.deletes.add({ receiptHandle: message.ReceiptHandle ?? '', messageId }, 0);
  }

  private async makeVisible(info: QueueInfo, messages: readonly SqsMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_MAX_BATCH_ENTRIES) {
      const chunk = messages.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      try {
        const response = await this.deps.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: info.url,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
        for (const failed of response.Failed ?? []) {
          this.deps.logger.warn(
            `queue=${this.queue} message=${logSafe(chunk[Number(failed.Id)]?.MessageId ?? '')}: could not be released, ` +
              `it comes back after its visibility timeout: ${logSafe(`${failed.Code} ${failed.Message ?? ''}`, 1000)}`);
        }
      } catch (error) {
        this.deps.logger.warn(
          `queue=${this.queue}: releasing ${chunk.length} unstarted message(s) failed, they come back after their visibility timeout: ${describeThrown(error, { withName: true })}`);
      }
    }
  }

  private async deleteBatch(entries: readonly PendingDelete[]): Promise<ReadonlyArray<EntryOutcome<void>>> {
    const info = await this.deps.directory.queue(this.queue);
    const response = await this.deps.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: info.url,
        Entries: entries.map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receiptHandle })),
      }),
    );
    const failures = new Map((response.Failed ?? []).map((failure) => [failure.Id, failure]));
    return entries.map((entry, index) => {
      const failure = failures.get(String(index));
      if (!failure) {
        return { ok: true, value: undefined };
      }
      const error = new AcknowledgeFailedError(this.queue, entry.messageId, failure.Code ?? 'Unknown', failure.Message ?? '');
      return { ok: false, error };
    });
  }
}

/** Every poller passes the one signal to the SDK; past ten, Node would warn of a listener leak. */
function abortControllerForManyPollers(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}


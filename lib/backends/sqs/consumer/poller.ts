import { ReceiveMessageCommand, type Message as SqsMessage, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as delay } from 'node:timers/promises';
import { SQS_MAX_BATCH_ENTRIES, type ResolvedSqsSettings } from '../sqs-backend.options';
import type { QueueInfo, SqsDirectory } from '../sqs-directory';
import { MAX_POLL_BACKOFF_MS, type ReceiveHealth } from './receive-health';
import type { SlotPool } from './slot-pool';

/** An empty receive with no long-poll wait is followed by this pause, so pollers do not spin. */
const EMPTY_SHORT_POLL_PAUSE_MS = 1000;
/**
 * Once a slot is free, how long a poller may wait for more to free up before it receives, so that
 * receives under load stay full (fewer requests per message) without a slow handler holding back
 * the free slots for more than this.
 */
export const GATHER_WINDOW_MS = 10;

/** What a poller needs from the consumer that runs it. */
export interface PollerHost {
  readonly queue: string;
  readonly pollingClient: SQSClient;
  readonly directory: SqsDirectory;
  readonly settings: ResolvedSqsSettings;
  readonly slots: SlotPool;
  readonly health: ReceiveHealth;
  /** Aborted when the consumer stops: wakes pauses. */
  readonly stopSignal: AbortSignal;
  /** Aborted when a receive in progress is to be given up. */
  readonly receiveSignal: AbortSignal;
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** Resolves when the consumer is not paused (at once when it is not). */
  whileNotPaused(): Promise<void>;
  isPaused(): boolean;
  /** Starts handling received messages, each holding one of the slots taken for the receive. */
  accept(info: QueueInfo, messages: readonly SqsMessage[]): void;
  /** Received after the consumer stopped: back to the queue, slots freed. */
  giveBack(info: QueueInfo, messages: readonly SqsMessage[]): Promise<void>;
}

/**
 * One long-poll loop. It receives as soon as a slot is free, asking for min(10, free slots), so
 * one slow handler never holds back messages that other slots could run.
 */
export class Poller {
  constructor(private readonly host: PollerHost) {}

  async run(): Promise<void> {
    const { host } = this;
    let backoff = host.settings.pollErrorBackoffMs;
    while (host.isRunning()) {
      await host.whileNotPaused();
      const slots = await this.takeSlots();
      if (slots === 0) continue;
      let info: QueueInfo;
      let messages: SqsMessage[];
      try {
        info = await host.directory.queue(host.queue);
        // Paused or stopped while the queue was looked up: no receive may start after pause() returned.
        if (!this.active()) {
          host.slots.release(slots);
          continue;
        }
        messages = await this.receive(info, slots);
        backoff = host.settings.pollErrorBackoffMs;
        host.health.succeeded();
      } catch (error) {
        host.slots.release(slots);
        if (!host.isRunning()) return;
        // pause() aborted this receive: no failure, the loop waits for resume().
        if (host.isPaused()) continue;
        host.health.failed(error);
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, MAX_POLL_BACKOFF_MS);
        continue;
      }
      host.slots.release(slots - messages.length);
      if (!host.isRunning()) {
        await host.giveBack(info, messages);
        return;
      }
      // Paused while this receive was on its way: nothing starts after pause(), so they go back at once.
      if (host.isPaused()) {
        await host.giveBack(info, messages);
        continue;
      }
      host.accept(info, messages);
      if (messages.length === 0 && host.settings.waitTimeSeconds === 0) await this.pause(EMPTY_SHORT_POLL_PAUSE_MS);
    }
  }

  /**
   * Waits for a free slot, then up to GATHER_WINDOW_MS for enough to fill a receive, and takes
   * them; 0 when the consumer stopped or paused meanwhile.
   */
  private async takeSlots(): Promise<number> {
    const { slots } = this.host;
    const wanted = Math.min(SQS_MAX_BATCH_ENTRIES, slots.size);
    while (slots.free < 1 && this.active()) await slots.whenFree(1);
    // One wait with one timer, however many slots free up meanwhile: per receive, not per message.
    // Another poller may take the slots this one was woken for before it runs: it then waits out
    // the rest of its window, rather than receive the few left over.
    const deadline = performance.now() + GATHER_WINDOW_MS;
    for (let left = GATHER_WINDOW_MS; slots.free < wanted && left > 0 && this.active(); left = deadline - performance.now()) {
      await slots.whenFree(wanted, left);
    }
    return this.active() ? slots.take(wanted) : 0;
  }

  private active(): boolean {
    return this.host.isRunning() && !this.host.isPaused();
  }

  private async receive(info: QueueInfo, slots: number): Promise<SqsMessage[]> {
    const { host } = this;
    const response = await host.pollingClient.send(
      new ReceiveMessageCommand({
        QueueUrl: info.url,
        MaxNumberOfMessages: slots,
        WaitTimeSeconds: host.settings.waitTimeSeconds,
        VisibilityTimeout: host.settings.visibilityTimeout,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }),
      { abortSignal: host.receiveSignal },
    );
    return response.Messages ?? [];
  }

  /** A pause that ends early when the consumer stops, leaving nothing behind on a long-lived promise. */
  private async pause(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.host.stopSignal }).catch(() => undefined);
  }
}

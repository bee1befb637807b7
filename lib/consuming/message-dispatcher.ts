import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import { HandlerTimeoutError, OutboxConfigurationError, UnroutableMessageError, describeThrown, toError } from '../errors';
import { logSafe } from '../log-safe';
import type { Delivery } from '../backends/messaging-backend';
import { IdempotencyGate } from '../idempotency/idempotency-gate';
import { idempotencyKey } from '../idempotency/idempotency-key';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { MessageTypeRegistry } from '../messages/message-type-registry';
import { Inbox } from '../outbox/inbox';
import { MelangeEvents } from '../observability/melange-events';
import { markActiveSpanFailed, traceProcess, tracingActive } from '../observability/tracing';
import { JSON_SERIALIZER_ID } from '../serialization/json.serializer';
import { SerializerRegistry } from '../serialization/serializer-registry';
import { elapsed, eventOf, handledEvent, type Attempt } from './attempt';
import { BatchDispatch } from './batch/batch-dispatch';
import { BatchInvoker } from './batch/batch-invoker';
import { describeHandler, type DispatchTable, type Route } from './dispatch-table';
import { describeError as describe, isRetryable } from './handler-errors';
import { HandlerInvoker } from './handler-invoker';
import { TimedInvocation, type Invocation } from './invocation';
import type { MessageContext } from './message-context';
import { RetryPolicy } from './retry-policy';

/**
 * A message the idempotency store kept waiting for the whole of storeOutageMaxWaitMs comes back
 * this soon: the outage may be over by then, and a long delay would only add to the backlog.
 */
const STORE_OUTAGE_RELEASE_DELAY_MS = 1000;

/**
 * Decides what becomes of each delivery: decode → route → (claim) → invoke → ack. A handler error
 * means retry with backoff, then dead-letter; a message that cannot be decoded or routed, or that a
 * guard or pipe rejects, is dead-lettered at once. Never throws: a bad message must not stop the
 * consume loop.
 */
@Injectable()
export class MessageDispatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Melange');
  /** For messages that never reach a handler, which has a policy of its own. */
  private readonly moduleRetry: RetryPolicy;
  private readonly idempotency?: IdempotencyGate;
  private readonly handlerTimeoutMs?: number;
  private readonly discardUnroutable: boolean;
  /** Aborted at shutdown: a message waiting on the idempotency store goes back to the broker at once. */
  private readonly shuttingDown = new AbortController();
  /** Where messages of `@OnMessageBatch` handlers wait for their batch. */
  private readonly batches: BatchDispatch;
  /** For handlers marked `inbox: true`; present when MelangeModule has an `outbox`. */
  private readonly inbox?: Inbox;

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) options: MelangeModuleOptions,
    private readonly serializers: SerializerRegistry,
    private readonly types: MessageTypeRegistry,
    private readonly invoker: HandlerInvoker,
    private readonly backends: BackendRegistry,
    private readonly events: MelangeEvents,
    batchInvoker: BatchInvoker,
  ) {
    const consumers = options.consumers ?? {};
    this.moduleRetry = new RetryPolicy(consumers.retry);
    this.handlerTimeoutMs = consumers.handlerTimeoutMs;
    this.batches = new BatchDispatch(batchInvoker, this.handlerTimeoutMs);
    this.discardUnroutable = consumers.unroutable === 'discard';
    if (consumers.idempotency) this.idempotency = new IdempotencyGate(consumers.idempotency, this.handlerTimeoutMs, this.logger);
    if (options.outbox?.database.transaction) this.inbox = new Inbox(options.outbox.database, options.outbox.schema ?? 'public');
  }

  /** Runs beside the consumers' drain, so that messages held through a store outage do not hold it up. */
  beforeApplicationShutdown(): void {
    this.shuttingDown.abort();
    this.batches.drain();
  }

  /**
   * Runs every partly gathered batch of `@OnMessageBatch` handlers now rather than after its
   * `maxWaitMs`: for hosts that know no more messages are coming (a Lambda invocation whose records
   * have all been dispatched).
   */
  flushBatches(): void {
    this.batches.flush();
  }

  async dispatch(table: DispatchTable, delivery: Delivery): Promise<void> {
    const { envelope } = delivery;
    const attempt: Attempt = { delivery, backend: table.backend, startedAt: performance.now() };
    try {
      if (!tracingActive()) {
        await this.process(table, attempt);
      } else {
        const system = this.backends.systemOf(table.backend);
        await traceProcess({ system, destination: delivery.queue, messageId: envelope.messageId }, envelope.attributes, () =>
          this.process(table, attempt),
        );
      }
    } catch (error) {
      // A defect of ours, or a throwing listener of the tracing SDK: the message is not settled,
      // so the broker delivers it again; the consume loop goes on.
      this.logger.error(`${where(delivery)} failed inside the dispatcher and will be delivered again: ${describeThrown(error, { withName: true })}`);
    }
  }

  private async process(table: DispatchTable, attempt: Attempt): Promise<void> {
    const { delivery } = attempt;
    if (this.events.has('received')) this.events.emit('received', eventOf(attempt));
    if (delivery.undecodable !== undefined) {
      const reason = `cannot be decoded: ${delivery.undecodable}`;
      this.events.emit('decode-failed', { ...eventOf(attempt), reason });
      return this.giveUp(attempt, reason, this.moduleRetry);
    }
    let route: Route;
    let message: unknown;
    try {
      ({ route, message } = this.decode(table, delivery));
    } catch (thrown) {
      const error = toError(thrown);
      const reason = `cannot be handled: ${describe(error)}`;
      this.events.emit('decode-failed', { ...eventOf(attempt), reason });
      if (error instanceof UnroutableMessageError && this.discardUnroutable) return this.discard(attempt, reason);
      return this.giveUp(attempt, reason, this.moduleRetry);
    }
    // The key is built only where something reads it: most apps have neither an inbox nor idempotency.
    const key = route.handler.inbox || this.idempotency ? keyOf(delivery) : '';
    if (route.handler.inbox) return this.handleInInbox(attempt, route, message, key);
    if (this.idempotency && !(await this.claim(this.idempotency, attempt, key))) return;
    const invocation = this.invoke(table, route, message, delivery);
    try {
      await invocation.outcome;
    } catch (thrown) {
      // Handlers throw anything (null, strings, revoked Proxies): from here on it is an Error.
      const error = toError(thrown);
      if (!(error instanceof HandlerTimeoutError)) {
        if (this.idempotency) await this.remember(delivery, key, 'abandon');
        return this.handlerFailed(attempt, route, error);
      }
      await this.handlerFailed(attempt, route, error);
      // The handler is still running: keep its slot, and its idempotency claim, until it ends, so
      // the retry cannot run beside it; then record how it ended, for the retry to see.
      const succeeded = await invocation.finished();
      return this.remember(delivery, key, succeeded ? 'complete' : 'abandon');
    }
    if (this.idempotency) await this.remember(delivery, key, 'complete');
    await this.acknowledge(delivery);
    if (this.events.has('handled')) this.events.emit('handled', handledEvent(attempt));
  }

  /** `settle(delivery, () => delivery.ack())` without a closure and a promise layer per message. */
  private async acknowledge(delivery: Delivery): Promise<void> {
    try {
      await delivery.ack();
    } catch (error) {
      this.notSettled(delivery, error);
    }
  }

  /**
   * The handler and the record of its message commit together, and only then is the message
   * acknowledged. No handler timeout applies: the transaction's connection must not be released
   * while the handler may still use it.
   */
  private async handleInInbox(attempt: Attempt, route: Route, message: unknown, key: string): Promise<void> {
    const { delivery } = attempt;
    let result: 'handled' | 'duplicate';
    try {
      if (!this.inbox) throw new OutboxConfigurationError('inbox handlers need an outbox database with transaction()');
      result = await this.inbox.run(key, async (transaction) => {
        await this.invoker.invoke(route.handler, message, { ...contextOf(delivery), transaction });
      });
    } catch (thrown) {
      return this.handlerFailed(attempt, route, toError(thrown));
    }
    if (result === 'duplicate') {
      this.logger.log(`${where(delivery)} was handled and committed before; deleting this duplicate delivery`);
      await this.settle(delivery, () => delivery.ack());
      this.events.emit('duplicate', eventOf(attempt));
      return;
    }
    await this.settle(delivery, () => delivery.ack());
    this.events.emit('handled', handledEvent(attempt));
  }

  /** A batch handler's messages wait for their batch; any other handler is called now. */
  private invoke(table: DispatchTable, route: Route, message: unknown, delivery: Delivery): Invocation {
    if (route.handler.batch) return this.batches.submit(route.handler, message, contextOf(delivery), this.backends.systemOf(table.backend));
    return new TimedInvocation(this.invoker.invoke(route.handler, message, contextOf(delivery)), this.handlerTimeoutMs);
  }

  /** Tells the idempotency store, if there is one, how the handler ended. */
  private async remember(delivery: Delivery, key: string, outcome: 'complete' | 'abandon'): Promise<void> {
    if (this.idempotency) await this.idempotency.remember(key, outcome, where(delivery));
  }

  private decode(table: DispatchTable, delivery: Delivery): { route: Route; message: unknown } {
    const { envelope } = delivery;
    // A body without a serializer id comes from a producer that knows nothing of melange; JSON is
    // what such producers send.
    const serializer = this.serializers.forId(envelope.serializerId ?? JSON_SERIALIZER_ID);
    const route = table.route(envelope.manifest, this.types);
    return { route, message: serializer.deserialize(envelope.payload, envelope.manifest, route.messageType) };
  }

  /**
   * True when this delivery may run the handler; otherwise it has already been settled. While the
   * store does not answer, the backend keeps the message invisible for as long as this promise is
   * pending. Handing it back to the broker at once would spend a receive each time, and SQS's
   * redrive would dead-letter messages whose handler never ran.
   */
  private async claim(gate: IdempotencyGate, attempt: Attempt, key: string): Promise<boolean> {
    const { delivery } = attempt;
    const claim = await gate.claim(key, where(delivery), this.shuttingDown.signal);
    switch (claim.verdict) {
      case 'run':
        return true;
      case 'unanswered':
        return this.releaseUnclaimed(attempt, claim.waitedMs, claim.lastError);
      case 'done':
        this.logger.log(`${where(delivery)} was handled before; deleting this duplicate delivery`);
        await this.settle(delivery, () => delivery.ack());
        this.events.emit('duplicate', eventOf(attempt));
        return false;
      case 'busy':
        this.logger.warn(`${where(delivery)} is being handled by another delivery; trying again in ${claim.leaseMs} ms`);
        await this.settle(delivery, () => delivery.retry(claim.leaseMs));
        return false;
    }
  }

  /**
   * The store did not answer for as long as a message may be held: back to the broker, unhandled
   * and not dead-lettered, so this consumer does not sit on it through a long outage.
   */
  private async releaseUnclaimed(attempt: Attempt, waitedMs: number, lastError: unknown): Promise<false> {
    const { delivery } = attempt;
    const delayMs = STORE_OUTAGE_RELEASE_DELAY_MS;
    const reason = `the idempotency store did not answer for ${Math.floor(waitedMs)} ms (${describe(lastError)}); its handler did not run`;
    this.logger.warn(`${where(delivery)}: ${reason}. It is handed back to the broker and comes again in ${delayMs} ms.`);
    await this.settle(delivery, () => delivery.retry(delayMs));
    this.events.emit('retried', { ...eventOf(attempt), durationMs: elapsed(attempt), delayMs, reason });
    return false;
  }

  private async handlerFailed(attempt: Attempt, route: Route, error: unknown): Promise<void> {
    const { delivery } = attempt;
    const policy = route.handler.retry;
    const reason = `${describeHandler(route.handler)} failed on attempt ${delivery.receiveCount}: ${describe(error)}`;
    if (!isRetryable(error)) return this.giveUp(attempt, `${reason} (not retryable)`, policy);
    if (policy.exhausted(delivery.receiveCount)) {
      return this.giveUp(attempt, `${reason} (no attempts left of ${policy.maxAttempts})`, policy);
    }
    const delayMs = policy.delayAfter(delivery.receiveCount);
    markActiveSpanFailed(reason);
    this.logger.warn(`${where(delivery)} ${reason}; retrying in ${delayMs} ms`);
    await this.settle(delivery, () => delivery.retry(delayMs));
    this.events.emit('retried', { ...eventOf(attempt), durationMs: elapsed(attempt), delayMs, reason });
  }

  /** Dead-letter, or, without a dead-letter queue, keep the message and say so: never drop it. */
  private async giveUp(attempt: Attempt, reason: string, policy: RetryPolicy): Promise<void> {
    const { delivery } = attempt;
    markActiveSpanFailed(reason);
    await this.settle(delivery, async () => {
      if (await delivery.deadLetter(reason)) {
        this.logger.error(`${where(delivery)} moved to the dead-letter queue: ${reason}`);
        this.events.emit('dead-lettered', { ...eventOf(attempt), durationMs: elapsed(attempt), reason });
        return;
      }
      const delayMs = policy.maxDelayMs;
      this.logger.error(
        `${where(delivery)} ${reason}. The queue has no dead-letter queue, so the message stays on it ` +
          `and comes back in ${delayMs} ms; configure deadLetterQueue to set it aside.`,
      );
      await delivery.retry(delayMs);
      this.events.emit('retried', { ...eventOf(attempt), durationMs: elapsed(attempt), delayMs, reason });
    });
  }

  private async discard(attempt: Attempt, reason: string): Promise<void> {
    const { delivery } = attempt;
    this.logger.warn(`${where(delivery)} ${reason}; discarded, as consumers.unroutable is 'discard'`);
    await this.settle(delivery, () => delivery.ack());
    this.events.emit('discarded', { ...eventOf(attempt), reason });
  }

  private async settle(delivery: Delivery, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.notSettled(delivery, error);
    }
  }

  private notSettled(delivery: Delivery, error: unknown): void {
    // Not lost: the broker delivers it again when its visibility timeout ends.
    this.logger.warn(`${where(delivery)} could not be acknowledged to the broker; it will be delivered again: ${describe(error)}`);
  }
}

function contextOf(delivery: Delivery): MessageContext {
  const { envelope } = delivery;
  return {
    messageId: envelope.messageId,
    queue: delivery.queue,
    manifest: envelope.manifest,
    attributes: envelope.attributes,
    receiveCount: delivery.receiveCount,
    groupId: delivery.groupId,
    envelope,
  };
}

function keyOf(delivery: Delivery): string {
  const { envelope } = delivery;
  return idempotencyKey({ queue: delivery.queue, manifest: envelope.manifest, messageId: envelope.messageId });
}

function where(delivery: Delivery): string {
  const { envelope } = delivery;
  return `Message ${logSafe(envelope.messageId)} (${envelope.manifest === undefined ? 'no manifest' : logSafe(envelope.manifest)}) on queue "${delivery.queue}"`;
}


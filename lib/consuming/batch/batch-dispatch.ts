import { Logger } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type SpanContext } from '@opentelemetry/api';
import { HandlerTimeoutError, describeThrown, toError } from '../../errors';
import { describeHandler, type HandlerBinding } from '../dispatch-table';
import type { Invocation } from '../invocation';
import type { MessageContext } from '../message-context';
import { failuresOf } from './batch-result';
import { BatchGatherer } from './batch-gatherer';
import type { BatchInvoker, PreparedBatch } from './batch-invoker';

/** One message waiting in a batch, and how the dispatcher learns what became of it. */
interface BatchItem {
  readonly message: unknown;
  readonly context: MessageContext;
  /** The message's `process` span, for the batch span to link to. */
  readonly span?: SpanContext;
  /** `messaging.system` of the message's backend. */
  readonly system: string;
  readonly handled: (value: void) => void;
  readonly failed: (error: unknown) => void;
  readonly ended: (handled: boolean) => void;
}

/**
 * The batch path of the dispatcher: each message that reaches a batch handler is handed here after
 * the same steps as any other (decoded, routed, claimed), waits for its batch, and gets back its own
 * outcome, which the dispatcher settles as it settles a per-message handler's. Backend-neutral:
 * SQS, in-memory and Lambda deliveries all gather here, each held by its backend until settled.
 */
export class BatchDispatch {
  private readonly logger = new Logger('Melange');
  private readonly gatherer = new BatchGatherer<HandlerBinding, BatchItem>((handler, items) => void this.run(handler, items));

  constructor(
    private readonly invoker: BatchInvoker,
    private readonly handlerTimeoutMs: number | undefined,
  ) {}

  submit(handler: HandlerBinding, message: unknown, context: MessageContext, system: string): Invocation {
    let handled!: (value: void) => void;
    let failed!: (error: unknown) => void;
    let ended!: (handled: boolean) => void;
    const outcome = new Promise<void>((resolve, reject) => ((handled = resolve), (failed = reject)));
    const finished = new Promise<boolean>((resolve) => (ended = resolve));
    const span = trace.getActiveSpan()?.spanContext();
    this.gatherer.add(handler, handler.batch!, { message, context, span, system, handled, failed, ended });
    return { outcome, finished: () => finished };
  }

  /** Runs every partly gathered batch now, e.g. once a Lambda invocation has handed over all its records. */
  flush(): void {
    this.gatherer.flushAll();
  }

  /** At shutdown: batches run at once instead of waiting for more messages, which would hold up the drain. */
  drain(): void {
    this.gatherer.drain();
  }

  private async run(handler: HandlerBinding, items: BatchItem[]): Promise<void> {
    try {
      const prepared = await this.invoker.prepare(handler, items.map(({ context }) => context));
      const valid = await this.validated(prepared, items);
      if (valid.length > 0) await this.call(handler, prepared, valid);
    } catch (error) {
      // Nothing may leave a message waiting for ever: a failure here fails the messages not yet
      // settled (the settled ones ignore it), and the retry policy takes them.
      this.logger.error(`The batch of ${describeHandler(handler)} failed before its handler ran: ${describeThrown(error, { withName: true })}`);
      for (const item of items) fail(item, error);
    }
  }

  /** Each message through the handler's pipes; a rejected one fails alone, with the pipe's verdict. */
  private async validated(prepared: PreparedBatch, items: readonly BatchItem[]): Promise<{ item: BatchItem; message: unknown }[]> {
    const checked = await Promise.all(
      items.map(async (item) => {
        try {
          return { item, message: await prepared.validate(item.message, item.context) };
        } catch (error) {
          fail(item, error);
          return undefined;
        }
      }),
    );
    return checked.filter((entry) => entry !== undefined);
  }

  private async call(handler: HandlerBinding, prepared: PreparedBatch, valid: readonly { item: BatchItem; message: unknown }[]): Promise<void> {
    const contexts = valid.map(({ item }) => item.context);
    const timeoutMs = this.handlerTimeoutMs;
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => valid.forEach(({ item }) => item.failed(new HandlerTimeoutError(timeoutMs))), timeoutMs);
    try {
      const result = await inBatchSpan(valid.map(({ item }) => item), () => prepared.call(valid.map(({ message }) => message), contexts));
      const failures = failuresOf(result, contexts);
      valid.forEach(({ item }, index) => {
        const failure = failures.get(index);
        if (failure) return fail(item, failure);
        item.handled();
        item.ended(true);
      });
    } catch (error) {
      for (const { item } of valid) fail(item, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function fail(item: BatchItem, error: unknown): void {
  item.failed(error);
  item.ended(false);
}

/**
 * The batch call runs in a `process <queue>` span of its own, linked to each message's span, as
 * OpenTelemetry's messaging conventions have it for batches; otherwise it would run inside the span
 * of whichever message completed the batch. Without tracing (no message span) it runs as it is.
 */
async function inBatchSpan<T>(items: readonly BatchItem[], work: () => Promise<T>): Promise<T> {
  const links: Link[] = items.flatMap(({ span }) => (span ? [{ context: span }] : []));
  if (links.length === 0) return work();
  const [{ context, system }] = items as [BatchItem];
  const attributes = {
    'messaging.system': system,
    'messaging.destination.name': context.queue,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.batch.message_count': items.length,
  };
  return trace.getTracer('nestjs-melange').startActiveSpan(`process ${context.queue}`, { kind: SpanKind.CONSUMER, links, attributes }, ROOT_CONTEXT, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(toError(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeThrown(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

import { Logger } from '@nestjs/common';
import { trace, type SpanContext } from '@opentelemetry/api';
import { HandlerTimeoutError, describeThrown } from '../../errors';
import { traceBatchProcess } from '../../observability/tracing';
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
      const items = valid.map(({ item }) => item);
      const [{ context, system }] = items as [BatchItem];
      const target = { system, destination: context.queue, messageCount: items.length };
      const result = await traceBatchProcess(target, items.map(({ span }) => span), () => prepared.call(valid.map(({ message }) => message), contexts));
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

import { toError } from '../../errors';

/** The outcome of one entry in a batch request: brokers accept some entries and refuse others. */
export type EntryOutcome<TResult> =
  | { readonly ok: true; readonly value: TResult }
  | { readonly ok: false; readonly error: Error };

/** Sends one batch request; returns one outcome per input, in input order. Throwing fails every entry. */
export type BatchSender<TInput, TResult> = (
  inputs: readonly TInput[],
) => Promise<ReadonlyArray<EntryOutcome<TResult>>>;

export interface RequestBatcherOptions<TInput, TResult> {
  readonly maxEntries: number;
  /** Most bytes one request may carry in total. */
  readonly maxBytes: number;
  /** How long the first entry waits for company. 0: until the current tick's other calls are in. */
  readonly windowMs: number;
  /**
   * One request at a time, in order. FIFO destinations need it: two batches in flight at once
   * could reach the broker in either order.
   */
  readonly serial: boolean;
  readonly send: BatchSender<TInput, TResult>;
}

interface Pending<TInput, TResult> {
  readonly input: TInput;
  readonly size: number;
  readonly resolve: (value: TResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Coalesces calls made close together into batch requests (SendMessageBatch, PublishBatch,
 * DeleteMessageBatch) without the callers noticing: each call still gets its own result or error.
 */
export class RequestBatcher<TInput, TResult> {
  private pending: Pending<TInput, TResult>[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly options: RequestBatcherOptions<TInput, TResult>) {}

  add(input: TInput, size: number): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      if (
        this.pending.length > 0 &&
        (this.pending.length >= this.options.maxEntries || this.pendingBytes + size > this.options.maxBytes)
      ) {
        this.flush();
      }
      this.pending.push({ input, size, resolve, reject });
      this.pendingBytes += size;
      if (this.pending.length >= this.options.maxEntries) {
        this.flush();
      } else if (this.timer === undefined) {
        this.timer =
          this.options.windowMs > 0
            ? setTimeout(() => this.flush(), this.options.windowMs)
            : setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is waiting now and resolves once every request made so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    if (this.pending.length === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const request = this.options.serial ? this.tail.then(() => this.sendBatch(batch)) : this.sendBatch(batch);
    if (this.options.serial) {
      this.tail = request;
    }
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private async sendBatch(batch: readonly Pending<TInput, TResult>[]): Promise<void> {
    try {
      const outcomes = await this.options.send(batch.map((entry) => entry.input));
      batch.forEach((entry, index) => {
        const outcome = outcomes[index];
        if (outcome === undefined) {
          entry.reject(new Error('The broker returned no result for this entry of a batch request'));
        } else if (outcome.ok) {
          entry.resolve(outcome.value);
        } else {
          entry.reject(outcome.error);
        }
      });
    } catch (error) {
      const failure = toError(error);
      for (const entry of batch) {
        entry.reject(failure);
      }
    }
  }
}

import { HandlerTimeoutError } from '../errors';

/** A handler call for one message, as the dispatcher awaits it. */
export interface Invocation {
  /**
   * Resolves when the message is handled; rejects with its error, or with `HandlerTimeoutError`
   * once `consumers.handlerTimeoutMs` has passed (the handler is not interrupted).
   */
  readonly outcome: Promise<unknown>;
  /** How the handler ended, even after a timeout: true when the message was handled. */
  finished(): Promise<boolean>;
}

/**
 * A per-message handler's call, failed with `HandlerTimeoutError` if it runs past `timeoutMs`. A
 * class, so that a message costs no closure for `finished`, which only a timed-out call reads.
 */
export class TimedInvocation implements Invocation {
  readonly outcome: Promise<unknown>;

  constructor(
    private readonly work: Promise<unknown>,
    timeoutMs: number | undefined,
  ) {
    this.outcome = timeoutMs === undefined ? work : withTimeout(work, timeoutMs);
  }

  finished(): Promise<boolean> {
    return this.work.then(
      () => true,
      () => false,
    );
  }
}

async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

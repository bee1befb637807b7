import { HandlerTimeoutError } from '../errors';

/** A handler call for one message, as the dispatcher awaits it. */
export interface Invocation {
  /**
   * Resolves when the message is handled; rejects with its error, or with `HandlerTimeoutError`
   * once `consumers.handlerTimeoutMs` has passed (the handler is not interrupted).
   */
  readonly outcome: Promise<void>;
  /** How the handler ended, even after a timeout: true when the message was handled. */
  finished(): Promise<boolean>;
}

/** A per-message handler's call, failed with `HandlerTimeoutError` if it runs past `timeoutMs`. */
export function timedInvocation(work: Promise<void>, timeoutMs: number | undefined): Invocation {
  return { outcome: timeoutMs === undefined ? work : withTimeout(work, timeoutMs), finished: () => work.then(() => true, () => false) };
}

async function withTimeout(work: Promise<void>, timeoutMs: number): Promise<void> {
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

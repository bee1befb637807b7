import { BatchItemFailedError, InvalidBatchResultError, toError } from '../../errors';
import type { MessageContext } from '../message-context';

/** One message of a batch that its handler could not handle; `error` decides retry or dead-letter. */
export type BatchFailure =
  /** By the library's message id: `contexts[i].messageId`. */
  | { readonly messageId: string; readonly error?: unknown }
  /** By position in the array the handler was given. */
  | { readonly index: number; readonly error?: unknown };

/**
 * What a batch handler may return instead of nothing: the messages that failed. They are retried
 * with the handler's retry policy (dead-lettered at once when their `error` is not retryable, such
 * as a `NonRetryableError`); every other message of the batch is acknowledged.
 */
export interface BatchResult {
  readonly failures: readonly BatchFailure[];
}

/**
 * The failed messages of a batch, by position, each with the error it fails with. Throws
 * `InvalidBatchResultError` for a result that is not a `BatchResult` or names a message the batch
 * did not hold: then nothing can be known to be handled.
 */
export function failuresOf(result: unknown, contexts: readonly MessageContext[]): Map<number, Error> {
  const failed = new Map<number, Error>();
  if (result === undefined || result === null) return failed;
  const failures = (result as { failures?: unknown }).failures;
  if (typeof result !== 'object' || !Array.isArray(failures)) throw new InvalidBatchResultError('is not a BatchResult');
  const positions = new Map(contexts.map((context, index) => [context.messageId, index]));
  for (const failure of failures as unknown[]) {
    const index = positionOf(failure, positions, contexts.length);
    const error = (failure as { error?: unknown }).error;
    failed.set(index, error === undefined ? new BatchItemFailedError() : toError(error));
  }
  return failed;
}

function positionOf(failure: unknown, positions: ReadonlyMap<string, number>, size: number): number {
  if (typeof failure !== 'object' || failure === null) throw new InvalidBatchResultError('lists a failure that is not an object');
  const { messageId, index } = failure as { messageId?: unknown; index?: unknown };
  if (typeof messageId === 'string') {
    const position = positions.get(messageId);
    if (position === undefined) throw new InvalidBatchResultError('names a message id that was not in the batch');
    return position;
  }
  if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < size) return index;
  throw new InvalidBatchResultError(`lists a failure with neither a message id of the batch nor an index from 0 to ${size - 1}`);
}

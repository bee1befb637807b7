import type { Type } from '@nestjs/common';
import { logSafe } from '../log-safe';
import { MelangeError } from './melange-error';

/** Python melange's JSON serializer writes this manifest for every message, whatever its type. */
const PYTHON_JSON_MANIFEST = 'json';

/**
 * Throw it from a handler when trying again cannot help (the message is wrong, not the world):
 * the message is dead-lettered at once instead of being retried.
 */
export class NonRetryableError extends MelangeError {}

/** The handler ran past `consumers.handlerTimeoutMs`; retried like any handler error. */
export class HandlerTimeoutError extends MelangeError {
  constructor(timeoutMs: number) {
    super(`handler did not finish within ${timeoutMs} ms (consumers.handlerTimeoutMs); it was not interrupted`);
  }
}

/** Stands for a message a batch handler reported as failed without giving an error of its own. */
export class BatchItemFailedError extends MelangeError {
  constructor() {
    super('the batch handler reported this message as failed');
  }
}

/**
 * A batch handler returned something that is not a `BatchResult`, or one naming a message that was
 * not in its batch: every message of the batch is retried, since none can be known to be handled.
 */
export class InvalidBatchResultError extends MelangeError {
  constructor(problem: string) {
    super(
      `the batch handler's result ${problem}; return nothing (all handled) or { failures: [{ messageId }] or [{ index }] } ` +
        `naming messages of the batch it was given. Every message of this batch is retried.`,
    );
  }
}

export class UnknownConsumerError extends MelangeError {
  constructor(queue: string, backend: string | undefined, known: readonly string[]) {
    super(
      `No consumer of queue "${queue}"${backend === undefined ? '' : ` on backend "${backend}"`} is running ` +
        `(running: ${known.join(', ') || 'none'}).`,
    );
  }
}

export class AmbiguousConsumerError extends MelangeError {
  constructor(queue: string, backends: readonly string[]) {
    super(`Queue "${queue}" is consumed on backends ${backends.map((name) => `"${name}"`).join(' and ')}; name the backend.`);
  }
}

export class UnroutableMessageError extends MelangeError {
  constructor(queue: string, manifest: string | undefined, known: readonly string[]) {
    super(
      manifest === undefined
        ? `Message on queue "${queue}" has no manifest attribute, so no handler can be chosen for it; ` +
          `an @OnAnyMessage handler on the queue would take it.`
        : manifest === PYTHON_JSON_MANIFEST
          ? `Message on queue "${queue}" has the manifest "json", which Python melange's JSON serializer writes ` +
            `for every type, so no typed handler can be chosen; an @OnAnyMessage handler on the queue would take it.`
          : `No handler on queue "${queue}" for message "${manifest}" (handled here: ${known.join(', ') || 'nothing'}). ` +
            `Add an @OnMessage handler for it, or register its class in MelangeModule's "messages" option ` +
            `if a handler of a base class should take it.`,
    );
  }
}

/** One request to the store went unanswered for as long as the message could still wait. */
export class IdempotencyStoreTimeoutError extends MelangeError {
  constructor(timeoutMs: number) {
    super(
      `The idempotency store did not answer within ${timeoutMs} ms. Check that it is reachable, and give its client a ` +
        `command timeout (ioredis: commandTimeout) so that a silent network fails fast.`,
    );
  }
}

export class UnknownSerializerIdError extends MelangeError {
  constructor(
    readonly serializerId: number,
    known: readonly number[],
  ) {
    super(
      `No serializer with id ${serializerId} is registered (known ids: ${known.join(', ') || 'none'}). ` +
        (serializerId === 2
          ? 'Id 2 is Python pickle, which only Python can read; publish this message with the JSON serializer.'
          : 'Register a serializer with this id in MelangeModule serialization.serializers.'),
    );
  }
}

/** A payload that is valid JSON but cannot become the handler's class: not an object. */
export class PayloadShapeError extends MelangeError {
  constructor(manifest: string | undefined, type: Type<unknown>, found: unknown) {
    super(
      `the payload of message "${logSafe(manifest ?? type.name)}" is ${shapeOf(found)}, not the JSON object ${type.name} is built from`,
    );
  }
}

function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.length} item(s))`;
  return `a ${typeof value}`;
}

/** Thrown by a Lambda handler for an SNS record that was not handled, so that Lambda's own retries apply. */
export class LambdaSnsRecordFailedError extends MelangeError {
  constructor(messageId: string, topic: string) {
    super(
      `SNS message ${logSafe(messageId)} from topic "${logSafe(topic)}" was not handled (the log line before this one says why); ` +
        `the invocation fails so that Lambda retries it (twice by default), then sends it to the function's on-failure destination or dead-letter queue if it has one.`,
    );
  }
}

import type { Type } from '@nestjs/common';
import type { PublishResult } from '../publishing/melange-publisher';
import type { MessageDestination } from '../messages/message.decorator';
import { logSafe } from '../log-safe';
import { describeThrown } from './describe-thrown';
import { MelangeError } from './melange-error';

export class NoDestinationError extends MelangeError {
  constructor(type: Type<unknown>) {
    super(
      `No destination for ${type.name}: pass { queue } or { topic } to publish(), or give the class a default ` +
        `with @Message('<name>', { destination: { topic: '...' } }) or MelangeModule's "destinations" option.`,
    );
  }
}

export class NotAMessageClassError extends MelangeError {
  constructor(given: string) {
    super(
      `publish() was given ${given}; publish an instance of a message class (new OrderPlaced(...)), ` +
        'whose class names the message type and rebuilds it on the consumer side.',
    );
  }
}

export class InvalidDestinationError extends MelangeError {
  constructor(type: Type<unknown>, destination: MessageDestination) {
    super(
      `The destination of ${type.name} has no queue or topic name (${JSON.stringify(destination)}); ` +
        `check the configuration it comes from, e.g. an environment variable that is not set.`,
    );
  }
}

export class SerializationError extends MelangeError {
  constructor(type: Type<unknown>, serializerId: number, cause: unknown) {
    super(`Serializer ${serializerId} could not serialize ${type.name}: ${describeThrown(cause)}`);
    this.cause = cause;
  }
}

export class PublishBatchError extends MelangeError {
  constructor(readonly results: ReadonlyArray<PromiseSettledResult<PublishResult>>) {
    const failed = results.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    super(
      `${failed.length} of ${results.length} messages were not published; the others were. ` +
        `First error: ${describeThrown(failed[0]?.reason)}`,
    );
  }
}

/** A message cannot be sent as it is: the broker would refuse it, so no request was made. */
export class MessageRejectedError extends MelangeError {
  constructor(
    readonly destination: string,
    readonly messageId: string,
    reason: string,
  ) {
    super(`Message ${logSafe(messageId)} for "${logSafe(destination)}" was not sent: ${reason}`);
  }
}

/** The broker refused a message, or the request carrying it failed. */
export class SendFailedError extends MelangeError {
  constructor(
    readonly destination: string,
    readonly messageId: string,
    readonly code: string,
    detail: string,
  ) {
    super(`Sending message ${logSafe(messageId)} to "${logSafe(destination)}" failed (${logSafe(code)}): ${logSafe(detail, 1000)}`);
  }
}

/**
 * A message is over the size its destination accepts and was not sent; no request was made.
 * `size` and `limit` are in bytes, body plus attributes, as SQS and SNS count them.
 */
export class MessageTooLargeError extends MessageRejectedError {
  constructor(
    destination: string,
    messageId: string,
    readonly size: number,
    readonly limit: number,
    kind: 'queue' | 'topic',
    offloading: boolean,
  ) {
    const where = kind === 'queue' ? 'an SQS queue' : 'an SNS topic';
    const advice = offloading
      ? 'even with its payload in S3 it does not fit: its attributes alone are too large'
      : 'offload large payloads to S3 with the SqsBackend option payloadOffloading: { bucket } ' +
        `(README, "Large messages"), or raise maxMessageBytes.${kind} if the ${kind}'s MaximumMessageSize allows more`;
    super(destination, messageId, `it is ${size} bytes (body plus attributes), over the limit of ${limit} bytes for ${where}; ${advice}`);
  }
}

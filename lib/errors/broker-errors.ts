import { logSafe } from '../log-safe';
import { describeThrown } from './describe-thrown';
import { MelangeError } from './melange-error';

/** Declared infrastructure conflicts with what exists on the broker, or is inconsistent in itself. */
export class InfrastructureError extends MelangeError {
  constructor(
    readonly resource: string,
    reason: string,
  ) {
    super(`Cannot declare "${resource}": ${reason}`);
  }
}

/** A queue or topic the library was asked to use does not exist on the broker. */
export class DestinationNotFoundError extends MelangeError {
  constructor(
    readonly destination: string,
    hint: string,
  ) {
    super(`"${destination}" does not exist on the broker: ${hint}`);
  }
}

/** The broker did not confirm that a handled message was deleted; it will be delivered again. */
export class AcknowledgeFailedError extends MelangeError {
  constructor(
    readonly queue: string,
    readonly messageId: string,
    readonly code: string,
    detail: string,
  ) {
    super(`Deleting handled message ${logSafe(messageId)} from queue "${queue}" failed (${logSafe(code)}): ${logSafe(detail, 1000)}; it will be delivered again`);
  }
}

/** The local SQS/SNS server for tests and demos could not be started. */
export class LocalServerError extends MelangeError {}

/** Declaring queues, topics or subscriptions failed while the application started; `cause` says why. */
export class InfrastructureDeclarationError extends MelangeError {
  constructor(what: string, backend: string, cause: unknown) {
    super(`Declaring ${what} on backend "${backend}" failed: ${describeThrown(cause)}`);
    this.cause = cause;
  }
}

/** The broker refused a request for lack of permission; `fallback` says what happens instead. */
export class MissingPermissionError extends MelangeError {
  constructor(
    readonly action: string,
    resource: string,
    fallback: string,
    cause: unknown,
  ) {
    super(`${action} on ${resource} was denied (${describeThrown(cause, { withName: true })}): ${fallback}. Grant ${action} to the function's role.`);
    this.cause = cause;
  }
}

/** The RabbitMQ broker did not answer; the URL is shown without its password. */
export class RabbitMqUnavailableError extends MelangeError {
  constructor(url: string, cause: unknown) {
    super(
      `RabbitMQ at ${logSafe(url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@'))} cannot be reached: ${logSafe(describeThrown(cause), 500)}. ` +
        `Check that the server runs (rabbitmq-server -detached) and that the URL, user and vhost are right.`,
    );
  }
}

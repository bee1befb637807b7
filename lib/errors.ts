/** Base class of every error the library throws, so callers can catch them as one family. */
export class MelangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** One line about anything thrown, for log lines and error messages. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A message cannot be sent as it is: the broker would refuse it, so no request was made. */
export class MessageRejectedError extends MelangeError {
  constructor(
    readonly destination: string,
    readonly messageId: string,
    reason: string,
  ) {
    super(`Message ${messageId} for "${destination}" was not sent: ${reason}`);
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
    super(`Sending message ${messageId} to "${destination}" failed (${code}): ${detail}`);
  }
}

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

/** The local SQS/SNS server for tests and demos could not be started. */
export class LocalServerError extends MelangeError {}

/** The broker did not confirm that a handled message was deleted; it will be delivered again. */
export class AcknowledgeFailedError extends MelangeError {
  constructor(
    readonly queue: string,
    readonly messageId: string,
    readonly code: string,
    detail: string,
  ) {
    super(`Deleting handled message ${messageId} from queue "${queue}" failed (${code}): ${detail}; it will be delivered again`);
  }
}

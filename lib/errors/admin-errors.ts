import { MelangeError } from './melange-error';

/** `MelangeAdmin.purge` was called without naming the queue again as its confirmation. */
export class PurgeNotConfirmedError extends MelangeError {
  constructor(readonly queue: string) {
    super(
      `Purging "${queue}" deletes every message on it and cannot be undone; it was not confirmed. ` +
        `Pass { confirm: '${queue}' } (the queue's name again) to purge it.`,
    );
  }
}

/** The backend holding the queue does not offer the admin operation asked for. */
export class AdminNotSupportedError extends MelangeError {
  constructor(
    readonly backend: string,
    operation: string,
  ) {
    super(
      `Backend "${backend}" cannot ${operation}: it offers no admin capability (an "admin" property implementing BackendAdmin). ` +
        `SqsBackend does; use the broker's own tools for this one.`,
    );
  }
}

/** A redrive was given options it cannot run with. */
export class InvalidRedriveError extends MelangeError {
  constructor(queue: string, reason: string) {
    super(`Cannot redrive "${queue}": ${reason}`);
  }
}

/** The queue is not one the application declares or consumes, nor does it exist on the broker. */
export class UnknownQueueError extends MelangeError {
  constructor(
    readonly queue: string,
    known: readonly string[],
  ) {
    super(`Queue "${queue}" does not exist on the broker. Queues this application knows: ${known.join(', ') || 'none'}.`);
  }
}

/** The CLI was called wrongly (exit code 2); the message says what to pass instead. */
export class CliUsageError extends MelangeError {}

import type { Delivery } from '../backends/messaging-backend';

/** One delivery on its way through the dispatcher, with what events and log lines need. */
export interface Attempt {
  readonly delivery: Delivery;
  readonly backend: string;
  readonly startedAt: number;
}

export type AttemptEvent = { messageId: string; manifest?: string; backend: string; queue: string; receiveCount: number };

/** Every message's, where something listens (MelangeAdmin's rates do): one object, no spread. */
export function handledEvent(attempt: Attempt): AttemptEvent & { durationMs: number } {
  const { envelope, queue, receiveCount } = attempt.delivery;
  const durationMs = elapsed(attempt);
  return { messageId: envelope.messageId, manifest: envelope.manifest, backend: attempt.backend, queue, receiveCount, durationMs };
}

/** Built only where an event is emitted: most apps listen to none on the message path. */
export function eventOf({ delivery, backend }: Attempt): AttemptEvent {
  const { envelope } = delivery;
  return { messageId: envelope.messageId, manifest: envelope.manifest, backend, queue: delivery.queue, receiveCount: delivery.receiveCount };
}

export function elapsed(attempt: Attempt): number {
  return performance.now() - attempt.startedAt;
}

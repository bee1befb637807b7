import { Injectable, Logger } from '@nestjs/common';
import { describeThrown } from '../errors';
import { logSafe } from '../log-safe';

interface MessageEvent {
  readonly messageId: string;
  readonly manifest?: string;
  readonly backend: string;
}

interface ConsumeEvent extends MessageEvent {
  readonly queue: string;
  readonly receiveCount: number;
}

export interface MelangeEventMap {
  published: MessageEvent & { readonly destination: string; readonly durationMs: number };
  'publish-failed': MessageEvent & { readonly destination: string; readonly error: unknown };
  received: ConsumeEvent;
  handled: ConsumeEvent & { readonly durationMs: number };
  retried: ConsumeEvent & { readonly durationMs: number; readonly delayMs: number; readonly reason: string };
  'dead-lettered': ConsumeEvent & { readonly durationMs: number; readonly reason: string };
  /** The message could not be decoded or routed; `dead-lettered`, `retried` or `discarded` follows. */
  'decode-failed': ConsumeEvent & { readonly reason: string };
  /** No handler takes it and `consumers.unroutable` is `'discard'`: deleted. */
  discarded: ConsumeEvent & { readonly reason: string };
  /** The idempotency store says it was handled already: deleted without running the handler. */
  duplicate: ConsumeEvent;
  /**
   * The outbox relay sent a stored message; `durationMs` runs from the row's insert.
   * `possibleDuplicate`: an earlier relay claimed it and ended without a recorded outcome, so it
   * may have been sent twice (with the same message id, which the consumer's idempotency removes).
   */
  'outbox-relayed': MessageEvent & { readonly destination: string; readonly durationMs: number; readonly possibleDuplicate: boolean };
  /** A stored message could not be sent; it stays in the outbox and is tried again after `delayMs` (null: parked). */
  'outbox-relay-failed': MessageEvent & { readonly destination: string; readonly error: unknown; readonly failures: number; readonly delayMs: number | null };
}

export type MelangeEventName = keyof MelangeEventMap;
export type MelangeEventListener<K extends MelangeEventName> = (event: MelangeEventMap[K]) => void;

/**
 * What happens to messages, as typed events with counts and durations, for metrics (Prometheus,
 * OpenTelemetry) or audit. Listeners run synchronously on the message path: keep them cheap.
 */
@Injectable()
export class MelangeEvents {
  private readonly logger = new Logger('Melange');
  private readonly listeners = new Map<MelangeEventName, Set<MelangeEventListener<never>>>();

  /** Returns a function that removes the listener. */
  on<K extends MelangeEventName>(event: K, listener: MelangeEventListener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as MelangeEventListener<never>);
    return () => set.delete(listener as MelangeEventListener<never>);
  }

  /** True when `event` has a listener: callers on the message path skip building a payload nobody reads. */
  has(event: MelangeEventName): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  emit<K extends MelangeEventName>(event: K, payload: MelangeEventMap[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as MelangeEventListener<K>)(payload);
      } catch (error) {
        // A broken metrics listener must not change what happens to the message.
        this.logger.error(`A "${event}" listener threw for message ${logSafe(payload.messageId)}: ${describeThrown(error)}`);
      }
    }
  }
}

import { Injectable } from '@nestjs/common';
import type { ConsumerHandle, ConsumerStatus } from '../backends/messaging-backend';
import { AmbiguousConsumerError, UnknownConsumerError } from '../errors';

/** One consumer the module started: a queue on a backend. */
export interface ConsumerInfo {
  readonly backend: string;
  readonly queue: string;
  /** The manifests its handlers take (`@OnAnyMessage` for the catch-all). */
  readonly manifests: readonly string[];
  readonly concurrency: number;
  readonly status: ConsumerStatus;
}

interface Entry {
  readonly backend: string;
  readonly queue: string;
  readonly manifests: readonly string[];
  readonly concurrency: number;
  readonly handle: ConsumerHandle;
}

/**
 * The consumers this module started, by backend and queue, to read their status and to pause,
 * resume or stop one at run time (a downstream rate limit, an incident), as `SchedulerRegistry`
 * does for `@nestjs/schedule`. Inject it anywhere the module is visible.
 */
@Injectable()
export class ConsumerRegistry {
  private readonly entries: Entry[] = [];

  list(): ConsumerInfo[] {
    return this.entries.map(({ handle, ...entry }) => ({ ...entry, status: handle.status() }));
  }

  /** `backend` may be left out when one backend consumes the queue. */
  status(queue: string, backend?: string): ConsumerStatus {
    return this.find(queue, backend).handle.status();
  }

  /** Stops receiving from the queue; handlers already running go on. */
  pause(queue: string, backend?: string): void {
    this.find(queue, backend).handle.pause();
  }

  resume(queue: string, backend?: string): void {
    this.find(queue, backend).handle.resume();
  }

  /** Drains and stops the consumer for good (until the application restarts). */
  stop(queue: string, backend?: string): Promise<void> {
    return this.find(queue, backend).handle.stop();
  }

  /** @internal The orchestrator adds what it starts. */
  add(entry: Entry): void {
    this.entries.push(entry);
  }

  /** @internal The orchestrator takes them all back at shutdown. */
  takeAll(): Entry[] {
    return this.entries.splice(0);
  }

  private find(queue: string, backend: string | undefined): Entry {
    const matches = this.entries.filter((entry) => entry.queue === queue && (backend === undefined || entry.backend === backend));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new AmbiguousConsumerError(queue, matches.map((entry) => entry.backend));
    throw new UnknownConsumerError(queue, backend, this.entries.map((entry) => `"${entry.queue}" on "${entry.backend}"`));
  }
}

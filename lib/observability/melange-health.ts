import { Injectable } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import type { ConsumerStatus } from '../backends/messaging-backend';
import { describeThrown } from '../errors';
import { ConsumerRegistry } from '../consuming/consumer-registry';

export interface HealthOptions {
  /**
   * A pull consumer that has completed no receive for this long is reported stuck. Long polls
   * return at least every 20 s, so the default of 2 minutes leaves room. Default 120 000 ms.
   */
  readonly stuckAfterMs?: number;
}

export interface BackendHealth {
  readonly up: boolean;
  readonly error?: string;
}

export interface ConsumerHealth extends ConsumerStatus {
  readonly up: boolean;
  /** Why it is down, when it is. */
  readonly reason?: string;
}

export interface MelangeHealthReport {
  readonly healthy: boolean;
  readonly backends: Readonly<Record<string, BackendHealth>>;
  /** By backend name, then queue name: one queue name may be consumed on two brokers. */
  readonly consumers: Readonly<Record<string, Readonly<Record<string, ConsumerHealth>>>>;
}

const DEFAULT_STUCK_AFTER_MS = 120_000;

/**
 * Whether each backend answers and each consumer is running: not stopped, not failing to
 * receive, not stuck. `nestjs-melange/health` turns this into a @nestjs/terminus indicator.
 */
@Injectable()
export class MelangeHealth {
  constructor(
    private readonly backends: BackendRegistry,
    private readonly consumerRegistry: ConsumerRegistry,
  ) {}

  async check(options: HealthOptions = {}): Promise<MelangeHealthReport> {
    const stuckAfterMs = options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
    const backendEntries = await Promise.all(
      this.backends.names().map(async (name): Promise<[string, BackendHealth]> => {
        try {
          await this.backends.get(name, 'The health check').checkHealth();
          return [name, { up: true }];
        } catch (error) {
          return [name, { up: false, error: describeThrown(error) }];
        }
      }),
    );
    const consumers: Record<string, Record<string, ConsumerHealth>> = {};
    let consumersUp = true;
    for (const { queue, backend, status } of this.consumerRegistry.list()) {
      const reason = downReason(status, stuckAfterMs);
      consumersUp &&= reason === undefined;
      (consumers[backend] ??= {})[queue] = { ...status, up: reason === undefined, reason };
    }
    const backends = Object.fromEntries(backendEntries);
    const healthy = backendEntries.every(([, health]) => health.up) && consumersUp;
    return { healthy, backends, consumers };
  }
}

/** A paused consumer is up: it was paused on purpose, and resumes when asked. */
function downReason(status: ConsumerStatus, stuckAfterMs: number): string | undefined {
  if (status.state === 'paused') return undefined;
  if (status.state !== 'running') return `consumer is ${status.state}`;
  if (status.failing) return `receiving fails: ${status.lastError ?? 'unknown error'}`;
  if (!status.saturated && status.lastPollAt !== undefined && Date.now() - status.lastPollAt > stuckAfterMs) {
    return `no receive completed for ${Math.round((Date.now() - status.lastPollAt) / 1000)} s`;
  }
  return undefined;
}

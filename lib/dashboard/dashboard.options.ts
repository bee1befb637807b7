import type { CanActivate, Type } from '@nestjs/common';

export interface MelangeDashboardOptions {
  /** Where the page is served, under the app's global prefix. Default `melange`. */
  readonly path?: string;
  /**
   * Decides who may see and operate the queues: a `CanActivate` class (built by Nest, so its own
   * dependencies must be visible to this module, e.g. global) or an instance. Required unless
   * `public` is true.
   */
  readonly guard?: Type<CanActivate> | CanActivate;
  /** Mount without a guard, on purpose (a network that only operators reach, a local demo). */
  readonly public?: boolean;
  /** Show message payloads in the dead-letter browser. Default false: payloads may hold personal data. */
  readonly showPayloads?: boolean;
  /** Most dead-lettered messages listed at once. Default 50. */
  readonly peekMax?: number;
  /** How often the page refreshes its tables, in ms. Default 5000. */
  readonly refreshMs?: number;
}

export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly showPayloads: boolean;
  readonly peekMax: number;
  readonly refreshMs: number;
}

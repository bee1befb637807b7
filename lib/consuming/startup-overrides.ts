/**
 * Provided (globally) by a host that runs handlers itself instead of through consumers, such as
 * the AWS Lambda entry point: what it sets wins over the module's own options, so one AppModule
 * serves both the long-running worker and the function unchanged.
 */
export const MELANGE_STARTUP_OVERRIDES = Symbol('MELANGE_STARTUP_OVERRIDES');

export interface StartupOverrides {
  /** Start a consumer per queue at bootstrap (the module's `startConsumers`). */
  readonly startConsumers?: boolean;
  /** Declare the module's infrastructure at bootstrap (the module's `autoCreate`). */
  readonly autoCreate?: boolean;
  /** Start the outbox relay at bootstrap (the module's `outbox.relay` not being false). */
  readonly startOutboxRelay?: boolean;
}

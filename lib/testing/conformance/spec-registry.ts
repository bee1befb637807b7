import type { ConformanceCapability, BackendConformanceOptions } from './conformance-options';
import { ConformanceHarness } from './conformance-harness';
import type { SpecRunner } from './test-globals';

/** Generous: a spec's own waits are bounded by `deliveryTimeoutMs`; this only catches a hang. */
const SPEC_TIMEOUT_MS = 60_000;

export interface SpecRequirements {
  /** The capability the spec checks; skipped with the backend's reason when it lacks it. */
  readonly capability?: ConformanceCapability;
  /** A helper the spec needs, by option name; skipped when it was not given. */
  readonly helper?: 'putHostileMessages' | 'createUnreachable';
}

/** Registers one spec per call, each with a harness of its own, skipped with a reason where it must be. */
export class SpecRegistry {
  private current?: ConformanceHarness;

  constructor(
    private readonly runner: SpecRunner,
    readonly options: BackendConformanceOptions,
  ) {
    runner.afterEach(async () => {
      const harness = this.current;
      this.current = undefined;
      await harness?.dispose();
    }, SPEC_TIMEOUT_MS);
  }

  group(name: string, register: () => void): void {
    this.runner.describe(name, register);
  }

  spec(title: string, body: (harness: ConformanceHarness) => Promise<void>, needs: SpecRequirements = {}): void {
    const skipReason = this.skipReason(needs);
    if (skipReason !== undefined) {
      this.runner.it.skip(`${title} (skipped: ${skipReason})`, async () => undefined);
      return;
    }
    this.runner.it(
      title,
      async () => {
        this.current = await ConformanceHarness.open(this.options);
        await body(this.current);
      },
      SPEC_TIMEOUT_MS,
    );
  }

  private skipReason(needs: SpecRequirements): string | undefined {
    if (needs.capability !== undefined) {
      const reason = this.options.unsupported?.[needs.capability];
      if (reason !== undefined) return `${this.options.name} does not support ${needs.capability}: ${reason}`;
    }
    if (needs.helper !== undefined && this.options[needs.helper] === undefined) {
      return `no ${needs.helper} helper was given to describeBackendConformance`;
    }
    return undefined;
  }
}

import type { BackendConformanceOptions } from './conformance-options';
import { specRunner as specRunnerFor } from './test-globals';
import { SpecRegistry } from './spec-registry';
import { concurrencySpecs } from './specs/concurrency.specs';
import { deadLetterSpecs } from './specs/dead-letter.specs';
import { declarationSpecs } from './specs/declarations.specs';
import { fanOutSpecs } from './specs/fan-out.specs';
import { hostileInputSpecs } from './specs/hostile-input.specs';
import { lifecycleSpecs } from './specs/lifecycle.specs';
import { orderingSpecs } from './specs/ordering.specs';
import { redeliverySpecs } from './specs/redelivery.specs';
import { roundTripSpecs } from './specs/round-trip.specs';

/**
 * Registers, in the calling spec file, the specs every `MessagingBackend` must pass for the
 * library to work on it: what the dispatcher, the orchestrator, the health check and the
 * consumer registry rely on. Call it at the top level of a Jest spec file (it uses the global
 * describe/it/afterEach). Capabilities the backend lacks are declared in `unsupported` and show up
 * as skipped specs with the reason.
 */
export function describeBackendConformance(options: BackendConformanceOptions): void {
  const runner = specRunnerFor();
  runner.describe(`MessagingBackend conformance: ${options.name}`, () => {
    const specs = new SpecRegistry(runner, options);
    specs.group('round trips', () => roundTripSpecs(specs));
    specs.group('topics', () => fanOutSpecs(specs));
    specs.group('redelivery and retries', () => redeliverySpecs(specs));
    specs.group('dead-lettering', () => deadLetterSpecs(specs));
    specs.group('concurrency', () => concurrencySpecs(specs));
    specs.group('ordered groups', () => orderingSpecs(specs));
    specs.group('stop, pause and resume', () => lifecycleSpecs(specs));
    specs.group('declarations and health', () => declarationSpecs(specs));
    specs.group('hostile input', () => hostileInputSpecs(specs));
  });
}

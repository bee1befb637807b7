/**
 * The kit registers specs through the runner's globals instead of importing Jest, so that the
 * library's build needs no Jest types and any runner with Jest-style globals (Jest, Vitest with
 * `globals: true`) can run it.
 */
export type SpecBody = () => Promise<void>;

export interface SpecRunner {
  describe(name: string, body: () => void): void;
  it: ((name: string, body: SpecBody, timeoutMs?: number) => void) & { skip(name: string, body: SpecBody): void };
  afterEach(body: () => Promise<void>, timeoutMs?: number): void;
}

export function specRunner(): SpecRunner {
  const globals = globalThis as Partial<SpecRunner>;
  const { describe, it, afterEach } = globals;
  if (typeof describe !== 'function' || typeof it !== 'function' || typeof it.skip !== 'function' || typeof afterEach !== 'function') {
    throw new Error(
      'describeBackendConformance registers specs with the test runner\'s global describe/it/afterEach, and they are not defined here: ' +
        'call it at the top level of a spec file run by Jest (or Vitest with globals: true).',
    );
  }
  return { describe, it, afterEach };
}

import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import { describeThrown } from '../../lib/errors';

/**
 * Jest's node environment, failing the running test when the worker process sees an unhandled
 * rejection or an uncaught exception (and the file, when one comes after its last test). The
 * library promises that nothing a message carries or a handler throws produces either; with this
 * environment every spec checks that promise, whatever a Jest version does with them itself.
 *
 * The listeners go on the worker's real `process` (a spec sees only a copy) once the run has
 * started, because jest-circus sets aside the listeners it finds when it installs its own.
 */
export default class StrictNodeEnvironment extends NodeEnvironment {
  private readonly seen: string[] = [];
  private readonly onRejection = (error: unknown): void => this.record('unhandled rejection', error);
  private readonly onException = (error: unknown): void => this.record('uncaught exception', error);

  async handleTestEvent(event: Circus.Event, state: Circus.State): Promise<void> {
    if (event.name === 'run_start') {
      process.on('unhandledRejection', this.onRejection);
      process.on('uncaughtException', this.onException);
    } else if (event.name === 'test_done') {
      const failure = this.takeFailure('this test');
      if (failure) event.test.errors.push(failure);
    } else if (event.name === 'run_finish') {
      const failure = this.takeFailure('the file\'s hooks');
      if (failure) state.unhandledErrors.push(failure);
    }
  }

  override async teardown(): Promise<void> {
    // What the file's last moments left behind (an app closed in afterAll) surfaces by now.
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.off('unhandledRejection', this.onRejection);
    process.off('uncaughtException', this.onException);
    await super.teardown();
    const failure = this.takeFailure('the file\'s last moments');
    if (failure) throw failure;
  }

  private record(kind: string, error: unknown): void {
    this.seen.push(`${kind}: ${describeThrown(error, { withName: true })}`);
  }

  private takeFailure(during: string): Error | undefined {
    if (this.seen.length === 0) return undefined;
    const found = this.seen.splice(0);
    return new Error(`The process saw ${found.length} unhandled rejection(s) or uncaught exception(s) during ${during}:\n  ${found.join('\n  ')}`);
  }
}

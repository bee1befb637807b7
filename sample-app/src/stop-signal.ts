/**
 * Why the process was asked to stop: a signal, or the exit of the process that started it.
 *
 * `npm run sample` starts the app under `sh -c`. npm passes SIGTERM and SIGINT to that shell,
 * which ends without passing them on, and a killed npm leaves the shell behind; either way the
 * app only sees that its parent changed (it is re-parented). Watching the parent's id is the one
 * portable way to notice, so a stopped `npm run` never leaves the app holding its port.
 */
export type StopReason = NodeJS.Signals | 'parent exited';

const PARENT_CHECK_MS = 500;

/**
 * Resolves on the first SIGINT, SIGTERM or parent exit. From then on a second signal ends the
 * process at once, for a drain that takes too long.
 */
export function stopRequested(): Promise<StopReason> {
  return new Promise<StopReason>((resolve) => {
    const parent = process.ppid;
    const onSignal = (signal: NodeJS.Signals): void => stop(signal);
    // Unref'd: waiting for a stop must not be what keeps the process alive.
    const watch = setInterval(() => {
      if (process.ppid !== parent) stop('parent exited');
    }, PARENT_CHECK_MS).unref();
    const stop = (reason: StopReason): void => {
      clearInterval(watch);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(reason);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

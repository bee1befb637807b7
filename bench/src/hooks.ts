/**
 * Called when the measured span of a run starts and ends (first and last message handled, first
 * publish call and last acknowledgement). The profiler (src/profile.ts) uses them to record only
 * that span; otherwise they do nothing.
 */
export const measured = {
  start: (): void => undefined,
  stop: (): void => undefined,
};

/**
 * One line per message group: a group's messages run one at a time, in the order the broker
 * delivered them, while other groups' lines run beside it.
 */
export class GroupLines {
  private readonly tails = new Map<string, Promise<void>>();

  run(group: string, job: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(group) ?? Promise.resolve();
    // A job that fails must not stop its group's line, nor surface as an unhandled rejection.
    const next = previous.then(job).catch(() => undefined);
    this.tails.set(group, next);
    void next.finally(() => {
      if (this.tails.get(group) === next) this.tails.delete(group);
    });
    return next;
  }
}

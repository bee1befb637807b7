/**
 * Received messages of FIFO groups, in order, one group's messages running one after the other.
 * `enter` answers whether the caller must start the group's line (it had none) or the message
 * joined a line already running.
 */
export class FifoLines<T> {
  private readonly lines = new Map<string, T[]>();

  /** True when `groupId` had no line: the caller starts one and drains it with `next`. */
  enter(groupId: string, item: T): boolean {
    const line = this.lines.get(groupId);
    if (line) {
      line.push(item);
      return false;
    }
    this.lines.set(groupId, [item]);
    return true;
  }

  /** The group's next message, or undefined (and the line closed) when none is left. */
  next(groupId: string): T | undefined {
    const line = this.lines.get(groupId);
    const item = line?.shift();
    if (item === undefined) this.lines.delete(groupId);
    return item;
  }

  /** Closes the group's line and returns what still waited in it. */
  close(groupId: string): T[] {
    const rest = this.lines.get(groupId) ?? [];
    this.lines.delete(groupId);
    return rest;
  }
}

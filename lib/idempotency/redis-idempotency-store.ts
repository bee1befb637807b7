import type { IdempotencyStore } from './idempotency-store';

/** The few commands the store needs, as ioredis (and node-redis v4 in legacy mode) spell them. */
export interface RedisCommands {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, px: 'PX', milliseconds: number): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

const IN_PROGRESS = 'in-progress';
const DONE = 'done';

/**
 * Shared by every consumer process through Redis: the claim is one atomic `SET key NX PX`, so two
 * processes receiving the same message cannot both start it.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: RedisCommands,
    private readonly prefix = 'melange:handled:',
  ) {}

  async begin(key: string, leaseMs: number): Promise<'started' | 'in-progress' | 'done'> {
    const claimed = await this.redis.set(this.prefix + key, IN_PROGRESS, 'PX', leaseMs, 'NX');
    if (claimed === 'OK') return 'started';
    // Read after a failed claim; if the key expired in between, reporting 'in-progress' only
    // delays the message to its next delivery, which claims it.
    return (await this.redis.get(this.prefix + key)) === DONE ? 'done' : 'in-progress';
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, DONE, 'PX', ttlMs);
  }

  async abandon(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

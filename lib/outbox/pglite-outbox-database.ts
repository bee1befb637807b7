import type { OutboxDatabase, OutboxRow } from './outbox-database';

/** The part of a PGlite instance the relay uses; declared here so `@electric-sql/pglite` stays an optional peer. */
export interface PGliteLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  transaction<T>(work: (transaction: { query(text: string, params?: unknown[]): Promise<unknown> }) => Promise<T>): Promise<T>;
}

/**
 * The outbox relay's database on PGlite (PostgreSQL compiled to WebAssembly, in-process): for
 * development and demos without a server. One connection, so relays in other processes cannot
 * share it; use a real server with `pgOutboxDatabase` for that.
 */
export function pgliteOutboxDatabase(db: PGliteLike): OutboxDatabase {
  return {
    async query(text, values) {
      const result = await db.query(text, [...values]);
      return result.rows as OutboxRow[];
    },
    // PGlite's notifications stay in the process, so the listening "connection" cannot be lost.
    listen: (channel, onNotify) => db.listen(channel, () => onNotify()),
    transaction: (work) => db.transaction((transaction) => work(transaction)),
  };
}

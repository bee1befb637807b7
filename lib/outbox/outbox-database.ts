/**
 * A connection inside the caller's open transaction. node-postgres clients (`PoolClient`,
 * `Client`), TypeORM's `EntityManager` and `QueryRunner`, and PGlite's transaction all have this
 * method, so `publish(message, { transaction })` takes any of them as they are.
 */
export interface OutboxTransaction {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** Rows as the relay reads them; each adapter turns its driver's result into this. */
export type OutboxRow = Readonly<Record<string, unknown>>;

/**
 * What the relay needs from the database: single statements in autocommit (a claim is one
 * `UPDATE … RETURNING`, so no transaction is held open while messages travel to the broker) and,
 * when the driver can, notifications. `pgOutboxDatabase(pool)` adapts node-postgres; another
 * driver is a page of code (see the README).
 */
export interface OutboxDatabase {
  query(text: string, values: readonly unknown[]): Promise<OutboxRow[]>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` until the returned function is called, and
   * `onLost` if the listening connection fails (the relay then polls and listens again later).
   * Without it, the relay only polls.
   */
  listen?(channel: string, onNotify: () => void, onLost: (error: unknown) => void): Promise<() => Promise<void>>;
  /**
   * Runs `work` in a transaction on one connection: commits when it resolves, rolls back when it
   * throws. Needed by inbox handlers, which run inside it.
   */
  transaction?<T>(work: (transaction: OutboxTransaction) => Promise<T>): Promise<T>;
}

import { OutboxConfigurationError } from '../errors';
import type { OutboxDatabase, OutboxTransaction } from './outbox-database';
import { inboxTable } from './outbox-schema';

/**
 * Exactly-once effects for handlers marked `inbox: true`: the handler runs inside a database
 * transaction that also records the message's key, and the message is acknowledged only after
 * that transaction commits. A redelivery finds the key committed and is deleted unhandled; a
 * delivery running beside another of the same message waits on the key's row until the first
 * commits (then it is a duplicate) or rolls back (then it runs).
 */
export class Inbox {
  private readonly table: string;
  private readonly transaction: NonNullable<OutboxDatabase['transaction']>;

  constructor(
    private readonly database: OutboxDatabase,
    schema: string,
  ) {
    if (!database.transaction) {
      throw new OutboxConfigurationError(
        'Inbox handlers run in a database transaction, and the outbox database has no transaction() method; ' +
          'use pgOutboxDatabase(pool) or pgliteOutboxDatabase(db), or add transaction() to your adapter.',
      );
    }
    this.transaction = database.transaction.bind(database);
    this.table = inboxTable(schema);
  }

  /** Runs `handle` in a transaction that records `key`; 'duplicate' when the key was committed before. */
  run(key: string, handle: (transaction: OutboxTransaction) => Promise<void>): Promise<'handled' | 'duplicate'> {
    return this.transaction(async (transaction) => {
      const inserted = await transaction.query(`INSERT INTO ${this.table} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`, [key]);
      if (rowCount(inserted) === 0) return 'duplicate';
      await handle(transaction);
      return 'handled';
    });
  }

  async prune(olderThanMs: number): Promise<void> {
    await this.database.query(`DELETE FROM ${this.table} WHERE handled_at < now() - $1::bigint * interval '1 millisecond'`, [olderThanMs]);
  }
}

/** node-postgres and PGlite answer `{ rows }`, TypeORM the rows themselves. */
function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? rows.length : 0;
}

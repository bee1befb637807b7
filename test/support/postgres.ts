import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { pgOutboxDatabase, type OutboxTransaction } from '../../lib';
import { DATABASE_URL } from './local-postgres';

export { DATABASE_URL };

/**
 * A schema of its own on the server for one spec file, so spec files share the server without
 * seeing each other's rows; dropped by `close()`.
 */
export class TestDatabase {
  readonly schema = `melange_${randomUUID().slice(0, 8)}`;
  readonly pool = new Pool({ connectionString: DATABASE_URL, max: 10 });
  readonly outbox = pgOutboxDatabase(this.pool);

  async create(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA "${this.schema}"`);
  }

  /** Runs `work` in a transaction on one client and commits, or rolls back when it throws: the library's own adapter. */
  transaction<T>(work: (transaction: OutboxTransaction) => Promise<T>): Promise<T> {
    return this.outbox.transaction!(work);
  }

  async rows(table: string, where = 'true'): Promise<Array<Record<string, unknown>>> {
    return (await this.pool.query(`SELECT * FROM "${this.schema}"."${table}" WHERE ${where} ORDER BY 1`)).rows;
  }

  async close(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.pool.end();
  }
}

import type { OutboxDatabase, OutboxRow, OutboxTransaction } from './outbox-database';
import { pgOutboxDatabase, type PgPoolLike } from './pg-outbox-database';

/** The part of a TypeORM `DataSource` (postgres driver) the relay uses; declared here so `typeorm` stays an optional peer. */
export interface TypeOrmDataSourceLike {
  createQueryRunner(): {
    query(query: string, parameters: unknown[] | undefined, useStructuredResult: true): Promise<{ records?: unknown[] }>;
    release(): Promise<void>;
  };
  transaction<T>(run: (manager: OutboxTransaction) => Promise<T>): Promise<T>;
  /** The postgres driver keeps its node-postgres pool in `master`; the relay LISTENs on it. */
  readonly driver: object;
}

/**
 * The outbox relay's database on a TypeORM DataSource of the postgres driver, the one
 * `@nestjs/typeorm` gives: statements through query runners (with structured results, since
 * `DataSource.query` answers an UPDATE with `[rows, count]`), transactions through
 * `DataSource.transaction` (their `EntityManager` is what inbox handlers get as
 * `context.transaction`), and LISTEN on the driver's own pool.
 */
export function typeormOutboxDatabase(dataSource: TypeOrmDataSourceLike): OutboxDatabase {
  const pool = (dataSource.driver as { master?: unknown }).master;
  const listen = isPgPool(pool) ? pgOutboxDatabase(pool).listen : undefined;
  return {
    async query(text, values) {
      const runner = dataSource.createQueryRunner();
      try {
        return ((await runner.query(text, [...values], true)).records ?? []) as OutboxRow[];
      } finally {
        await runner.release();
      }
    },
    listen,
    transaction: (work) => dataSource.transaction((manager) => work(manager)),
  };
}

function isPgPool(value: unknown): value is PgPoolLike {
  const pool = value as Partial<PgPoolLike> | null | undefined;
  return typeof pool?.connect === 'function' && typeof pool.query === 'function';
}

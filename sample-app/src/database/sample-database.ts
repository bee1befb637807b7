import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PGlite } from '@electric-sql/pglite';
import { Pool } from 'pg';
import { pgliteOutboxDatabase, pgOutboxDatabase, type OutboxDatabase, type OutboxTransaction } from '../melange';
import { DATABASE_URL_SETTING, redactedUrl } from '../settings';

/** A statement's rows, whichever driver ran it. */
type Rows = Array<Record<string, unknown>>;

/**
 * The orders' database, which the outbox shares so that an order and its OrderPlaced commit
 * together. With DATABASE_URL it is that PostgreSQL server; without, PGlite: PostgreSQL compiled
 * to WebAssembly, in this process and in memory, so the sample needs nothing installed (and
 * forgets its orders when it stops).
 */
@Injectable()
export class SampleDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly pool?: Pool;
  private readonly pglite?: PGlite;
  readonly outbox: OutboxDatabase;
  /** The PostgreSQL schema of the sample's tables (and the outbox's). */
  readonly schema: string;

  constructor(config: ConfigService) {
    const url = config.get<string>(DATABASE_URL_SETTING);
    this.schema = config.get<string>('DATABASE_SCHEMA') || 'public';
    if (url) {
      this.pool = new Pool({ connectionString: url, max: 10 });
      this.outbox = pgOutboxDatabase(this.pool);
    } else {
      this.pglite = new PGlite();
      this.outbox = pgliteOutboxDatabase(this.pglite);
    }
    this.logger.log(url ? `PostgreSQL at ${redactedUrl(url)}, schema "${this.schema}"` : 'PGlite (in-process PostgreSQL, in memory): set DATABASE_URL for a server');
  }

  async query(text: string, values: unknown[] = []): Promise<Rows> {
    return (await this.outbox.query(text, values)) as Rows;
  }

  /** Runs `work` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (transaction: OutboxTransaction) => Promise<T>): Promise<T> {
    return this.outbox.transaction!(work);
  }

  /** After the outbox relay and the consumers have stopped (they stop before shutdown hooks run). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool?.end();
    await this.pglite?.close();
  }
}

/** Rows of a statement run inside a transaction, from node-postgres (`{ rows }`) or PGlite (`{ rows }`). */
export function rowsOf(result: unknown): Rows {
  return ((result as { rows?: Rows } | null)?.rows ?? []) as Rows;
}

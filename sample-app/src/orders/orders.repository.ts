import { Injectable, type OnModuleInit } from '@nestjs/common';
import { rowsOf, SampleDatabase } from '../database/sample-database';
import { MelangeOutbox, type OutboxTransaction } from '../melange';
import type { Order } from './order';

/** Orders as JSON documents in one table; the outbox's tables sit beside it. */
@Injectable()
export class OrdersRepository implements OnModuleInit {
  private readonly table: string;

  constructor(
    private readonly database: SampleDatabase,
    private readonly outbox: MelangeOutbox,
  ) {
    this.table = `"${database.schema}".sample_orders`;
  }

  /**
   * A real service runs this in its migrations; the sample creates its tables at start-up, before
   * the outbox relay starts (at application bootstrap).
   */
  async onModuleInit(): Promise<void> {
    await this.database.query(`CREATE SCHEMA IF NOT EXISTS "${this.database.schema}"`);
    await this.database.query(`CREATE TABLE IF NOT EXISTS ${this.table} (id text PRIMARY KEY, doc jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await this.outbox.migrate();
  }

  async insert(transaction: OutboxTransaction, order: Order): Promise<void> {
    await transaction.query(`INSERT INTO ${this.table} (id, doc) VALUES ($1, $2::jsonb)`, [order.id, JSON.stringify(order)]);
  }

  async find(id: string): Promise<Order | undefined> {
    const [row] = await this.database.query(`SELECT doc FROM ${this.table} WHERE id = $1`, [id]);
    return row ? documentOf(row.doc) : undefined;
  }

  async list(): Promise<Order[]> {
    return (await this.database.query(`SELECT doc FROM ${this.table} ORDER BY created_at, id`)).map((row) => documentOf(row.doc));
  }

  /** Changes one order under a row lock: two payment events for one order cannot interleave. */
  update(id: string, change: (order: Order) => void): Promise<Order | undefined> {
    return this.database.transaction(async (transaction) => {
      const [row] = rowsOf(await transaction.query(`SELECT doc FROM ${this.table} WHERE id = $1 FOR UPDATE`, [id]));
      if (!row) return undefined;
      const order = documentOf(row.doc);
      change(order);
      await transaction.query(`UPDATE ${this.table} SET doc = $2::jsonb WHERE id = $1`, [id, JSON.stringify(order)]);
      return order;
    });
  }
}

function documentOf(doc: unknown): Order {
  return (typeof doc === 'string' ? JSON.parse(doc) : doc) as Order;
}

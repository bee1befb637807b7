import type { SendOptions } from '../backends/messaging-backend';
import type { Envelope } from '../messages/envelope';
import type { OutboxDatabase, OutboxRow, OutboxTransaction } from './outbox-database';
import { OUTBOX_CHANNEL, outboxTable } from './outbox-schema';

export interface OutboxEntry {
  readonly backend: string;
  readonly kind: 'queue' | 'topic';
  readonly destination: string;
  readonly envelope: Envelope;
  readonly options: SendOptions;
}

/** A row the relay has claimed, as it goes back to the broker. */
export interface ClaimedMessage extends OutboxEntry {
  readonly id: string;
  /** Epoch ms at which the row was written. */
  readonly createdAt: number;
  /** Sends that failed before this claim. */
  readonly failures: number;
  /** An earlier claim ended without a recorded outcome (its relay died or overran its lease): it may have been sent. */
  readonly possibleDuplicate: boolean;
}

const COLUMNS = 'backend, destination_kind, destination, message_id, manifest, serializer_id, payload, attributes, group_id, deduplication_id, delay_seconds';
const VALUES = '$1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::text, $8::jsonb, $9::text, $10::text, $11::integer';

/** The outbox's SQL: storing inside the caller's transaction, claiming, and recording outcomes. */
export class OutboxStore {
  private readonly table: string;

  constructor(readonly schema: string) {
    this.table = outboxTable(schema);
  }

  /**
   * Inserts the message inside the caller's transaction; the notification is delivered only if it
   * commits. Messages of one FIFO group take a transaction-scoped lock on the group first, so
   * their ids follow the order their transactions commit in, which is the order they are sent in.
   */
  async store(transaction: OutboxTransaction, entry: OutboxEntry): Promise<void> {
    const { envelope, options } = entry;
    const values: unknown[] = [
      entry.backend,
      entry.kind,
      entry.destination,
      envelope.messageId,
      envelope.manifest ?? null,
      envelope.serializerId ?? null,
      envelope.payload,
      JSON.stringify(envelope.attributes),
      options.groupId ?? null,
      options.deduplicationId ?? null,
      options.delaySeconds ?? null,
      this.schema,
    ];
    if (options.groupId === undefined) {
      await transaction.query(
        `WITH stored AS (INSERT INTO ${this.table} (${COLUMNS}) VALUES (${VALUES}) RETURNING id) ` +
          `SELECT pg_notify('${OUTBOX_CHANNEL}', $12::text) FROM stored`,
        values,
      );
      return;
    }
    values.push(`${entry.backend}/${entry.destination}/${options.groupId}`);
    await transaction.query(
      `WITH stored AS (INSERT INTO ${this.table} (${COLUMNS}) SELECT ${VALUES} ` +
        `FROM (SELECT pg_advisory_xact_lock(hashtextextended($13::text, 0))) AS group_lock RETURNING id) ` +
        `SELECT pg_notify('${OUTBOX_CHANNEL}', $12::text) FROM stored`,
      values,
    );
  }

  /**
   * Reserves up to `limit` due rows for `leaseMs`, skipping rows another relay holds. A row of a
   * FIFO group is due only once every earlier row of its group is sent, so a group's messages
   * leave one at a time, in order, whichever relay takes them.
   */
  async claim(database: OutboxDatabase, limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
    const rows = await database.query(
      `UPDATE ${this.table} AS o SET claims = o.claims + 1, available_at = now() + $2::integer * interval '1 millisecond' ` +
        `WHERE o.id IN (SELECT c.id FROM ${this.table} AS c WHERE c.sent_at IS NULL AND c.available_at <= now() ` +
        `AND (c.group_id IS NULL OR NOT EXISTS (SELECT 1 FROM ${this.table} AS e WHERE e.sent_at IS NULL ` +
        `AND e.backend = c.backend AND e.destination = c.destination AND e.group_id = c.group_id AND e.id < c.id)) ` +
        `ORDER BY c.id LIMIT $1::integer FOR UPDATE SKIP LOCKED) ` +
        `RETURNING o.id::text AS id, (extract(epoch FROM o.created_at) * 1000)::float8 AS created_ms, o.claims, o.failures, ` +
        `o.backend, o.destination_kind, o.destination, o.message_id, o.manifest, o.serializer_id, o.payload, o.attributes, ` +
        `o.group_id, o.deduplication_id, o.delay_seconds`,
      [limit, leaseMs],
    );
    return rows.map(toClaimed).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async markSent(database: OutboxDatabase, ids: readonly string[], keep: boolean): Promise<void> {
    if (ids.length === 0) return;
    await database.query(
      keep
        ? `UPDATE ${this.table} SET sent_at = now() WHERE id = ANY($1::bigint[])`
        : `DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`,
      [ids],
    );
  }

  /** Records failed sends; a row with `delayMs` of null is parked until someone resets it. */
  async markFailed(database: OutboxDatabase, failures: ReadonlyArray<{ id: string; delayMs: number | null; error: string }>): Promise<void> {
    if (failures.length === 0) return;
    await database.query(
      `UPDATE ${this.table} AS o SET failures = o.failures + 1, last_error = f.error, ` +
        `available_at = CASE WHEN f.delay_ms IS NULL THEN 'infinity'::timestamptz ELSE now() + f.delay_ms * interval '1 millisecond' END ` +
        `FROM unnest($1::bigint[], $2::integer[], $3::text[]) AS f(id, delay_ms, error) WHERE o.id = f.id`,
      [failures.map((f) => f.id), failures.map((f) => f.delayMs), failures.map((f) => f.error)],
    );
  }

  async deleteSentBefore(database: OutboxDatabase, keepMs: number): Promise<void> {
    await database.query(`DELETE FROM ${this.table} WHERE sent_at < now() - $1::integer * interval '1 millisecond'`, [keepMs]);
  }

  /** Rows not sent yet, parked ones included. */
  async pending(database: OutboxDatabase): Promise<number> {
    const [row] = await database.query(`SELECT count(*)::integer AS pending FROM ${this.table} WHERE sent_at IS NULL`, []);
    return Number(row?.pending ?? 0);
  }
}

function toClaimed(row: OutboxRow): ClaimedMessage {
  const text = (name: string) => (row[name] === null || row[name] === undefined ? undefined : String(row[name]));
  const number = (name: string) => (row[name] === null || row[name] === undefined ? undefined : Number(row[name]));
  const attributes = typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes;
  return {
    id: String(row.id),
    createdAt: Number(row.created_ms),
    failures: Number(row.failures),
    possibleDuplicate: Number(row.claims) - 1 > Number(row.failures),
    backend: String(row.backend),
    kind: row.destination_kind === 'topic' ? 'topic' : 'queue',
    destination: String(row.destination),
    envelope: {
      messageId: String(row.message_id),
      manifest: text('manifest'),
      serializerId: number('serializer_id'),
      payload: String(row.payload),
      attributes: (attributes ?? {}) as Record<string, string>,
    },
    options: { groupId: text('group_id'), deduplicationId: text('deduplication_id'), delaySeconds: number('delay_seconds') },
  };
}

import type { OutboxDatabase, OutboxRow } from './outbox-database';

/** The part of a node-postgres `Pool` the relay uses; declared here so `pg` stays an optional peer. */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<PgListeningClient>;
}

export interface PgListeningClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  release(destroy?: boolean | Error): void;
}

/** The outbox relay's database on a node-postgres pool: statements on pooled connections, LISTEN on one of its own. */
export function pgOutboxDatabase(pool: PgPoolLike): OutboxDatabase {
  return {
    async query(text, values) {
      const result = await pool.query(text, [...values]);
      return result.rows as OutboxRow[];
    },
    async listen(channel, onNotify, onLost) {
      const client = await pool.connect();
      let released = false;
      const release = (broken?: Error) => {
        if (released) return;
        released = true;
        client.removeAllListeners('notification');
        client.removeAllListeners('error');
        client.release(broken ?? true);
      };
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      client.on('error', (error) => {
        release(error);
        onLost(error);
      });
      try {
        await client.query(`LISTEN "${channel}"`);
      } catch (error) {
        release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
      // Destroyed rather than returned to the pool: a pooled connection still LISTENing would
      // wake nobody and hold the channel.
      return async () => release();
    },
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is not given to the next caller.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

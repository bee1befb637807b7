import { Client } from 'pg';

/** The PostgreSQL server the outbox specs use; .ci/run makes sure it runs, global setup that it has this database. */
export const DATABASE_URL = process.env.MELANGE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Checks, once per run, that the PostgreSQL server of the outbox and inbox specs answers, and
 * creates their database if the server has none of that name, so `npm test` needs no set-up beyond
 * a running server (.ci/run starts the machine's own if it stopped). Fails the run with what to do
 * rather than letting every outbox spec time out.
 */
export async function ensureTestDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const database = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  try {
    await withClient(DATABASE_URL, async () => undefined);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw unreachable(error);
  }
  // 3D000: the server answers but has no such database.
  const admin = new URL(DATABASE_URL);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), (client) => client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`)).catch((error: unknown) => {
    throw unreachable(error);
  });
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function unreachable(error: unknown): Error {
  return new Error(
    `The outbox and inbox specs need PostgreSQL at ${DATABASE_URL.replace(/:[^:@/]*@/, ':***@')} ` +
      `(${error instanceof Error ? error.message : String(error)}). Start the server (bash .ci/postgres.sh does on this machine), ` +
      'or set MELANGE_TEST_DATABASE_URL to another one.',
  );
}

import { OutboxConfigurationError } from '../errors';

export const OUTBOX_TABLE = 'melange_outbox';
export const INBOX_TABLE = 'melange_inbox';
export const OUTBOX_CHANNEL = 'melange_outbox';

/** `"schema"`, after checking the name is a plain identifier (it is put into SQL text). */
function quotedSchema(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new OutboxConfigurationError(
      `outbox.schema "${schema}" is not a plain PostgreSQL identifier (letters, digits and underscores, not starting with a digit)`,
    );
  }
  return `"${schema}"`;
}

export function outboxTable(schema: string): string {
  return `${quotedSchema(schema)}."${OUTBOX_TABLE}"`;
}

export function inboxTable(schema: string): string {
  return `${quotedSchema(schema)}."${INBOX_TABLE}"`;
}

/**
 * The outbox and inbox tables and their indexes, for the user's own migrations or
 * `MelangeOutbox.migrate()`.
 * `available_at` is when a row may be claimed next: now for a new row, the end of a relay's lease
 * while it is being sent, the end of the backoff after a failed send.
 */
export function outboxSchemaSql(schema = 'public'): string {
  const table = outboxTable(schema);
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  backend text NOT NULL,
  destination_kind text NOT NULL CHECK (destination_kind IN ('queue', 'topic')),
  destination text NOT NULL,
  message_id text NOT NULL,
  manifest text,
  serializer_id integer,
  payload text NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
  group_id text,
  deduplication_id text,
  delay_seconds integer,
  claims integer NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  sent_at timestamptz
);
CREATE INDEX IF NOT EXISTS ${OUTBOX_TABLE}_due ON ${table} (available_at, id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS ${OUTBOX_TABLE}_groups ON ${table} (backend, destination, group_id, id) WHERE sent_at IS NULL AND group_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ${OUTBOX_TABLE}_sent ON ${table} (sent_at) WHERE sent_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${inboxTable(schema)} (
  key text PRIMARY KEY,
  handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${INBOX_TABLE}_handled ON ${inboxTable(schema)} (handled_at);
`;
}

import { Inject, Injectable } from '@nestjs/common';
import { OutboxConfigurationError } from '../errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import type { OutboxOptions } from './outbox.options';
import { OutboxRelay } from './outbox-relay';
import { outboxSchemaSql } from './outbox-schema';
import { OutboxStore } from './outbox-store';

/**
 * The transactional outbox: `publisher.publish(message, { transaction })` writes into it, the
 * relay empties it. This service creates its table and reports on it.
 */
@Injectable()
export class MelangeOutbox {
  private readonly options?: OutboxOptions;

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) options: MelangeModuleOptions,
    private readonly relay: OutboxRelay,
  ) {
    this.options = options.outbox;
  }

  /** The SQL that creates the outbox table and its indexes, for your own migrations. */
  schemaSql(): string {
    return outboxSchemaSql(this.configured().schema);
  }

  /** Creates the table and indexes if they do not exist. Never run implicitly: call it from a migration step. */
  async migrate(): Promise<void> {
    const { database } = this.configured();
    for (const statement of this.schemaSql().split(';\n').map((sql) => sql.trim()).filter(Boolean)) {
      await database.query(statement, []);
    }
  }

  /** Rows not yet sent, including those parked because the broker can never accept them. */
  pending(): Promise<number> {
    const { database, schema } = this.configured();
    return new OutboxStore(schema ?? 'public').pending(database);
  }

  /** Relays every due row now, in this process; resolves with how many were sent. */
  drain(): Promise<number> {
    return this.relay.drain();
  }

  private configured(): OutboxOptions {
    if (!this.options) throw new OutboxConfigurationError('MelangeOutbox needs MelangeModule\'s "outbox" option: { database: pgOutboxDatabase(pool) }');
    return this.options;
  }
}

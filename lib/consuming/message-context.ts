import type { Envelope } from '../messages/envelope';
import type { OutboxTransaction } from '../outbox/outbox-database';
import { contextParam } from './param.decorators';

/** What a handler knows about the message it handles, beside the message itself. */
export interface MessageContext {
  readonly messageId: string;
  readonly queue: string;
  readonly manifest?: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** 1 on the first delivery; higher when the message is being retried. */
  readonly receiveCount: number;
  readonly groupId?: string;
  readonly envelope: Envelope;
  /**
   * For inbox handlers (`inbox: true`): the open transaction the handler runs in, on the outbox's
   * database (a node-postgres `PoolClient` with `pgOutboxDatabase`). Write through it, and publish
   * with `{ transaction: context.transaction }`, so everything commits with the record of this message.
   */
  readonly transaction?: OutboxTransaction;
}

/** Injects the `MessageContext` into a handler parameter: `@MessageContext() context: MessageContext`. */
export function MessageContext(): ParameterDecorator {
  return contextParam();
}

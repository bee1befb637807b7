import { randomUUID } from 'node:crypto';

export function newMessageId(): string {
  return randomUUID();
}

/** Longest message id the library sends or takes from the wire: it travels as an attribute and keys idempotency records. */
export const MAX_MESSAGE_ID_LENGTH = 256;

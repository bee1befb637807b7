import { randomUUID } from 'node:crypto';

export function newMessageId(): string {
  return randomUUID();
}

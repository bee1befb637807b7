import type { Envelope } from '../messages/envelope';
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
}

/** Injects the `MessageContext` into a handler parameter: `@MessageContext() context: MessageContext`. */
export function MessageContext(): ParameterDecorator {
  return contextParam();
}

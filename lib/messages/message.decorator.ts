import type { Type } from '@nestjs/common';

const MESSAGE_METADATA = Symbol('melange:message');

/** A default destination, so callers can write `publish(new OrderPlaced(...))`. */
export type MessageDestination =
  | { readonly queue: string; readonly topic?: never; readonly backend?: string }
  | { readonly topic: string; readonly queue?: never; readonly backend?: string };

export interface MessageOptions {
  /** Where `publish()` sends this type when the caller names no destination. */
  readonly destination?: MessageDestination;
}

interface MessageMetadata extends MessageOptions {
  readonly manifest: string;
}

/**
 * Gives a message class a stable manifest name. Class names do not survive minification and
 * differ between services, so a name that is part of the contract belongs here.
 */
export function Message(manifest: string, options: MessageOptions = {}): ClassDecorator {
  if (!manifest) {
    throw new TypeError('@Message() needs a non-empty manifest name, e.g. @Message("orders.order-placed")');
  }
  return (target) => {
    const metadata: MessageMetadata = { manifest, ...options };
    Reflect.defineMetadata(MESSAGE_METADATA, metadata, target);
  };
}

function ownMetadata(type: Type<unknown>): MessageMetadata | undefined {
  // Own metadata only: a subclass of a decorated class is a different message type.
  return Reflect.getOwnMetadata(MESSAGE_METADATA, type) as MessageMetadata | undefined;
}

/** The manifest of a message class: its `@Message` name, or else its class name. */
export function manifestOf(type: Type<unknown>): string {
  return ownMetadata(type)?.manifest ?? type.name;
}

export function declaredDestinationOf(type: Type<unknown>): MessageDestination | undefined {
  return ownMetadata(type)?.destination;
}

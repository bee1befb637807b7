import type { Type } from '@nestjs/common';

/**
 * Turns messages into strings and back. The numeric `id` travels with every message
 * (`serializer_id` on the wire), so a consumer picks the serializer the publisher used.
 */
export interface Serializer {
  readonly id: number;
  /** The manifest written next to the payload, naming the message type. */
  manifest(value: object): string;
  serialize(value: object): string;
  /**
   * Rebuilds a message. `type` is the class the consumer expects when it knows one; a serializer
   * that carries type information itself may ignore it.
   */
  deserialize(payload: string, manifest: string | undefined, type?: Type<unknown>): unknown;
}

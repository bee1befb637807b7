/**
 * What travels between a publisher and a consumer, independent of the broker.
 * Backends translate it to and from their wire format.
 */
export interface Envelope {
  /** The serialized message, as the serializer produced it. */
  readonly payload: string;
  /** The message type name; absent when a foreign producer sent a raw body. */
  readonly manifest?: string;
  /** Which serializer wrote `payload`; absent when a foreign producer sent a raw body. */
  readonly serializerId?: number;
  /** A stable id chosen by the publisher (or by the broker for foreign messages). */
  readonly messageId: string;
  /** User attributes, beside the ones the library reserves. */
  readonly attributes: Readonly<Record<string, string>>;
}

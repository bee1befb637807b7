import { randomUUID } from 'node:crypto';
import type { Message, Options } from 'amqplib';
import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import type { Envelope } from '../../messages/envelope';
import { MAX_MESSAGE_ID_LENGTH } from '../../messages/message-id';
import { describeThrown } from '../../errors';
import { logSafe } from '../../log-safe';

/*
 * The melange envelope on AMQP 0-9-1: the body is the serialized payload itself; `manifest` and
 * `serializer_id` are headers named as the SQS attributes are; the message id is the AMQP
 * `messageId` property; user attributes (trace context included) are string headers.
 */
export const MANIFEST_HEADER = 'manifest';
export const SERIALIZER_ID_HEADER = 'serializer_id';
/** The FIFO group of a message on a single-active-consumer queue. */
export const GROUP_HEADER = 'melange_group_id';
/** Receives before this copy: the library republishes a message to retry it, so the broker cannot count. */
export const RECEIVES_HEADER = 'melange_receive_count';

const RESERVED_HEADERS: ReadonlySet<string> = new Set([MANIFEST_HEADER, SERIALIZER_ID_HEADER, GROUP_HEADER, RECEIVES_HEADER]);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface Encoded {
  readonly content: Buffer;
  readonly options: Options.Publish;
}

export function encode(envelope: Envelope, extra: { groupId?: string; receives?: number } = {}): Encoded {
  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(envelope.attributes)) headers[name] = value;
  if (envelope.manifest !== undefined) headers[MANIFEST_HEADER] = envelope.manifest;
  if (envelope.serializerId !== undefined) headers[SERIALIZER_ID_HEADER] = envelope.serializerId;
  if (extra.groupId !== undefined) headers[GROUP_HEADER] = extra.groupId;
  if (extra.receives) headers[RECEIVES_HEADER] = extra.receives;
  return {
    content: Buffer.from(envelope.payload, 'utf8'),
    options: { messageId: envelope.messageId, persistent: true, headers, type: envelope.manifest },
  };
}

/** Names a user attribute cannot take on this broker: the library's own headers and the broker's `x-` ones. */
export function reservedHeader(name: string): boolean {
  return RESERVED_HEADERS.has(name) || name === DEAD_LETTER_REASON_ATTRIBUTE || name === SOURCE_QUEUE_ATTRIBUTE || name.startsWith('x-');
}

export interface DecodedMessage {
  readonly envelope: Envelope;
  readonly undecodable?: string;
  readonly groupId?: string;
  /** Receives of this message before the current one, as far as the broker and the library can tell. */
  readonly earlierReceives: number;
}

/** Never throws: whatever a foreign producer put on the wire becomes an envelope, or a reason it cannot be one. */
export function decode(message: Message): DecodedMessage {
  const problems: string[] = [];
  let payload: string;
  try {
    payload = UTF8.decode(message.content);
  } catch (error) {
    payload = message.content.toString('latin1');
    problems.push(`its body is not UTF-8 (${describeThrown(error)})`);
  }
  const { messageId: id, headers } = message.properties as { messageId?: unknown; headers?: unknown };
  const messageId = typeof id === 'string' && id.length > 0 && id.length <= MAX_MESSAGE_ID_LENGTH ? id : `amqp-${randomUUID()}`;
  const attributes: Record<string, string> = {};
  let manifest: string | undefined;
  let serializerId: number | undefined;
  let groupId: string | undefined;
  let receives = 0;
  const table: object = typeof headers === 'object' && headers !== null ? headers : {};
  for (const name of Object.keys(table)) {
    const value: unknown = Object.getOwnPropertyDescriptor(table, name)?.value;
    if (name === MANIFEST_HEADER) {
      if (typeof value === 'string') manifest = value;
      else problems.push(`its ${MANIFEST_HEADER} header is ${kind(value)}; the wire format has it as a string`);
    } else if (name === SERIALIZER_ID_HEADER) {
      const number = typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : value;
      if (typeof number === 'number' && Number.isInteger(number)) serializerId = number;
      else problems.push(`its ${SERIALIZER_ID_HEADER} header ${logSafe(String(kind(value)))} is not an integer`);
    } else if (name === GROUP_HEADER) {
      if (typeof value === 'string') groupId = value;
    } else if (name === RECEIVES_HEADER) {
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) receives = value;
    } else if (name.startsWith('x-')) {
      // The broker's own (x-death, x-delivery-count): not the sender's attributes.
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      // defineProperty: a header named "__proto__" stays a name, not a prototype.
      Object.defineProperty(attributes, name, { value: String(value), enumerable: true, writable: true, configurable: true });
    } else {
      problems.push(`its header ${logSafe(JSON.stringify(name))} is ${kind(value)}; melange reads string headers only`);
    }
  }
  const envelope: Envelope = { payload, manifest, serializerId, messageId, attributes };
  const earlierReceives = receives + (message.fields.redelivered ? 1 : 0);
  return { envelope, groupId, earlierReceives, undecodable: problems.length > 0 ? problems.join('; ') : undefined };
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return 'binary';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${logSafe(value, 40)}"`;
  return typeof value === 'object' ? 'a table' : `a ${typeof value}`;
}

import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../../messages/envelope';
import { SendFailedError, describeThrown, toError } from '../../../errors';
import type { ResolvedSqsSettings } from '../sqs-backend.options';
import { assertSendable, wireSize, type WireAttributes } from '../sqs-wire-format';
import type { ResolvedPayloadOffloading } from './payload-offloading.options';
import { PAYLOAD_SIZE_ATTRIBUTE, describePointer, formatPointer, type PayloadPointer } from './payload-pointer';
import type { S3PayloadStore } from './s3-payload-store';

/** A message as it will be sent: its own body, or a pointer to the payload that still has to be stored. */
export interface OutgoingMessage {
  readonly body: string;
  readonly attributes: WireAttributes;
  /** Body plus attributes, as the broker counts them (what the batcher packs by). */
  readonly size: number;
  readonly offload?: { readonly pointer: PayloadPointer; readonly body: string };
}

/**
 * Decides, per message and before any request, whether it goes as it is, goes to S3 with a pointer
 * in its place, or is refused for its size; then stores offloaded payloads. What S3 gets is the
 * body the message would have had (the `{"Message"}` wrapper on a queue, the payload itself on a
 * topic), so an extended-client reader gets exactly what a small message would have carried.
 */
export class OutgoingPayloads {
  constructor(
    private readonly limits: ResolvedSqsSettings['limits'],
    private readonly offloading: ResolvedPayloadOffloading | undefined,
    private readonly payloads: S3PayloadStore | undefined,
  ) {}

  /** Throws MessageRejectedError (MessageTooLargeError for the size) when the broker would refuse it. */
  plan(destination: string, kind: 'queue' | 'topic', envelope: Envelope, body: string, attributes: WireAttributes): OutgoingMessage {
    const limit = this.limits[kind];
    const offloading = this.offloading;
    if (offloading === undefined) {
      return { body, attributes, size: assertSendable(destination, envelope, body, attributes, { bytes: limit, kind, offloaded: false }) };
    }
    const threshold = Math.min(offloading.thresholdBytes ?? limit, limit);
    if (!offloading.alwaysOffload && wireSize(body, attributes) <= threshold) {
      return { body, attributes, size: assertSendable(destination, envelope, body, attributes, { bytes: limit, kind, offloaded: false }) };
    }
    const pointer: PayloadPointer = { bucket: offloading.bucket, key: `${offloading.keyPrefix}${randomUUID()}` };
    const pointerBody = formatPointer(pointer);
    const withSize: WireAttributes = {
      ...attributes,
      [PAYLOAD_SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(Buffer.byteLength(body, 'utf8')) },
    };
    const size = assertSendable(destination, envelope, pointerBody, withSize, { bytes: limit, kind, offloaded: true });
    return { body: pointerBody, attributes: withSize, size, offload: { pointer, body } };
  }

  /** Writes an offloaded payload; call it right before the pointer is sent. */
  async store(destination: string, envelope: Envelope, message: OutgoingMessage): Promise<void> {
    if (message.offload === undefined || this.payloads === undefined) return;
    const { pointer, body } = message.offload;
    try {
      await this.payloads.put(pointer, body);
    } catch (error) {
      throw new SendFailedError(
        destination,
        envelope.messageId,
        toError(error).name,
        `storing its payload at ${describePointer(pointer)} failed, so the message was not sent: ${describeThrown(error)}`,
      );
    }
  }
}

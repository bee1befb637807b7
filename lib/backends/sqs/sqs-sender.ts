import type { LoggerService } from '@nestjs/common';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Envelope } from '../../messages/envelope';
import { MessageRejectedError, SendFailedError, describeThrown, toError } from '../../errors';
import { logSafe } from '../../log-safe';
import type { SendOptions, SendResult } from '../messaging-backend';
import type { OutgoingMessage, OutgoingPayloads } from './large-payload/outgoing-payloads';
import { RequestBatcher, type EntryOutcome } from './request-batcher';
import { SQS_MAX_BATCH_ENTRIES, type ResolvedSqsSettings } from './sqs-backend.options';
import { queueNameOf, type QueueInfo, type SqsDirectory, type TopicInfo } from './sqs-directory';
import { encodeForQueue, encodeForTopic, type WireAttributes } from './sqs-wire-format';

/** One message waiting for its batch request. */
interface OutgoingEntry {
  readonly envelope: Envelope;
  /** Queue body or SNS message. */
  readonly body: string;
  readonly attributes: WireAttributes;
  readonly groupId?: string;
  readonly deduplicationId?: string;
  readonly delaySeconds?: number;
}

export interface SqsSenderDependencies {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly directory: SqsDirectory;
  readonly settings: ResolvedSqsSettings;
  readonly outgoing: OutgoingPayloads;
  readonly logger: LoggerService;
}

/**
 * The publishing half of the SQS backend: checks a message before any request, encodes it in the
 * wire format, offloads a large payload to S3, and sends it in batch requests of up to 10 (per
 * destination, calls made in the same tick), each caller getting its own result or error.
 */
export class SqsSender {
  private readonly batchers = new Map<string, RequestBatcher<OutgoingEntry, SendResult>>();

  constructor(private readonly deps: SqsSenderDependencies) {}

  send(queue: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    let outgoing: OutgoingMessage;
    try {
      outgoing = this.checkedForQueue(queue, envelope, options);
    } catch (error) {
      return Promise.reject(error);
    }
    // A known queue and a payload that needs no S3 object leave nothing to wait for before the batch.
    const info = this.deps.directory.knownQueue(queue);
    if (info !== undefined && outgoing.offload === undefined) return this.addToQueueBatch(queue, info, envelope, outgoing, options);
    return this.whenReady(queue, envelope, outgoing, this.deps.directory.queue(queue), (found) =>
      this.addToQueueBatch(queue, found, envelope, outgoing, options),
    );
  }

  publish(topic: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    let outgoing: OutgoingMessage;
    try {
      outgoing = this.checkedForTopic(topic, envelope, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const info = this.deps.directory.knownTopic(topic);
    if (info !== undefined && outgoing.offload === undefined) return this.addToTopicBatch(topic, info, envelope, outgoing, options);
    return this.whenReady(topic, envelope, outgoing, this.deps.directory.topic(topic), (found) =>
      this.addToTopicBatch(topic, found, envelope, outgoing, options),
    );
  }

  /** Everything that can be checked without the broker is checked before any request. */
  private checkedForQueue(queue: string, envelope: Envelope, options: SendOptions): OutgoingMessage {
    const encoded = encodeForQueue(envelope);
    const fifo = queueNameOf(queue).endsWith('.fifo');
    const outgoing = this.deps.outgoing.plan(queue, 'queue', envelope, encoded.body, encoded.attributes);
    this.assertOrdering(queue, envelope, fifo, options);
    if (options.delaySeconds !== undefined) {
      if (fifo) {
        throw new MessageRejectedError(
          queue,
          envelope.messageId,
          'FIFO queues have no per-message delay; set delaySeconds on the queue instead',
        );
      }
      if (!Number.isInteger(options.delaySeconds) || options.delaySeconds < 0 || options.delaySeconds > 900) {
        throw new MessageRejectedError(queue, envelope.messageId, `delaySeconds must be an integer from 0 to 900, got ${options.delaySeconds}`);
      }
    }
    return outgoing;
  }

  private checkedForTopic(topic: string, envelope: Envelope, options: SendOptions): OutgoingMessage {
    const encoded = encodeForTopic(envelope);
    const outgoing = this.deps.outgoing.plan(topic, 'topic', envelope, encoded.message, encoded.attributes);
    this.assertOrdering(topic, envelope, topic.endsWith('.fifo'), options);
    if (options.delaySeconds !== undefined) {
      throw new MessageRejectedError(
        topic,
        envelope.messageId,
        'SNS topics have no per-message delay; set delaySeconds on the subscribed queues instead',
      );
    }
    return outgoing;
  }

  /** The first send to a destination waits for its lookup; an offloaded payload is stored before its pointer is sent. */
  private async whenReady<TInfo>(
    destination: string,
    envelope: Envelope,
    outgoing: OutgoingMessage,
    lookup: Promise<TInfo>,
    add: (info: TInfo) => Promise<SendResult>,
  ): Promise<SendResult> {
    const info = await lookup;
    if (outgoing.offload !== undefined) await this.deps.outgoing.store(destination, envelope, outgoing);
    return add(info);
  }

  private addToQueueBatch(queue: string, info: QueueInfo, envelope: Envelope, outgoing: OutgoingMessage, options: SendOptions): Promise<SendResult> {
    const entry: OutgoingEntry = {
      envelope,
      body: outgoing.body,
      attributes: outgoing.attributes,
      groupId: options.groupId,
      deduplicationId: this.deduplicationId(info, envelope, options),
      delaySeconds: options.delaySeconds,
    };
    const batcher = this.batchers.get(info.url) ?? this.newBatcher(info.url, info.fifo, this.deps.settings.limits.queue, (entries) => this.sendBatch(queue, info, entries));
    return batcher.add(entry, outgoing.size);
  }

  private addToTopicBatch(topic: string, info: TopicInfo, envelope: Envelope, outgoing: OutgoingMessage, options: SendOptions): Promise<SendResult> {
    const entry: OutgoingEntry = {
      envelope,
      body: outgoing.body,
      attributes: outgoing.attributes,
      groupId: options.groupId,
      deduplicationId: this.deduplicationId(info, envelope, options),
    };
    const batcher = this.batchers.get(info.arn) ?? this.newBatcher(info.arn, info.fifo, this.deps.settings.limits.topic, (entries) => this.publishBatch(topic, info, entries));
    return batcher.add(entry, outgoing.size);
  }

  /** Sends what is waiting and resolves once every request made so far has its answer. */
  async drain(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.drain()));
  }

  private assertOrdering(destination: string, envelope: Envelope, fifo: boolean, options: SendOptions): void {
    if (fifo && !options.groupId) {
      throw new MessageRejectedError(
        destination,
        envelope.messageId,
        'FIFO destinations need a groupId: messages of one group are delivered in order',
      );
    }
    if (!fifo && options.deduplicationId !== undefined) {
      throw new MessageRejectedError(destination, envelope.messageId, 'deduplicationId only applies to FIFO destinations');
    }
  }

  /**
   * The caller's id wins. Without one, a FIFO destination that does not de-duplicate by content gets
   * the envelope's stable message id, so re-sending the same envelope is dropped as a duplicate
   * (Python melange used a random id, which de-duplicates nothing).
   */
  private deduplicationId(info: QueueInfo | TopicInfo, envelope: Envelope, options: SendOptions): string | undefined {
    if (!info.fifo) {
      return undefined;
    }
    return options.deduplicationId ?? (info.contentBasedDeduplication ? undefined : envelope.messageId);
  }

  /**
   * Batches to one destination, keyed by its URL or ARN (they cannot collide); `maxBytes` is its
   * kind's limit, which SQS and SNS also set for a whole batch request.
   */
  private newBatcher(
    key: string,
    fifo: boolean,
    maxBytes: number,
    send: (entries: readonly OutgoingEntry[]) => Promise<ReadonlyArray<EntryOutcome<SendResult>>>,
  ): RequestBatcher<OutgoingEntry, SendResult> {
    const batcher = new RequestBatcher<OutgoingEntry, SendResult>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes,
      windowMs: this.deps.settings.batchWindowMs,
      serial: fifo,
      send,
    });
    this.batchers.set(key, batcher);
    return batcher;
  }

  private async sendBatch(
    queue: string,
    info: QueueInfo,
    entries: readonly OutgoingEntry[],
  ): Promise<ReadonlyArray<EntryOutcome<SendResult>>> {
    try {
      if (entries.length === 1) {
        const [entry] = entries as [OutgoingEntry];
        const response = await this.deps.sqs.send(
          new SendMessageCommand({
            QueueUrl: info.url,
            MessageBody: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
            DelaySeconds: entry.delaySeconds,
          }),
        );
        return [{ ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: response.MessageId } }];
      }
      const response = await this.deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: info.url,
          Entries: entries.map((entry, index) => ({
            Id: String(index),
            MessageBody: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
            DelaySeconds: entry.delaySeconds,
          })),
        }),
      );
      return this.outcomes(queue, entries, response.Successful, response.Failed);
    } catch (error) {
      return this.failAll(queue, entries, error);
    }
  }

  private async publishBatch(
    topic: string,
    info: TopicInfo,
    entries: readonly OutgoingEntry[],
  ): Promise<ReadonlyArray<EntryOutcome<SendResult>>> {
    try {
      if (entries.length === 1) {
        const [entry] = entries as [OutgoingEntry];
        const response = await this.deps.sns.send(
          new PublishCommand({
            TopicArn: info.arn,
            Message: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          }),
        );
        return [{ ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: response.MessageId } }];
      }
      const response = await this.deps.sns.send(
        new PublishBatchCommand({
          TopicArn: info.arn,
          PublishBatchRequestEntries: entries.map((entry, index) => ({
            Id: String(index),
            Message: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          })),
        }),
      );
      return this.outcomes(topic, entries, response.Successful, response.Failed);
    } catch (error) {
      return this.failAll(topic, entries, error);
    }
  }

  private outcomes(
    destination: string,
    entries: readonly OutgoingEntry[],
    successful: ReadonlyArray<{ Id?: string; MessageId?: string }> | undefined,
    failed: ReadonlyArray<{ Id?: string; Code?: string; Message?: string }> | undefined,
  ): ReadonlyArray<EntryOutcome<SendResult>> {
    // Entry ids are the entries' indexes: arrays by index, not Maps by id, for every batch sent.
    const successes = byEntryIndex(successful, entries.length);
    const failures = byEntryIndex(failed, entries.length);
    return entries.map((entry, index): EntryOutcome<SendResult> => {
      const success = successes[index];
      if (success) {
        return { ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: success.MessageId } };
      }
      const failure = failures[index];
      const error = new SendFailedError(
        destination,
        entry.envelope.messageId,
        failure?.Code ?? 'MissingResult',
        failure?.Message ?? 'the broker reported neither success nor failure for this entry',
      );
      this.deps.logger.error(`destination=${destination} message=${logSafe(entry.envelope.messageId)}: ${error.message}`);
      return { ok: false, error };
    });
  }

  private failAll(
    destination: string,
    entries: readonly OutgoingEntry[],
    error: unknown,
  ): ReadonlyArray<EntryOutcome<SendResult>> {
    const code = toError(error).name;
    const detail = describeThrown(error);
    this.deps.logger.error(
      `destination=${destination}: a request carrying ${entries.length} message(s) failed: ${describeThrown(error, { withName: true })}`);
    return entries.map((entry) => ({
      ok: false,
      error: new SendFailedError(destination, entry.envelope.messageId, code, detail),
    }));
  }
}

/** The broker's per-entry results placed at the index their id names; ids that name no entry are ignored. */
function byEntryIndex<T extends { readonly Id?: string }>(results: readonly T[] | undefined, count: number): Array<T | undefined> {
  const placed = new Array<T | undefined>(count);
  for (const result of results ?? []) {
    const index = Number(result.Id);
    if (Number.isInteger(index) && index >= 0 && index < count && String(index) === result.Id) placed[index] = result;
  }
  return placed;
}

import type { LoggerService } from '@nestjs/common';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { resolvePayloadOffloading, type PayloadOffloadingOptions, type ResolvedPayloadOffloading } from './large-payload/payload-offloading.options';

/**
 * Clients the application built itself (for tracing, custom retry, proxies...). The backend uses
 * them as given and never destroys them; anything left out is built from the other options.
 */
export interface SqsBackendClients {
  /** Sends, deletes, visibility changes and declarations. */
  readonly sqs?: SQSClient;
  /** Long polls only: kept apart so a send never queues behind a 20 s receive. */
  readonly polling?: SQSClient;
  readonly sns?: SNSClient;
}

/** Largest message each kind of destination accepts, body plus attributes, in bytes. */
export interface SqsMessageLimits {
  /** SQS queues. Default 1,048,576 (1 MiB), SQS's limit since August 2025. */
  readonly queue?: number;
  /**
   * SNS topics. Default 262,144 (256 KiB), SNS's default; a topic whose MaximumMessageSize
   * attribute was raised (up to 1 MiB) accepts more.
   */
  readonly topic?: number;
}

export interface SqsBackendOptions {
  /** AWS region; the SDK's default chain (AWS_REGION, profile) applies when absent. */
  readonly region?: string;
  /** One endpoint for both SQS and SNS (LocalStack, fauxqs, ElasticMQ with SNS...). */
  readonly endpoint?: string;
  /** SNS endpoint when it differs from `endpoint`. */
  readonly snsEndpoint?: string;
  /** Static credentials or a provider; the SDK's default credential chain applies when absent. */
  readonly credentials?: SQSClientConfig['credentials'];
  readonly clients?: SqsBackendClients;
  /** Long-poll wait per receive, 0–20 s. Default 20. */
  readonly waitTimeSeconds?: number;
  /** Visibility timeout asked for on receive; the queue's own setting applies when absent. */
  readonly visibilityTimeout?: number;
  /** Receives before SQS moves a message to the dead-letter queue, when a queue spec names none. Default 5. */
  readonly maxReceiveCount?: number;
  /**
   * Largest message accepted, body plus attributes, checked before any request; batches are packed
   * to the same total. One number sets both kinds. Default `{ queue: 1 MiB, topic: 256 KiB }`.
   */
  readonly maxMessageBytes?: number | SqsMessageLimits;
  /** Payloads over the limit (or a threshold of yours) go to S3, in the AWS extended clients' format. Default off. */
  readonly payloadOffloading?: PayloadOffloadingOptions;
  /** How long a send waits for others to share its batch request. Default 0: only sends made in the same tick. */
  readonly batchWindowMs?: number;
  /**
   * On stop, abort a long poll in progress instead of waiting up to `waitTimeSeconds` for it, so
   * an idle consumer stops at once. Messages the broker may have handed to the aborted receive stay
   * invisible until their visibility timeout ends, then come back: nothing is lost. Default true;
   * false waits for the poll, then releases whatever it brought at once.
   */
  readonly abortPollsOnStop?: boolean;
  /** Pause after a failed receive before polling again; doubles up to 30 s. Default 1000. */
  readonly pollErrorBackoffMs?: number;
  /** Where log lines go; Nest's Logger with context `SqsBackend` when absent. */
  readonly logger?: LoggerService;
}

/** The options with every default filled in, as the backend's parts use them. */
export interface ResolvedSqsSettings {
  readonly waitTimeSeconds: number;
  readonly visibilityTimeout?: number;
  readonly maxReceiveCount: number;
  readonly limits: { readonly queue: number; readonly topic: number };
  readonly payloadOffloading?: ResolvedPayloadOffloading;
  readonly batchWindowMs: number;
  readonly pollErrorBackoffMs: number;
  readonly abortPollsOnStop: boolean;
}

export const SQS_MAX_ATTRIBUTES = 10;
/** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html: a topic's default MaximumMessageSize. */
export const SNS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/** SQS refuses a visibility timeout above 12 hours. */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
export const SQS_MAX_BATCH_ENTRIES = 10;

export function resolveSqsSettings(options: SqsBackendOptions): ResolvedSqsSettings {
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new RangeError(`SqsBackend option waitTimeSeconds must be an integer from 0 to 20, got ${waitTimeSeconds}`);
  }
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new RangeError(`SqsBackend option maxReceiveCount must be an integer from 1 to 1000, got ${maxReceiveCount}`);
  }
  return {
    waitTimeSeconds,
    visibilityTimeout: options.visibilityTimeout,
    maxReceiveCount,
    limits: resolveLimits(options.maxMessageBytes),
    payloadOffloading: options.payloadOffloading ? resolvePayloadOffloading(options.payloadOffloading) : undefined,
    batchWindowMs: options.batchWindowMs ?? 0,
    pollErrorBackoffMs: options.pollErrorBackoffMs ?? 1000,
    abortPollsOnStop: options.abortPollsOnStop ?? true,
  };
}

function resolveLimits(option: SqsBackendOptions['maxMessageBytes']): ResolvedSqsSettings['limits'] {
  const given = typeof option === 'number' ? { queue: option, topic: option } : (option ?? {});
  const limits = { queue: given.queue ?? SQS_DEFAULT_MAX_MESSAGE_BYTES, topic: given.topic ?? SNS_DEFAULT_MAX_MESSAGE_BYTES };
  for (const [kind, bytes] of Object.entries(limits)) {
    if (!Number.isInteger(bytes) || bytes < 1) {
      throw new RangeError(`SqsBackend option maxMessageBytes${typeof option === 'number' ? '' : `.${kind}`} must be a positive integer, got ${bytes}`);
    }
  }
  return limits;
}

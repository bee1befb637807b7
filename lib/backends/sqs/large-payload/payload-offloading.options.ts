import type { S3Client } from '@aws-sdk/client-s3';
import { PayloadOffloadingConfigurationError } from '../../../errors';

/**
 * Payloads too large for SQS or SNS go to S3 and the message carries a pointer, in the format of
 * AWS's extended client libraries, so their Java and Python readers and writers interoperate.
 */
export interface PayloadOffloadingOptions {
  /** Where offloaded payloads are written. Pointers naming other buckets are read too. */
  readonly bucket: string;
  /**
   * A message whose body plus attributes is over this many bytes is offloaded. Default: the
   * destination's limit (`maxMessageBytes`), so only what would not fit goes to S3. A threshold
   * above the limit has no effect: what does not fit is always offloaded.
   */
  readonly thresholdBytes?: number;
  /** Offload every message, whatever its size. Default false. */
  readonly alwaysOffload?: boolean;
  /** Prepended to each object key (a UUID): letters, digits, `/`, `_`, `-`, `.`. Default none. */
  readonly keyPrefix?: string;
  /**
   * An S3 client of your own (never destroyed by the backend). Default: one built from the
   * backend's region, credentials and endpoint (path-style when an endpoint is given).
   */
  readonly client?: S3Client;
  /**
   * Delete the object once its message is acknowledged. Default false: keep it, and let an S3
   * lifecycle rule expire it, because a retried, dead-lettered or redriven message still needs
   * its payload and every queue subscribed to a topic reads the same object.
   */
  readonly deleteAfterAck?: boolean;
  /** `MelangeInfrastructure.declare()` (and `autoCreate`) creates the bucket when it is missing. Default false. */
  readonly declareBucket?: boolean;
  /**
   * Largest object a consumer reads; a pointer to a larger one is dead-lettered, so a hostile or
   * mistaken pointer cannot exhaust the consumer's memory. Default 64 MiB.
   */
  readonly maxPayloadBytes?: number;
  /**
   * How long a consumer holds a message whose payload S3 cannot serve (an outage), retrying the
   * read, before handing the message back to the queue. Default 60 000 ms.
   */
  readonly outageMaxWaitMs?: number;
}

export interface ResolvedPayloadOffloading {
  readonly bucket: string;
  readonly thresholdBytes?: number;
  readonly alwaysOffload: boolean;
  readonly keyPrefix: string;
  readonly deleteAfterAck: boolean;
  readonly declareBucket: boolean;
  readonly maxPayloadBytes: number;
  readonly outageMaxWaitMs: number;
}

const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const DEFAULT_OUTAGE_MAX_WAIT_MS = 60_000;
/** S3 keys are at most 1,024 bytes and the library adds a 36-character UUID. */
const MAX_KEY_PREFIX_LENGTH = 1024 - 36;

export function resolvePayloadOffloading(options: PayloadOffloadingOptions): ResolvedPayloadOffloading {
  const fail = (reason: string): never => {
    throw new PayloadOffloadingConfigurationError(`SqsBackend option payloadOffloading: ${reason}`);
  };
  if (typeof options.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    fail(`bucket must be an S3 bucket name (3–63 lowercase letters, digits, "." or "-"), got ${JSON.stringify(options.bucket)}`);
  }
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) fail(`${name} must be a whole number of at least 0, got ${value}`);
  };
  positive('thresholdBytes', options.thresholdBytes);
  positive('maxPayloadBytes', options.maxPayloadBytes);
  positive('outageMaxWaitMs', options.outageMaxWaitMs);
  const keyPrefix = options.keyPrefix ?? '';
  // The extended clients' own rules, so a prefix works with their tooling too.
  if (keyPrefix.length > MAX_KEY_PREFIX_LENGTH) fail(`keyPrefix must be at most ${MAX_KEY_PREFIX_LENGTH} characters`);
  if (/[^a-zA-Z0-9./_-]/.test(keyPrefix)) fail(`keyPrefix ${JSON.stringify(keyPrefix)} may only hold letters, digits, "/", "_", "-" and "."`);
  if (keyPrefix.startsWith('.') || keyPrefix.startsWith('/') || keyPrefix.includes('..')) {
    fail(`keyPrefix ${JSON.stringify(keyPrefix)} must not start with "." or "/" nor contain ".."`);
  }
  return {
    bucket: options.bucket,
    thresholdBytes: options.thresholdBytes,
    alwaysOffload: options.alwaysOffload ?? false,
    keyPrefix,
    deleteAfterAck: options.deleteAfterAck ?? false,
    declareBucket: options.declareBucket ?? false,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    outageMaxWaitMs: options.outageMaxWaitMs ?? DEFAULT_OUTAGE_MAX_WAIT_MS,
  };
}

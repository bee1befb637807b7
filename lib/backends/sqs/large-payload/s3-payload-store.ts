import type { GetObjectCommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { PayloadOffloadingConfigurationError } from '../../../errors';
import type { PayloadPointer } from './payload-pointer';

type S3Module = typeof import('@aws-sdk/client-s3');

/** What reading an offloaded payload came to. */
export type PayloadRead =
  | { readonly status: 'read'; readonly text: string }
  /** Gone for good (NoSuchKey, NoSuchBucket) or too large to read: the message cannot be handled. */
  | { readonly status: 'unreadable'; readonly reason: string }
  /** Anything else (an outage, throttling, a permission being fixed): worth trying again. */
  | { readonly status: 'failed'; readonly error: unknown };

/** Error names S3 answers with when the object is not there and will not come back. */
const GONE = new Set(['NoSuchKey', 'NoSuchBucket']);

/**
 * Offloaded payloads in S3: one client for the purpose, built on first use so that the optional
 * @aws-sdk/client-s3 is only loaded by applications that offload.
 */
export class S3PayloadStore {
  private readonly sdk: S3Module;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly pendingDeletes = new Set<Promise<void>>();

  constructor(config: S3ClientConfig, client: S3Client | undefined) {
    this.sdk = loadSdk();
    this.client = client ?? new this.sdk.S3Client(config);
    this.ownsClient = client === undefined;
  }

  async put(pointer: PayloadPointer, body: string): Promise<void> {
    await this.client.send(
      new this.sdk.PutObjectCommand({
        Bucket: pointer.bucket,
        Key: pointer.key,
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
      }),
    );
  }

  /**
   * Reads the object as UTF-8 text into one buffer of its announced size: the chunks are copied
   * in as they arrive and dropped, so a read holds the payload once as bytes, then once as text.
   */
  async read(pointer: PayloadPointer, maxBytes: number, signal?: AbortSignal): Promise<PayloadRead> {
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), { abortSignal: signal });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (GONE.has(name)) return { status: 'unreadable', reason: `S3 answered ${name}` };
      return { status: 'failed', error };
    }
    // In Node the SDK's body is an http.IncomingMessage: a Readable.
    const body = response.Body as unknown as Readable | undefined;
    const length = response.ContentLength;
    if (length !== undefined && length > maxBytes) {
      body?.destroy();
      return { status: 'unreadable', reason: `the object is ${length} bytes, over payloadOffloading.maxPayloadBytes (${maxBytes})` };
    }
    try {
      const bytes = await collect(body, length, maxBytes);
      if (bytes === undefined) return { status: 'unreadable', reason: `the object is over payloadOffloading.maxPayloadBytes (${maxBytes})` };
      return { status: 'read', text: bytes.toString('utf8') };
    } catch (error) {
      body?.destroy();
      return { status: 'failed', error };
    }
  }

  /** Deletes in the background; `close()` waits for those still running. Failures go to `onError`. */
  deleteLater(pointer: PayloadPointer, onError: (error: unknown) => void): void {
    const deletion = this.client
      .send(new this.sdk.DeleteObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }))
      .then(() => undefined, onError);
    this.pendingDeletes.add(deletion);
    void deletion.finally(() => this.pendingDeletes.delete(deletion));
  }

  /** Creates the bucket unless it exists. Outside us-east-1, S3 needs the region named. */
  async declareBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw error;
    }
    const region = await this.client.config.region();
    try {
      await this.client.send(
        new this.sdk.CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: region && region !== 'us-east-1' ? { LocationConstraint: region as never } : undefined,
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  async close(): Promise<void> {
    while (this.pendingDeletes.size > 0) await Promise.allSettled([...this.pendingDeletes]);
    if (this.ownsClient) this.client.destroy();
  }
}

/** Undefined when the stream turns out longer than `maxBytes`. */
async function collect(body: Readable | undefined, length: number | undefined, maxBytes: number): Promise<Buffer | undefined> {
  if (body === undefined) return Buffer.alloc(0);
  if (length === undefined) {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        body.destroy();
        return undefined;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, total);
  }
  const buffer = Buffer.allocUnsafe(length);
  let offset = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    if (offset + bytes.length > length) {
      body.destroy();
      throw new Error(`S3 sent more than the ${length} bytes it announced`);
    }
    bytes.copy(buffer, offset);
    offset += bytes.length;
  }
  if (offset !== length) throw new Error(`S3 sent ${offset} of the ${length} bytes it announced`);
  return buffer;
}

function loadSdk(): S3Module {
  try {
    // Loaded only when offloading is configured: @aws-sdk/client-s3 is an optional peer dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@aws-sdk/client-s3') as S3Module;
  } catch (error) {
    throw new PayloadOffloadingConfigurationError(
      'SqsBackend option payloadOffloading needs the @aws-sdk/client-s3 package: npm install @aws-sdk/client-s3 ' +
        `(${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
}

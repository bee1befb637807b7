import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CREDENTIALS, REGION, sqsEndpoint, uniqueName } from './sqs';

/*
 * The local server (fauxqs) answers S3 on the same port as SQS and SNS. Addressed by IP, S3 needs
 * path-style URLs (http://127.0.0.1:port/bucket/key): a virtual-hosted bucket name in the host
 * would not resolve.
 */

export function plainS3(endpoint: string = sqsEndpoint()): S3Client {
  return new S3Client({ region: REGION, endpoint, credentials: CREDENTIALS, forcePathStyle: true });
}

/** A fresh bucket, created; bucket names are lowercase. */
export async function freshBucket(s3: S3Client, prefix = 'melange-payloads'): Promise<string> {
  const bucket = uniqueName(prefix).toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function objectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToString('utf8')) ?? '';
}

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

export async function putText(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
}

/** A JSON payload of about `bytes` bytes: an object with one long string field. */
export function payloadOf(bytes: number, id = 'large'): string {
  const text = JSON.stringify({ id, blob: '' });
  return JSON.stringify({ id, blob: 'x'.repeat(Math.max(0, bytes - text.length)) });
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

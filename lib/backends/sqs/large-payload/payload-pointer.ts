/*
 * The pointer format of AWS's extended client libraries (Java amazon-sqs-java-extended-client-lib
 * with payload-offloading-java-common-lib, Python amazon-sqs-extended-client and
 * amazon-sns-extended-client): the message body becomes a two-element JSON array naming the
 * pointer class and the object, and a Number attribute gives the original body's size in bytes.
 * Their readers decide that a body is a pointer by that attribute alone, so it must be present.
 */

/** The class name Jackson's default typing writes before the pointer object. */
export const POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';
/** Written by extended clients before payload-offloading-java-common-lib; still read by them. */
export const LEGACY_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';
/** Size of the offloaded body in UTF-8 bytes (DataType Number). */
export const PAYLOAD_SIZE_ATTRIBUTE = 'ExtendedPayloadSize';
/** The same, under the name the extended clients used before; read, never written. */
export const LEGACY_PAYLOAD_SIZE_ATTRIBUTE = 'SQSLargePayloadSize';

export const PAYLOAD_SIZE_ATTRIBUTES: readonly string[] = [PAYLOAD_SIZE_ATTRIBUTE, LEGACY_PAYLOAD_SIZE_ATTRIBUTE];

/** Where an offloaded payload is. */
export interface PayloadPointer {
  readonly bucket: string;
  readonly key: string;
}

/** Java's Jackson writes no spaces; Python's json.dumps does, and both read either. */
export function formatPointer(pointer: PayloadPointer): string {
  return JSON.stringify([POINTER_CLASS, { s3BucketName: pointer.bucket, s3Key: pointer.key }]);
}

/** `s3://bucket/key`, for log lines and reasons. */
export function describePointer(pointer: PayloadPointer): string {
  return `s3://${pointer.bucket}/${pointer.key}`;
}

export type ParsedPointer = { readonly pointer: PayloadPointer } | { readonly invalid: string };

/**
 * Reads a body that carries the size attribute as a pointer. Never throws: anything else is
 * `invalid` with the reason, and the message is then dead-lettered like any undecodable one.
 */
export function parsePointer(body: string): ParsedPointer {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { invalid: 'it is not JSON' };
  }
  if (!Array.isArray(value) || value.length !== 2) {
    return { invalid: 'it is not the two-element array ["<pointer class>", {"s3BucketName", "s3Key"}]' };
  }
  const [className, target] = value as [unknown, unknown];
  if (className !== POINTER_CLASS && className !== LEGACY_POINTER_CLASS) {
    return { invalid: `its first element is not "${POINTER_CLASS}"` };
  }
  if (typeof target !== 'object' || target === null || Array.isArray(target)) {
    return { invalid: 'its second element is not an object' };
  }
  const bucket = ownString(target, 's3BucketName');
  const key = ownString(target, 's3Key');
  if (!bucket || !key) {
    return { invalid: 'it names no s3BucketName and s3Key' };
  }
  return { pointer: { bucket, key } };
}

function ownString(record: object, name: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(record, name)) return undefined;
  const value: unknown = (record as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

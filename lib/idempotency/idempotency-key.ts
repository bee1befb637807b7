/** What names one message for the idempotency store. */
export interface IdempotencyKeyParts {
  readonly queue: string;
  /** Absent for messages from producers that send none; keyed like an empty manifest. */
  readonly manifest?: string;
  readonly messageId: string;
}

/**
 * `queue:manifest:messageId`. The manifest is part of it because producers reuse business ids
 * across message types (OrderPlaced and OrderShipped both `order-42`): keyed by id alone, the
 * second would pass for a duplicate of the first and be deleted unhandled.
 *
 * Each part has `%` and `:` escaped, so no two different messages share a key (manifest `a:b` with
 * id `c`, and manifest `a` with id `b:c`, would otherwise both be `q:a:b:c`). Escaping only those
 * two keeps keys readable in Redis and, unlike `encodeURIComponent`, cannot throw on the lone
 * surrogates a hostile message id may carry.
 */
export function idempotencyKey({ queue, manifest, messageId }: IdempotencyKeyParts): string {
  return [queue, manifest ?? '', messageId].map(escapePart).join(':');
}

function escapePart(part: string): string {
  // Runs for every message: most parts hold neither character, so look before copying.
  return /[%:]/.test(part) ? part.replace(/%/g, '%25').replace(/:/g, '%3A') : part;
}

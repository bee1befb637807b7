import { HttpException } from '@nestjs/common';
import { NonRetryableError, describeThrown } from '../errors';

/**
 * Errors worth retrying. Nest's 4xx exceptions are the verdicts of guards (403) and pipes such as
 * ValidationPipe (400) on the message itself, so a retry would meet the same verdict.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableError) return false;
  if (error instanceof HttpException) return error.getStatus() >= 500;
  return true;
}

/** One line about an error, with a pipe's validation messages when there are any. */
export function describeError(error: unknown): string {
  try {
    if (error instanceof HttpException) {
      const response = error.getResponse();
      const details = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : undefined;
      if (Array.isArray(details)) return describeThrown(`${error.message}: ${details.map((detail) => describeThrown(detail)).join('; ')}`);
    }
  } catch {
    // A subclass whose getResponse throws: described like any other error.
  }
  return describeThrown(error);
}

import type { LocalSqsServer } from '../../lib/backends/sqs/local-server';
import { SQS_SERVER_GLOBAL } from './sqs-env';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>)[SQS_SERVER_GLOBAL] as LocalSqsServer | undefined;
  await server?.stop();
}

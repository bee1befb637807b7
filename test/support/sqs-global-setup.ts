import { startLocalSqsServer, type LocalSqsServer } from '../../lib/backends/sqs/local-server';
import { SQS_ENDPOINT_ENV, SQS_SERVER_GLOBAL } from './sqs-env';

/**
 * One local SQS/SNS server for the whole run. Jest starts its workers after global setup, so the
 * environment variable reaches every spec; specs keep apart by giving their queues unique names.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[SQS_ENDPOINT_ENV]) {
    // An endpoint given from outside (LocalStack, ElasticMQ, a server already running) is used as is.
    return;
  }
  const server = await startLocalSqsServer();
  process.env[SQS_ENDPOINT_ENV] = server.endpoint;
  // Global setup and teardown run in the same process and share globalThis; Jest offers no other channel.
  (globalThis as Record<string, unknown>)[SQS_SERVER_GLOBAL] = server satisfies LocalSqsServer;
}

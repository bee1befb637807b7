import { startLocalSqsServer } from './local-sqs-server';
import { ensureTestDatabase } from './local-postgres';
import { ensureRabbitMq } from './local-rabbitmq';
import { ensureLocalRedis, REDIS_URL_ENV } from './local-redis';
import { LOCAL_SERVERS_GLOBAL, SQS_ENDPOINT_ENV } from './sqs-env';

/**
 * The servers the specs talk to, once for the whole run: a local SQS/SNS server, Redis, and a
 * check that PostgreSQL answers. Jest
 * starts its workers after global setup, so the environment variables reach every spec; specs
 * keep apart by giving their queues and keys unique names. A variable set from outside (LocalStack,
 * ElasticMQ, another Redis) is used as is.
 */
export default async function globalSetup(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  if (!process.env[SQS_ENDPOINT_ENV]) {
    const server = await startLocalSqsServer();
    process.env[SQS_ENDPOINT_ENV] = server.endpoint;
    // One line in the run's log, so a result can be read against the server that produced it.
    console.log(`\nlocal SQS/SNS server: fauxqs ${server.fauxqsVersion} on Node ${process.version}, ${server.endpoint}`);
    stops.push(() => server.stop());
  }
  if (!process.env[REDIS_URL_ENV]) {
    const redis = await ensureLocalRedis();
    process.env[REDIS_URL_ENV] = redis.url;
    stops.push(() => redis.stop());
  }
  await ensureTestDatabase();
  await ensureRabbitMq();
  // Global setup and teardown run in the same process and share globalThis; Jest offers no other channel.
  (globalThis as Record<string, unknown>)[LOCAL_SERVERS_GLOBAL] = stops;
}

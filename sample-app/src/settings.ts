import type { ConfigService } from '@nestjs/config';

/*
 * Settings, all from the environment (or sample-app/.env):
 *
 *   MELANGE_BROKER            "sqs" (default) or "rabbitmq": which broker carries the messages
 *   RABBITMQ_URL              with rabbitmq: the server; default amqp://guest:guest@127.0.0.1:5672
 *                             (a vhost goes at the end: amqp://user:password@host:5672/vhost)
 *   MELANGE_SQS_ENDPOINT      with sqs (RabbitMQ ignores it and the other SQS and AWS settings):
 *                             unset: main.ts starts an embedded SQS/SNS server and sets it
 *                             a URL: that server (LocalStack: http://localhost:4566)
 *                             "aws": real AWS; region and credentials from the AWS SDK's default chain
 *   AWS_REGION                default us-east-1 with an endpoint URL
 *   PORT                      HTTP port on 127.0.0.1; default 3000, or a free one with --demo
 *   PAYMENT_LIMIT             the fake gateway declines orders above it; default 1000 (EUR)
 *   MELANGE_SQS_WAIT_SECONDS  long-poll wait; default 1 with an endpoint URL, 20 on AWS
 *   MELANGE_AUTO_CREATE       "false" when queues and topics are provisioned elsewhere (Terraform...);
 *                             SQS only: the RabbitMQ backend learns a queue's dead-letter queue and
 *                             FIFO handling by declaring it, so on RabbitMQ the app always declares
 *   DATABASE_URL              unset: orders and the outbox live in PGlite, in this process, in memory
 *                             a URL: that PostgreSQL server (postgres://user:password@host:5432/db)
 *   DATABASE_SCHEMA           the PostgreSQL schema of the sample's tables; default public
 */

export const BROKER_SETTING = 'MELANGE_BROKER';
export const RABBITMQ_URL_SETTING = 'RABBITMQ_URL';
export const SQS_ENDPOINT_SETTING = 'MELANGE_SQS_ENDPOINT';
export const DATABASE_URL_SETTING = 'DATABASE_URL';

/** The MELANGE_SQS_ENDPOINT value meaning "no endpoint override: real AWS". */
export const AWS_ENDPOINT = 'aws';

export const BROKERS = ['sqs', 'rabbitmq'] as const;
export type Broker = (typeof BROKERS)[number];

/** RabbitMQ as `rabbitmq-server` or the `rabbitmq` Docker image start it, on this machine. */
export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A setting with a value the sample cannot use; the message names the variable and what it accepts. */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

/**
 * MELANGE_BROKER. Takes the raw value rather than ConfigService: main.ts needs it before the app
 * exists, to know whether to start the embedded SQS server.
 */
export function brokerSetting(raw: string | undefined): Broker {
  if (raw === undefined || raw === '') return 'sqs';
  const broker = BROKERS.find((name) => name === raw.toLowerCase());
  if (!broker) throw new SettingError(`${BROKER_SETTING} must be one of ${BROKERS.map((name) => `"${name}"`).join(', ')} (unset: "sqs"), got "${raw}"`);
  return broker;
}

export function rabbitMqUrlSetting(raw: string | undefined): string {
  return raw || DEFAULT_RABBITMQ_URL;
}

/** The URL with its password masked, for log lines. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}

export function numberSetting(config: ConfigService, name: string, fallback: number): number {
  const raw = config.get<string>(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new SettingError(`${name} must be a number, got "${raw}"`);
  return value;
}

export function booleanSetting(config: ConfigService, name: string, fallback: boolean): boolean {
  const raw = config.get<string>(name)?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new SettingError(`${name} must be "true" or "false", got "${raw}"`);
}

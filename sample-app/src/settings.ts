import type { ConfigService } from '@nestjs/config';

/*
 * Settings, all from the environment (or sample-app/.env):
 *
 *   MELANGE_SQS_ENDPOINT      unset: main.ts starts an embedded SQS/SNS server and sets it
 *                             a URL: that server (LocalStack: http://localhost:4566)
 *                             "aws": real AWS; region and credentials from the AWS SDK's default chain
 *   AWS_REGION                default us-east-1 with an endpoint URL
 *   PORT                      HTTP port on 127.0.0.1; default 3000, or a free one with --demo
 *   PAYMENT_LIMIT             the fake gateway declines orders above it; default 1000 (EUR)
 *   MELANGE_SQS_WAIT_SECONDS  long-poll wait; default 1 with an endpoint URL, 20 on AWS
 *   MELANGE_AUTO_CREATE       "false" when queues and topics are provisioned elsewhere (Terraform...)
 *   DATABASE_URL              unset: orders and the outbox live in PGlite, in this process, in memory
 *                             a URL: that PostgreSQL server (postgres://user:password@host:5432/db)
 *   DATABASE_SCHEMA           the PostgreSQL schema of the sample's tables; default public
 */

export const SQS_ENDPOINT_SETTING = 'MELANGE_SQS_ENDPOINT';
export const DATABASE_URL_SETTING = 'DATABASE_URL';

/** The MELANGE_SQS_ENDPOINT value meaning "no endpoint override: real AWS". */
export const AWS_ENDPOINT = 'aws';

export function numberSetting(config: ConfigService, name: string, fallback: number): number {
  const raw = config.get<string>(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
  return value;
}

export function booleanSetting(config: ConfigService, name: string, fallback: boolean): boolean {
  const raw = config.get<string>(name)?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${name} must be "true" or "false", got "${raw}"`);
}

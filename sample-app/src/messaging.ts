import type { ConfigService } from '@nestjs/config';
import type { SampleDatabase } from './database/sample-database';
import { SqsBackend, type InfrastructureOptions, type MelangeModuleOptions, type MessagingBackend } from './melange';
import { RabbitMqBackend } from './melange-rabbitmq';
import { topicsInfrastructure } from './messages';
import { notificationsInfrastructure } from './notifications/notifications.infrastructure';
import { ordersInfrastructure } from './orders/orders.infrastructure';
import { paymentsInfrastructure } from './payments/payments.infrastructure';
import {
  AWS_ENDPOINT,
  booleanSetting,
  BROKER_SETTING,
  brokerSetting,
  numberSetting,
  RABBITMQ_URL_SETTING,
  rabbitMqUrlSetting,
  SettingError,
  SQS_ENDPOINT_SETTING,
  type Broker,
} from './settings';

/**
 * MelangeModule's options, built from configuration once ConfigModule has loaded it. `database`
 * is the orders' database, whose outbox OrderPlaced goes through; the payments function, which
 * writes no orders, has none.
 */
export function melangeOptions(config: ConfigService, database?: SampleDatabase): MelangeModuleOptions {
  const broker = brokerSetting(config.get<string>(BROKER_SETTING));
  const infrastructure = merge(topicsInfrastructure, ordersInfrastructure, paymentsInfrastructure, notificationsInfrastructure);
  // One backend, so it is the default one: every message, queue and topic goes through it.
  const backends: Record<string, MessagingBackend> =
    broker === 'rabbitmq' ? { rabbitmq: rabbitMqBackend(config) } : { sqs: sqsBackend(config) };
  return {
    backends,
    // OrderPlaced is written to the outbox in the transaction that stores the order; the relay
    // sends it once that commits. Its table is created by OrdersRepository at startup.
    outbox: database && { database: database.outbox, schema: database.schema },
    // Each context declares the queues it consumes and their subscriptions; the topics belong to
    // the contract. Declared at startup, idempotently: a second start changes nothing.
    infrastructure,
    autoCreate: autoCreate(config, broker),
    consumers: {
      concurrency: 8,
      // Ctrl-C waits this long at most for handlers in progress.
      shutdownTimeoutMs: 10_000,
      // A failing handler gets 4 deliveries, 0.5 s then 1 s then 2 s apart; then the dead-letter queue.
      retry: { maxAttempts: 4, initialDelayMs: 500, maxDelayMs: 10_000 },
    },
  };
}

function sqsBackend(config: ConfigService): SqsBackend {
  const endpoint = config.get<string>(SQS_ENDPOINT_SETTING);
  if (!endpoint) {
    throw new Error(
      `${SQS_ENDPOINT_SETTING} is not set: set it to a server's URL (LocalStack: http://localhost:4566) or to ` +
        `"${AWS_ENDPOINT}" for real AWS; main.ts sets it to the embedded server when it starts one`,
    );
  }
  if (endpoint === AWS_ENDPOINT) {
    // No endpoint and no credentials: the SDK finds them as it does for any AWS app (AWS_REGION,
    // AWS_PROFILE, SSO, an instance or task role...). 20 s long polls make the fewest billed requests.
    return new SqsBackend({ region: config.get<string>('AWS_REGION'), waitTimeSeconds: numberSetting(config, 'MELANGE_SQS_WAIT_SECONDS', 20) });
  }
  return new SqsBackend({
    endpoint,
    region: config.get<string>('AWS_REGION') ?? 'us-east-1',
    // Local servers accept any credentials; static ones keep the SDK from looking for real ones.
    credentials: {
      accessKeyId: config.get<string>('AWS_ACCESS_KEY_ID') ?? 'test',
      secretAccessKey: config.get<string>('AWS_SECRET_ACCESS_KEY') ?? 'test',
    },
    // Shutdown waits for the long polls in progress: short ones keep Ctrl-C quick, and empty
    // receives cost nothing on a local server.
    waitTimeSeconds: numberSetting(config, 'MELANGE_SQS_WAIT_SECONDS', 1),
  });
}

/**
 * The topics become headers exchanges and the subscriptions' filters bindings on the manifest, as
 * the RabbitMQ section of the library's README describes; the URL is the only setting the sample needs.
 */
function rabbitMqBackend(config: ConfigService): RabbitMqBackend {
  return new RabbitMqBackend({ url: rabbitMqUrlSetting(config.get<string>(RABBITMQ_URL_SETTING)) });
}

/**
 * RabbitMqBackend knows a queue's dead-letter queue and whether it is FIFO only from declaring it
 * (idempotent: nothing changes on the broker when it exists as declared), so without declaring,
 * failed messages could not be set aside and payment events would lose their order.
 */
function autoCreate(config: ConfigService, broker: Broker): boolean {
  const wanted = booleanSetting(config, 'MELANGE_AUTO_CREATE', true);
  if (!wanted && broker === 'rabbitmq') {
    throw new SettingError(
      `MELANGE_AUTO_CREATE=false is for SQS only: with ${BROKER_SETTING}=rabbitmq the app must declare its queues ` +
        `(declaring what exists changes nothing), since that is how the RabbitMQ backend learns their dead-letter queues ` +
        `and FIFO handling. Unset MELANGE_AUTO_CREATE.`,
    );
  }
  return wanted;
}

function merge(...parts: InfrastructureOptions[]): InfrastructureOptions {
  return {
    queues: parts.flatMap((part) => part.queues ?? []),
    topics: parts.flatMap((part) => part.topics ?? []),
    subscriptions: parts.flatMap((part) => part.subscriptions ?? []),
  };
}

// The public API: what an application uses. Development helpers are in `nestjs-melange/testing`,
// the health indicator in `nestjs-melange/health`.
export { MelangeModule } from './melange.module';
export type {
  ConsumerDefaults,
  DestinationBinding,
  IdempotencyOptions,
  InfrastructureOptions,
  MelangeModuleAsyncOptions,
  MelangeModuleOptions,
  MelangeOptionsFactory,
  RetryOptions,
} from './melange.options';
export { MelangeInfrastructure } from './melange-infrastructure';

export { Message, manifestOf, type MessageDestination, type MessageOptions } from './messages/message.decorator';
export type { Envelope } from './messages/envelope';

export { MelangePublisher, type PublishOptions, type PublishResult } from './publishing/melange-publisher';

export {
  MessageConsumer,
  OnAnyMessage,
  OnMessage,
  OnMessageBatch,
  type BatchHandlerOptions,
  type HandlerOptions,
  type MessageConsumerOptions,
} from './consuming/consumer.decorators';
export type { BatchFailure, BatchResult } from './consuming/batch/batch-result';
export { MessageContext } from './consuming/message-context';
export { MELANGE_CONTEXT_TYPE, MessageAttributes, Payload } from './consuming/param.decorators';
export { ConsumerRegistry, type ConsumerInfo } from './consuming/consumer-registry';

// Operating: queue counts, dead-letter peek and redrive, purge, declaration plans (the CLI and the
// dashboard, in `nestjs-melange/dashboard`, are built on these).
export { MelangeAdmin } from './admin/melange-admin';
export type {
  DeadLetterMessage,
  DeclarationPlan,
  PeekOptions,
  PurgeOptions,
  QueueConsumerState,
  QueueOverview,
  QueueRole,
  RedriveFilter,
  RedriveOptions,
  RedriveProgress,
  RedriveResult,
} from './admin/admin.types';
export type { MessageRates, RecentRates } from './admin/message-rates';
export type {
  AdministrableBackend,
  BackendAdmin,
  MoveOptions,
  MoveProgress,
  PlannedAction,
  PlannedChange,
  QueueCounts,
  QueueDetails,
  StoredMessage,
} from './backends/backend-admin';
export { AdminNotSupportedError, InvalidRedriveError, PurgeNotConfirmedError, UnknownQueueError } from './errors';

export type { Serializer } from './serialization/serializer';
export type { SerializationOptions, SerializerBinding } from './serialization/serializer-registry';
export { JsonSerializer } from './serialization/json.serializer';

export { MelangeOutbox } from './outbox/melange-outbox';
export type { OutboxOptions, OutboxRelayOptions } from './outbox/outbox.options';
export type { OutboxDatabase, OutboxRow, OutboxTransaction } from './outbox/outbox-database';
export { pgOutboxDatabase, type PgListeningClient, type PgPoolLike } from './outbox/pg-outbox-database';
export { pgliteOutboxDatabase, type PGliteLike } from './outbox/pglite-outbox-database';
export { typeormOutboxDatabase, type TypeOrmDataSourceLike } from './outbox/typeorm-outbox-database';

export { InMemoryIdempotencyStore, type IdempotencyStore } from './idempotency/idempotency-store';
export { RedisIdempotencyStore, type RedisCommands } from './idempotency/redis-idempotency-store';

export {
  MelangeEvents,
  type MelangeEventListener,
  type MelangeEventMap,
  type MelangeEventName,
} from './observability/melange-events';
export {
  MelangeHealth,
  type BackendHealth,
  type ConsumerHealth,
  type HealthOptions,
  type MelangeHealthReport,
} from './observability/melange-health';

export type {
  ConsumeOptions,
  ConsumerHandle,
  ConsumerStatus,
  Delivery,
  DeliveryHandler,
  MessagingBackend,
  QueueSpec,
  SendOptions,
  SendResult,
  SubscriptionSpec,
  TopicSpec,
} from './backends/messaging-backend';
export { InMemoryBackend } from './backends/in-memory/in-memory.backend';
export {
  SqsBackend,
  type PayloadOffloadingOptions,
  type SqsBackendClients,
  type SqsBackendOptions,
  type SqsMessageLimits,
} from './backends/sqs';

// Errors an application catches or throws. Wiring mistakes fail `app.init()` with a subclass of
// MelangeConfigurationError whose message says what to change; they are not meant to be caught one by one.
export {
  AcknowledgeFailedError,
  AmbiguousConsumerError,
  DestinationNotFoundError,
  HandlerTimeoutError,
  IdempotencyStoreTimeoutError,
  InfrastructureDeclarationError,
  InfrastructureError,
  InvalidDestinationError,
  MelangeConfigurationError,
  MelangeError,
  MessageRejectedError,
  MessageTooLargeError,
  NoDestinationError,
  NonRetryableError,
  NotAMessageClassError,
  PublishBatchError,
  SendFailedError,
  SerializationError,
  UnknownConsumerError,
} from './errors';

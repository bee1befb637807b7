export { MelangeModule } from './melange.module';
export {
  MELANGE_MODULE_OPTIONS,
  type MelangeModuleAsyncOptions,
  type MelangeModuleOptions,
  type MelangeOptionsFactory,
  type ConsumerDefaults,
  type DestinationBinding,
  type IdempotencyOptions,
  type InfrastructureOptions,
  type OnBackend,
  type RetryOptions,
} from './melange.options';
export { InfrastructureDeclarationError, MelangeInfrastructure } from './melange-infrastructure';
export {
  AcknowledgeFailedError,
  DestinationNotFoundError,
  InfrastructureError,
  LocalServerError,
  MelangeError,
  MessageRejectedError,
  SendFailedError,
  ThrownValueError,
} from './errors';
export {
  MelangeEvents,
  type MelangeEventListener,
  type MelangeEventMap,
  type MelangeEventName,
} from './observability/melange-events';
export { TRACE_ATTRIBUTES } from './observability/tracing';
export {
  MelangeHealth,
  type BackendHealth,
  type ConsumerHealth,
  type HealthOptions,
  type MelangeHealthReport,
} from './observability/melange-health';

export { Message, manifestOf, type MessageDestination, type MessageOptions } from './messages/message.decorator';
export { ConflictingManifestError } from './messages/message-type-registry';
export type { Envelope } from './messages/envelope';

export type { Serializer } from './serialization/serializer';
export { JsonSerializer, JSON_SERIALIZER_ID, PayloadShapeError } from './serialization/json.serializer';
export {
  SerializerRegistry,
  NoSerializerError,
  SerializerConfigurationError,
  UnknownSerializerIdError,
  type SerializationOptions,
  type SerializerBinding,
} from './serialization/serializer-registry';

export {
  InvalidDestinationError,
  MelangePublisher,
  NoDestinationError,
  NotAMessageClassError,
  PublishBatchError,
  SerializationError,
  type PublishOptions,
  type PublishResult,
} from './publishing/melange-publisher';

export { MessageConsumer, OnAnyMessage, OnMessage, type HandlerOptions, type MessageConsumerOptions } from './consuming/consumer.decorators';
export { InMemoryIdempotencyStore, type IdempotencyStore } from './idempotency/idempotency-store';
export { RedisIdempotencyStore, type RedisCommands } from './idempotency/redis-idempotency-store';
export { IdempotencyStoreTimeoutError } from './idempotency/store-outage';
export { MessageContext } from './consuming/message-context';
export { MELANGE_CONTEXT_TYPE, MessageAttributes, Payload } from './consuming/param.decorators';
export { HandlerTimeoutError, NonRetryableError } from './consuming/handler-errors';
export { ConsumerConfigurationError } from './consuming/message-dispatcher';
export {
  AmbiguousConsumerError,
  ConsumerRegistry,
  UnknownConsumerError,
  type ConsumerInfo,
} from './consuming/consumer-registry';
export { DuplicateMelangeModuleError } from './consuming/consumer-orchestrator';
export { DuplicateHandlerError, UnroutableMessageError } from './consuming/dispatch-table';
export { ConflictingConcurrencyError, HandlerWithoutQueueError, InvalidConcurrencyError, UnknownMessageTypeError } from './consuming/message-handler.explorer';

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
export { BackendConfigurationError, UnknownBackendError } from './backends/backend-registry';
export { InMemoryBackend } from './backends/in-memory/in-memory.backend';
export {
  SqsBackend,
  startLocalSqsServer,
  DEAD_LETTER_REASON_ATTRIBUTE,
  MANIFEST_ATTRIBUTE,
  MESSAGE_ID_ATTRIBUTE,
  SERIALIZER_ID_ATTRIBUTE,
  SOURCE_QUEUE_ATTRIBUTE,
  type LocalSqsServer,
  type LocalSqsServerOptions,
  type SqsBackendClients,
  type SqsBackendOptions,
} from './backends/sqs';

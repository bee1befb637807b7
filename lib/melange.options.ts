import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import type { MessagingBackend, QueueSpec, SubscriptionSpec, TopicSpec } from './backends/messaging-backend';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import type { MessageDestination } from './messages/message.decorator';
import type { OutboxOptions } from './outbox/outbox.options';
import type { SerializationOptions } from './serialization/serializer-registry';

/** Infrastructure to declare on a backend at startup; `backend` defaults to the default backend. */
export type OnBackend<T> = T & { readonly backend?: string };

export interface InfrastructureOptions {
  readonly queues?: readonly OnBackend<QueueSpec>[];
  readonly topics?: readonly OnBackend<TopicSpec>[];
  readonly subscriptions?: readonly OnBackend<SubscriptionSpec>[];
}

export interface RetryOptions {
  /** Deliveries before a failing message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** Delay before the second delivery; doubles each time, with jitter. Default 1000 ms. */
  readonly initialDelayMs?: number;
  /** Longest delay between deliveries. Default 5 minutes. */
  readonly maxDelayMs?: number;
}

export interface IdempotencyOptions {
  /** `InMemoryIdempotencyStore` for one process, `RedisIdempotencyStore` across processes. */
  readonly store: IdempotencyStore;
  /**
   * How long a running handler holds its message's key; a delivery of the same message meanwhile
   * waits. Make it longer than your slowest handler. Default 5 minutes.
   */
  readonly leaseMs?: number;
  /** How long a handled message is remembered. Default 24 hours. */
  readonly ttlMs?: number;
  /**
   * While the store does not answer, a message is held unhandled (its visibility renewed) and its
   * claim retried with backoff, without spending a receive. After this long it is handed back to
   * the broker for redelivery, which costs one receive (0: at once). Default 60 000 ms. Shutdown
   * waits for held messages like for running handlers, up to `shutdownTimeoutMs`.
   */
  readonly storeOutageMaxWaitMs?: number;
}

export interface ConsumerDefaults {
  /** Messages handled at once per queue. Default 32. */
  readonly concurrency?: number;
  /** How long shutdown waits for in-flight handlers. Default 30 000 ms. */
  readonly shutdownTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /**
   * A handler still running after this long counts as failed (and is retried); it is not
   * interrupted, so make handlers idempotent if you set it. Default: no limit.
   */
  readonly handlerTimeoutMs?: number;
  /**
   * A message no handler of its queue takes: `'dead-letter'` (default) sets it aside like any
   * message that cannot be handled; `'discard'` deletes it with a warning naming its id.
   */
  readonly unroutable?: 'dead-letter' | 'discard';
  /** Run each message's handler once even when the broker delivers it twice. Default: off. */
  readonly idempotency?: IdempotencyOptions;
  /** Default of every handler's `inbox` option (exactly-once effects in the outbox's database). Default false. */
  readonly inbox?: boolean;
}

export interface DestinationBinding {
  readonly message: Type<unknown>;
  readonly destination: MessageDestination;
}

export interface MelangeModuleOptions {
  /** Brokers by name. Default: `{ default: new InMemoryBackend() }`. */
  readonly backends?: Readonly<Record<string, MessagingBackend>>;
  /** The backend used where none is named. Default: `'default'`, or the only backend. */
  readonly defaultBackend?: string;
  readonly serialization?: SerializationOptions;
  /**
   * Message classes consumers must recognise beyond those their handlers name, e.g. subclasses
   * handled by a base-class handler.
   */
  readonly messages?: readonly Type<unknown>[];
  /** Default destinations by class; these win over `@Message(..., { destination })`. */
  readonly destinations?: readonly DestinationBinding[];
  readonly infrastructure?: InfrastructureOptions;
  /** Declare `infrastructure` at application bootstrap. Default true. */
  readonly autoCreate?: boolean;
  /** Start consumers at application bootstrap. Default true; false for publish-only processes. */
  readonly startConsumers?: boolean;
  readonly consumers?: ConsumerDefaults;
  /** A transactional outbox on PostgreSQL, for `publish(message, { transaction })`. Default: none. */
  readonly outbox?: OutboxOptions;
}

export const {
  ConfigurableModuleClass: ConfigurableMelangeModule,
  MODULE_OPTIONS_TOKEN: MELANGE_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MelangeModuleOptions>({ moduleName: 'Melange' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createMelangeOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** What `MelangeModule.forRootAsync()` takes: `imports`, `inject` and `useFactory`, or `useClass`/`useExisting`. */
export type MelangeModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** The class given to `forRootAsync({ useClass })`. */
export interface MelangeOptionsFactory {
  createMelangeOptions(): MelangeModuleOptions | Promise<MelangeModuleOptions>;
}

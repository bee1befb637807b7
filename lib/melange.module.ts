import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MelangeAdmin } from './admin/melange-admin';
import { BackendRegistry } from './backends/backend-registry';
import { ConsumerOrchestrator } from './consuming/consumer-orchestrator';
import { ConsumerRegistry } from './consuming/consumer-registry';
import { BatchInvoker } from './consuming/batch/batch-invoker';
import { HandlerInvoker } from './consuming/handler-invoker';
import { MessageDispatcher } from './consuming/message-dispatcher';
import { MessageHandlerExplorer } from './consuming/message-handler.explorer';
import { MelangeInfrastructure } from './melange-infrastructure';
import { MelangeEvents } from './observability/melange-events';
import { MelangeHealth } from './observability/melange-health';
import { ConfigurableMelangeModule, MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from './melange.options';
import { MessageTypeRegistry } from './messages/message-type-registry';
import { MelangeOutbox } from './outbox/melange-outbox';
import { OutboxRelay } from './outbox/outbox-relay';
import { MelangePublisher } from './publishing/melange-publisher';
import { SerializerRegistry } from './serialization/serializer-registry';

/**
 * `MelangeModule.forRoot({...})` or `MelangeModule.forRootAsync({ inject, useFactory })`; pass
 * `isGlobal: true` to make the publisher injectable everywhere. Every registry is a provider of
 * this module instance, so two applications in one process never share state.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: BackendRegistry,
      inject: [MELANGE_MODULE_OPTIONS],
      useFactory: (options: MelangeModuleOptions) => new BackendRegistry(options.backends, options.defaultBackend),
    },
    {
      provide: SerializerRegistry,
      inject: [MELANGE_MODULE_OPTIONS],
      useFactory: (options: MelangeModuleOptions) => new SerializerRegistry(options.serialization),
    },
    { provide: MessageTypeRegistry, useFactory: () => new MessageTypeRegistry() },
    MelangeEvents,
    MelangeHealth,
    MelangePublisher,
    MelangeInfrastructure,
    HandlerInvoker,
    BatchInvoker,
    MessageDispatcher,
    MessageHandlerExplorer,
    ConsumerRegistry,
    ConsumerOrchestrator,
    MelangeAdmin,
    OutboxRelay,
    MelangeOutbox,
  ],
  exports: [MelangePublisher, MelangeInfrastructure, MelangeEvents, MelangeHealth, ConsumerRegistry, MelangeOutbox, MelangeAdmin, MELANGE_MODULE_OPTIONS],
})
export class MelangeModule extends ConfigurableMelangeModule {}

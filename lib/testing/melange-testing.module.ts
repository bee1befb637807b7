import { Module, type DynamicModule } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import { MelangeModule } from '../melange.module';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { MelangeEvents } from '../observability/melange-events';
import { SerializerRegistry } from '../serialization/serializer-registry';
import { MessageSpy } from './message-spy';

/**
 * What replaceBackends uses of @nestjs/testing's TestingModuleBuilder. Typed here, not imported, so
 * that an app importing `nestjs-melange/testing` for startLocalSqsServer alone type-checks without
 * @nestjs/testing installed.
 */
export interface ProviderOverrides {
  overrideProvider(token: unknown): {
    useFactory(options: { factory: (...args: never[]) => unknown; inject?: unknown[] }): unknown;
  };
}

function backendNames(options: MelangeModuleOptions): string[] {
  return Object.keys(options.backends ?? { default: null });
}

/**
 * MelangeModule for tests: every backend is in-memory, and a `MessageSpy` provider sees what is
 * published and what consumers make of it. No network, no AWS.
 */
@Module({})
export class MelangeTestingModule {
  /** A drop-in for `MelangeModule.forRoot(options)` in a test module; backends keep their names. */
  static forRoot(options: MelangeModuleOptions = {}): DynamicModule {
    const spy = new MessageSpy(new SerializerRegistry(options.serialization));
    const melange = MelangeModule.forRoot({ ...options, backends: spy.backendsFor(backendNames(options)) });
    return {
      module: MelangeTestingModule,
      imports: [melange],
      providers: [
        {
          provide: MessageSpy,
          inject: [MelangeEvents],
          useFactory: (events: MelangeEvents) => {
            spy.watch(events);
            return spy;
          },
        },
      ],
      exports: [MessageSpy, melange],
    };
  }

  /**
   * For a test of a whole application that configures MelangeModule itself (SQS, forRootAsync…):
   * swaps its backends for in-memory ones and returns the spy watching them.
   */
  static replaceBackends(builder: ProviderOverrides): MessageSpy {
    const spy = new MessageSpy();
    builder.overrideProvider(BackendRegistry).useFactory({
      inject: [MELANGE_MODULE_OPTIONS, SerializerRegistry, MelangeEvents],
      factory: (options: MelangeModuleOptions, serializers: SerializerRegistry, events: MelangeEvents) => {
        spy.useSerializers(serializers);
        spy.watch(events);
        return new BackendRegistry(spy.backendsFor(backendNames(options)), options.defaultBackend);
      },
    });
    return spy;
  }
}

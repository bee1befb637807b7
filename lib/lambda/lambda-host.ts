import { Logger, Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describeThrown } from '../errors';
import { MELANGE_STARTUP_OVERRIDES, type StartupOverrides } from '../consuming/startup-overrides';
import type { ResolvedLambdaOptions } from './lambda-handler.options';
import { LambdaRuntime } from './lambda-runtime';

/** What createLambdaHandler accepts: the application's root module. */
export type LambdaAppModule = Type<unknown> | DynamicModule;

interface Booted {
  readonly app: INestApplicationContext;
  readonly runtime: LambdaRuntime;
}

@Module({})
class MelangeLambdaRootModule {}

@Module({})
class MelangeLambdaStartupModule {}

/**
 * The application's module under a root that provides, globally, what a Lambda host changes:
 * no consumers (Lambda polls for the function) and no declarations at cold start unless asked.
 * The application's own module stays as the long-running worker uses it.
 */
function lambdaRoot(module: LambdaAppModule, overrides: StartupOverrides): DynamicModule {
  return {
    module: MelangeLambdaRootModule,
    imports: [
      {
        module: MelangeLambdaStartupModule,
        global: true,
        providers: [{ provide: MELANGE_STARTUP_OVERRIDES, useValue: overrides }],
        exports: [MELANGE_STARTUP_OVERRIDES],
      },
      module,
    ],
  };
}

/**
 * The Nest application context of one execution environment: created once and kept for every
 * invocation that environment serves. A bootstrap that fails is not kept: the invocation waiting
 * for it fails, and the next one tries again (a secret not readable yet, a throttled call at init);
 * a failed bootstrap at init costs no invocation.
 */
export class LambdaHost {
  private booting: Promise<Booted> | undefined;
  private readonly logger = new Logger('MelangeLambda');

  constructor(
    private readonly module: LambdaAppModule,
    private readonly options: ResolvedLambdaOptions,
  ) {}

  start(): Promise<Booted> {
    if (!this.booting) {
      const booting = this.boot();
      this.booting = booting;
      // Handled here so an eager bootstrap that fails before any invocation awaits it is not an
      // unhandled rejection (which ends a Lambda runtime); an invocation awaiting it still fails.
      booting.catch((error: unknown) => {
        if (this.booting === booting) this.booting = undefined;
        this.logger.error(`The application could not be bootstrapped; the next invocation tries again: ${describeThrown(error, { withName: true })}`);
      });
    }
    return this.booting;
  }

  /** For tests and scripts: Lambda freezes the environment instead, and nothing needs closing between invocations. */
  async close(): Promise<void> {
    const booting = this.booting;
    this.booting = undefined;
    const booted = await booting?.catch(() => undefined);
    if (!booted) return;
    booted.runtime.close();
    await booted.app.close();
  }

  private async boot(): Promise<Booted> {
    const started = performance.now();
    // A background relay does not run between invocations (Lambda freezes the process): rows a
    // function writes to the outbox are relayed by a long-running process, or by MelangeOutbox.drain().
    const overrides: StartupOverrides = { startConsumers: false, autoCreate: this.options.declareInfrastructure, startOutboxRelay: false };
    const app = await NestFactory.createApplicationContext(lambdaRoot(this.module, overrides), {
      // The default ends the process on a bootstrap error; here the invocation fails and the next one tries again.
      abortOnError: false,
      ...(this.options.logger === undefined ? {} : { logger: this.options.logger }),
    });
    try {
      const runtime = LambdaRuntime.of(app, this.options);
      this.logger.log(`Application ready for Lambda in ${Math.round(performance.now() - started)} ms`);
      return { app, runtime };
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
  }
}
